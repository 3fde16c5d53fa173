import { createLogger } from '@takt/log';
import { stack } from '@takt/testing';
import { describe, expect, it } from 'vitest';
import { CdcUnhealthyError, createCdcWatcher } from '../src/index.js';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('the CDC watcher against what it cannot reach', () => {
  it('Connect, PostgreSQL and Kafka down: every one named, and readiness refuses with the reasons', async () => {
    const watcher = createCdcWatcher({
      connectUrl: 'http://127.0.0.1:1',
      connector: 'nowhere',
      slot: 'nowhere',
      monitorDatabaseUrl: 'postgresql://takt_app@127.0.0.1:1/takt',
      kafkaBrokers: ['127.0.0.1:1'],
      clientId: 'watcher-test',
      deadLetterTopics: ['nowhere.dlq'],
      handledGroup: 'nowhere-handled',
      heartbeatMaxAgeMs: 60_000,
      retainedWalMaxBytes: 1,
      intervalMs: 1_000,
      requestTimeoutMs: 1_000,
      logger,
    });
    try {
      const started = Date.now();
      await watcher.start();
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(watcher.health().reasons).toEqual([
        'connect_unreachable',
        'source_unreachable',
        'kafka_unreachable',
      ]);
      const err = await watcher.ready().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CdcUnhealthyError);
      expect((err as CdcUnhealthyError).reasons).toEqual([
        'connect_unreachable',
        'source_unreachable',
        'kafka_unreachable',
      ]);
    } finally {
      await watcher.stop();
    }
  });

  it('a connector and slot that do not exist, on a reachable stack', async () => {
    const watcher = createCdcWatcher({
      connectUrl: stack().connectUrl,
      connector: 'takt-no-such-connector',
      slot: 'takt_no_such_slot',
      kafkaBrokers: stack().kafkaBrokers,
      clientId: 'watcher-test',
      deadLetterTopics: [],
      handledGroup: 'nowhere-handled',
      heartbeatMaxAgeMs: 60_000,
      retainedWalMaxBytes: 1,
      intervalMs: 1_000,
      logger,
    });
    try {
      await watcher.start();
      // No monitor database: the slot is not judged, only the connector.
      expect(watcher.health().reasons).toEqual(['connector_missing']);
    } finally {
      await watcher.stop();
    }
  });
});
