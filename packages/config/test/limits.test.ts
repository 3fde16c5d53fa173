import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTES_LIMITS,
  type CapturedTable,
  KAFKA_MESSAGE_MARGIN,
  KAFKA_MESSAGE_MAX_BYTES,
  kafkaFetchBytes,
  NUMBER_LIMITS,
  ROW_VARIABLE_BYTES,
  TEXT_LIMITS,
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

describe('the documented limits', () => {
  const n = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 6 });
  const stated = [
    `1–${TEXT_LIMITS.code.max} characters of \`[A-Za-z0-9._-]\``,
    `1–${TEXT_LIMITS.name.max} characters, one line`,
    `1–${TEXT_LIMITS.tag.max} characters of \`[A-Za-z0-9._:/-]\``,
    `\`orderId\` | 1–${TEXT_LIMITS.orderId.max} characters, one line`,
    `\`operator\`, \`technician\` | 1–${TEXT_LIMITS.person.max} characters, one line`,
    `0–${n(TEXT_LIMITS.notes.max)} characters`,
    `${n(ATTRIBUTES_LIMITS.maxBytes)} bytes as stored`,
    `${ATTRIBUTES_LIMITS.maxDepth} `,
    `${n(NUMBER_LIMITS.count.min)}–${n(NUMBER_LIMITS.count.max)}`,
    `${NUMBER_LIMITS.idealCycleTimeS.min.toFixed(6)}–${n(NUMBER_LIMITS.idealCycleTimeS.max)}`,
    `${KAFKA_MESSAGE_MAX_BYTES / 1024 / 1024} MiB`,
  ];

  it.each(['README.md', 'docs/limits.md'])('%s states every bound as the limits module has it', (file) => {
    const text = repo(file);
    for (const s of stated) expect(text, s).toContain(s);
  });
});
