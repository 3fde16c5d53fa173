import { randomUUID } from 'node:crypto';
import { sql } from '@takt/clickhouse';
import { waitFor } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../ingest/test/harness.js';
import { expectedBuckets, sumsIn } from './expected.js';
import { type Pipeline, send, startPipeline, storedBuckets } from './harness.js';
import { DAY, factSteps, seedMasterData, WINDOWS } from './scenario.js';

const WHOLE = { start: DAY - 86_400_000, end: DAY + 2 * 86_400_000 };

// Two projector instances in one consumer group per stage split the CDC and dirty partitions between
// them; the buckets are still exactly the domain's, because each equipment has one recompute owner.
describe('projector: two instances', () => {
  let p: Pipeline;
  let t: TestTenant;

  beforeAll(async () => {
    p = await startPipeline({ cdcPartitions: 3, dirtyPartitions: 4 });
    t = await p.ingest.tenant();
    await Promise.all([p.startProjector(), p.startProjector()]);
  });
  afterAll(async () => {
    await p?.close();
  });

  it('share the partitions and agree with the domain', async () => {
    await seedMasterData(p.ingest, t);
    for (const step of factSteps(p.ingest, t)) await step();
    const admin = p.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([p.settings.mirrorGroup, p.settings.recomputeGroup]);
      for (const g of groups) {
        expect(g.members).toHaveLength(2);
        for (const m of g.members) expect(m.memberAssignment.length).toBeGreaterThan(0);
      }
    } finally {
      await admin.disconnect();
    }
    let last: unknown;
    const result = await waitFor(
      async () => {
        const expected = await expectedBuckets(p.ingest, t.id, WHOLE, Date.now());
        const stored = await storedBuckets(p.ch, t.id);
        last = { stored, expected };
        return JSON.stringify(stored) === JSON.stringify(expected) ? { stored, expected } : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500, what: 'buckets to equal the domain' },
    ).catch(() => undefined);
    expect(result ? 'equal' : last).toBe('equal');
    for (const window of WINDOWS)
      expect(sumsIn(result!.stored, window)).toEqual(sumsIn(result!.expected, window));
  });

  it('lands sensor readings in a monthly MergeTree with per-minute roll-ups', async () => {
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const records = Array.from({ length: 300 }, (_, k) => ({
      equipmentCode: 'press-01',
      tag: k % 2 === 0 ? 'temp' : 'spindle/speed:rpm',
      ts: new Date(base + k * 1_500 + 7).toISOString(),
      value: Math.round(Math.sin(k) * 1000) / 10,
    }));
    await send(p.ingest, t, 'POST', '/v1/sensor-batches', { batchId: randomUUID(), records });
    const expected = new Map<string, { min: number; max: number; sum: number; count: number }>();
    for (const r of records) {
      const minute = Math.floor(Date.parse(r.ts) / 60_000) * 60;
      const key = `${r.tag}|${minute}`;
      const e = expected.get(key) ?? { min: Infinity, max: -Infinity, sum: 0, count: 0 };
      expected.set(key, {
        min: Math.min(e.min, r.value),
        max: Math.max(e.max, r.value),
        sum: e.sum + r.value,
        count: e.count + 1,
      });
    }
    const rows = await waitFor(
      async () => {
        const got = await p.ch.query<{
          tag: string;
          m: string;
          min: number;
          max: number;
          sum: number;
          count: string;
        }>(
          sql`SELECT tag, toUInt32(minute) AS m, min, max, sum, count FROM sensor_minute_v1 FINAL WHERE tenant_id = ${t.id}`,
        );
        return got.reduce((a, r) => a + Number(r.count), 0) === records.length ? got : undefined;
      },
      { timeoutMs: 30_000, what: 'sensor minutes' },
    );
    expect(rows).toHaveLength(expected.size);
    for (const r of rows) {
      const e = expected.get(`${r.tag}|${r.m}`)!;
      expect({ min: r.min, max: r.max, count: Number(r.count) }).toEqual({
        min: e.min,
        max: e.max,
        count: e.count,
      });
      expect(r.sum).toBeCloseTo(e.sum, 6);
    }
    const [readings] = await p.ch.query<{ n: string }>(
      sql`SELECT count() AS n FROM sensor_reading_v1 FINAL WHERE tenant_id = ${t.id} AND is_deleted = 0`,
    );
    expect(Number(readings?.n)).toBe(records.length);
  });
});
