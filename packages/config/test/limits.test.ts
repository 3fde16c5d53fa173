import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type CapturedTable,
  KAFKA_MESSAGE_MARGIN,
  KAFKA_MESSAGE_MAX_BYTES,
  kafkaFetchBytes,
  ROW_VARIABLE_BYTES,
  worstCaseEventBytes,
} from '../src/index.js';

const repo = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

/** The value of `key=value` in a properties file, or of `KEY=value` in a shell file. */
function setting(text: string, key: string): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${key}=`));
  return line?.slice(key.length + 1).trim();
}

describe('the Kafka message ceiling', () => {
  it('is the number every piece of infra renders, in the native stack and in docker compose', () => {
    const ceiling = String(KAFKA_MESSAGE_MAX_BYTES);
    expect(setting(repo('infra/lib/kafka.sh'), 'KAFKA_MESSAGE_MAX_BYTES')).toBe(ceiling);
    expect(setting(repo('infra/kafka/server.properties'), 'message.max.bytes')).toBe(
      '@KAFKA_MESSAGE_MAX_BYTES@',
    );
    expect(setting(repo('infra/connect/connect-distributed.properties'), 'producer.max.request.size')).toBe(
      '@KAFKA_MESSAGE_MAX_BYTES@',
    );
    // Both renderers substitute the token from the one variable.
    for (const lib of ['infra/lib/kafka.sh', 'infra/lib/connect.sh']) {
      expect(repo(lib)).toContain('s|@KAFKA_MESSAGE_MAX_BYTES@|$KAFKA_MESSAGE_MAX_BYTES|g');
    }
    const compose = repo('docker-compose.yml');
    expect(compose).toContain(`x-kafka-message-max-bytes: &kafka-message-max-bytes "${ceiling}"`);
    expect(compose).toContain('KAFKA_MESSAGE_MAX_BYTES: *kafka-message-max-bytes');
    expect(compose).toContain('CONNECT_PRODUCER_MAX_REQUEST_SIZE: *kafka-message-max-bytes');
  });

  it('lets no topic or connector set a size of its own', () => {
    const connector = JSON.parse(repo('infra/connect/takt-postgres.json')) as {
      config: Record<string, string>;
    };
    const own = Object.keys(connector.config).filter((k) => /max\.(message\.bytes|request\.size)$/.test(k));
    expect(own).toEqual([]);
    expect(repo('docker-compose.yml')).not.toContain('max.message.bytes=');
  });

  it('gives every consumer fetch room for at least one whole message per partition', () => {
    for (const [n, p] of [
      [1, 1],
      [1, 4],
      [4, 4],
      [0, 0],
    ] as const) {
      const f = kafkaFetchBytes(n, p);
      expect(f.maxBytesPerPartition).toBeGreaterThanOrEqual(KAFKA_MESSAGE_MAX_BYTES);
      expect(f.maxBytes).toBeGreaterThanOrEqual(f.maxBytesPerPartition);
    }
  });

  it('holds the largest legal change event of every captured table with a wide margin', () => {
    for (const table of Object.keys(ROW_VARIABLE_BYTES) as CapturedTable[]) {
      expect(worstCaseEventBytes(table) * KAFKA_MESSAGE_MARGIN, table).toBeLessThanOrEqual(
        KAFKA_MESSAGE_MAX_BYTES,
      );
    }
  });
});
