import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assessCdc,
  CDC_REASONS,
  type CdcObservation,
  type CdcThresholds,
  connectorObservation,
  deadLetterMessage,
  deadLetterOrigin,
  readinessReasons,
} from '../src/index.js';

const NOW = 1_800_000_000_000;
const TH: CdcThresholds = {
  heartbeatMaxAgeMs: 60_000,
  retainedWalMaxBytes: 256 * 2 ** 20,
  observationMaxAgeMs: 15_000,
};

const healthy: CdcObservation = {
  at: NOW - 1_000,
  connector: { kind: 'status', state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING' }] },
  source: {
    kind: 'ok',
    slot: { active: true, retainedWalBytes: 60_000, walStatus: 'reserved' },
    heartbeatAgeMs: 2_000,
  },
  deadLetters: { kind: 'ok', unhandled: { 'takt.projector.dlq': 0 } },
};

const given = (change: Partial<CdcObservation>) => ({
  reasons: () => assessCdc({ ...healthy, ...change }, TH, NOW).reasons,
});

describe('assessCdc', () => {
  it('a running task, an active slot, a fresh heartbeat and no dead letters: healthy', () => {
    expect(assessCdc(healthy, TH, NOW)).toEqual({ healthy: true, reasons: [] });
  });

  it('no observation yet is never healthy', () => {
    expect(assessCdc(undefined, TH, NOW)).toEqual({ healthy: false, reasons: ['status_stale'] });
  });

  it('a failed task, the slot it leaves inactive and its heartbeat going stale', () => {
    expect(
      given({
        connector: { kind: 'status', state: 'RUNNING', tasks: [{ id: 0, state: 'FAILED', error: 'x' }] },
        source: {
          kind: 'ok',
          slot: { active: false, retainedWalBytes: 300 * 2 ** 20, walStatus: 'extended' },
          heartbeatAgeMs: 61_000,
        },
      }).reasons(),
    ).toEqual(['task_failed', 'slot_inactive', 'slot_retained_wal_high', 'heartbeat_stale']);
  });

  it('a paused connector pauses its tasks', () => {
    expect(
      given({
        connector: { kind: 'status', state: 'PAUSED', tasks: [{ id: 0, state: 'PAUSED' }] },
      }).reasons(),
    ).toEqual(['connector_not_running', 'task_not_running']);
  });

  it('a stopped connector has no tasks; a running one without tasks captures nothing', () => {
    expect(given({ connector: { kind: 'status', state: 'STOPPED', tasks: [] } }).reasons()).toEqual([
      'connector_not_running',
    ]);
    expect(given({ connector: { kind: 'status', state: 'RUNNING', tasks: [] } }).reasons()).toEqual([
      'task_not_running',
    ]);
  });

  it('a deleted connector, an unreachable Connect, a missing or lost slot, an unreachable database', () => {
    expect(given({ connector: { kind: 'missing' } }).reasons()).toEqual(['connector_missing']);
    expect(given({ connector: { kind: 'unreachable', error: 'ECONNREFUSED' } }).reasons()).toEqual([
      'connect_unreachable',
    ]);
    expect(given({ source: { kind: 'ok', slot: null, heartbeatAgeMs: 1 } }).reasons()).toEqual([
      'slot_missing',
    ]);
    expect(
      given({
        source: {
          kind: 'ok',
          slot: { active: true, retainedWalBytes: null, walStatus: 'lost' },
          heartbeatAgeMs: 1,
        },
      }).reasons(),
    ).toEqual(['slot_wal_lost']);
    expect(given({ source: { kind: 'unreachable', error: 'timeout' } }).reasons()).toEqual([
      'source_unreachable',
    ]);
  });

  it('a heartbeat never written is stale; one exactly at the threshold is not', () => {
    expect(given({ source: { kind: 'ok', slot: null, heartbeatAgeMs: null } }).reasons()).toContain(
      'heartbeat_stale',
    );
    expect(
      given({
        source: {
          kind: 'ok',
          slot: { active: true, retainedWalBytes: 0, walStatus: null },
          heartbeatAgeMs: 60_000,
        },
      }).reasons(),
    ).toEqual([]);
  });

  it('without a database connection the slot and heartbeat are not judged', () => {
    const { source: _, ...withoutSource } = healthy;
    expect(assessCdc(withoutSource, TH, NOW).reasons).toEqual([]);
  });

  it('unhandled dead letters keep freshness false but not readiness; Kafka down does both', () => {
    const dead = assessCdc({ ...healthy, deadLetters: { kind: 'ok', unhandled: { a: 0, b: 2 } } }, TH, NOW);
    expect(dead.reasons).toEqual(['dead_letters']);
    expect(readinessReasons(dead)).toEqual([]);
    const down = assessCdc({ ...healthy, deadLetters: { kind: 'unreachable', error: 'x' } }, TH, NOW);
    expect(readinessReasons(down)).toEqual(['kafka_unreachable']);
  });

  it('an observation older than the limit no longer counts as healthy', () => {
    expect(given({ at: NOW - 15_001 }).reasons()).toEqual(['status_stale']);
  });

  const observation = fc.record({
    at: fc.integer({ min: NOW - 60_000, max: NOW }),
    connector: fc.oneof(
      fc.constant({ kind: 'missing' as const }),
      fc.record({ kind: fc.constant('unreachable' as const), error: fc.string() }),
      fc.record({
        kind: fc.constant('status' as const),
        state: fc.constantFrom('RUNNING', 'PAUSED', 'FAILED', 'STOPPED', 'UNASSIGNED'),
        tasks: fc.array(
          fc.record({ id: fc.nat(3), state: fc.constantFrom('RUNNING', 'PAUSED', 'FAILED', 'RESTARTING') }),
          { maxLength: 3 },
        ),
      }),
    ),
    source: fc.record({
      kind: fc.constant('ok' as const),
      slot: fc.option(
        fc.record({
          active: fc.boolean(),
          retainedWalBytes: fc.option(fc.nat(2 ** 40)),
          walStatus: fc.option(fc.constantFrom('reserved', 'extended', 'unreserved', 'lost')),
        }),
      ),
      heartbeatAgeMs: fc.option(fc.nat(600_000)),
    }),
    deadLetters: fc.record({
      kind: fc.constant('ok' as const),
      unhandled: fc.dictionary(fc.string({ minLength: 1 }), fc.nat(5)),
    }),
  });

  it('property: healthy exactly when no reason; reasons unique and in the documented order', () => {
    fc.assert(
      fc.property(observation, (obs) => {
        const h = assessCdc(obs, TH, NOW);
        expect(h.healthy).toBe(h.reasons.length === 0);
        const order = h.reasons.map((r) => CDC_REASONS.indexOf(r));
        expect(order).toEqual([...new Set(order)].sort((a, b) => a - b));
      }),
    );
  });

  it('property: more retained WAL or an older heartbeat never removes a reason', () => {
    fc.assert(
      fc.property(observation, fc.nat(2 ** 30), fc.nat(600_000), (obs, moreWal, older) => {
        const worse = {
          ...obs,
          source: {
            ...obs.source,
            slot: obs.source.slot && {
              ...obs.source.slot,
              retainedWalBytes:
                obs.source.slot.retainedWalBytes === null ? null : obs.source.slot.retainedWalBytes + moreWal,
            },
            heartbeatAgeMs: obs.source.heartbeatAgeMs === null ? null : obs.source.heartbeatAgeMs + older,
          },
        };
        const before = assessCdc(obs, TH, NOW).reasons;
        const after = assessCdc(worse, TH, NOW).reasons;
        for (const r of before) expect(after).toContain(r);
      }),
    );
  });
});

describe('connectorObservation', () => {
  it("reads Connect's status body and keeps a failed task's exception and root cause", () => {
    const body = {
      name: 'takt-postgres',
      connector: { state: 'RUNNING', worker_id: '127.0.0.1:8083' },
      tasks: [
        {
          id: 0,
          state: 'FAILED',
          worker_id: '127.0.0.1:8083',
          trace:
            'org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback\n\tat org.apache...\nCaused by: org.apache.kafka.common.errors.RecordTooLargeException: The message is 200523 bytes\n\tat x',
        },
      ],
      type: 'source',
    };
    expect(connectorObservation(200, body)).toEqual({
      kind: 'status',
      state: 'RUNNING',
      tasks: [
        {
          id: 0,
          state: 'FAILED',
          error:
            'org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback | Caused by: org.apache.kafka.common.errors.RecordTooLargeException: The message is 200523 bytes',
        },
      ],
    });
  });

  it('404 is a missing connector; anything else unexpected is an unreachable Connect', () => {
    expect(connectorObservation(404, { error_code: 404 })).toEqual({ kind: 'missing' });
    expect(connectorObservation(500, {}).kind).toBe('unreachable');
    expect(connectorObservation(200, { hello: 1 }).kind).toBe('unreachable');
  });
});

describe('dead letters', () => {
  it('keep key and value and read their origin back from the headers', () => {
    const source = {
      topic: 'takt.public.fact_production',
      partition: 3,
      offset: '12345678901234',
      key: Buffer.from('{"id":"x"}'),
      value: Buffer.from('not json'),
    };
    const m = deadLetterMessage(source, 'value is not JSON', 'projector-mirror');
    expect(m.key).toBe(source.key);
    expect(m.value).toBe(source.value);
    const asDelivered = Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v)]));
    expect(deadLetterOrigin(asDelivered)).toEqual({
      topic: source.topic,
      partition: 3,
      offset: source.offset,
      reason: 'value is not JSON',
      consumer: 'projector-mirror',
    });
    expect(deadLetterOrigin({})).toBeNull();
  });

  it('property: any reason fits a header of bounded size', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 5_000 }), (reason) => {
        const m = deadLetterMessage(
          { topic: 't', partition: 0, offset: '0', key: null, value: null },
          reason,
          'c',
        );
        expect(m.headers['takt-reason']!.length).toBeLessThanOrEqual(1_000);
      }),
    );
  });
});
