import { randomUUID } from 'node:crypto';
import { createClickHouse, sql } from '@takt/clickhouse';
import { createMetricsRegistry } from '@takt/http';
import { createLogger } from '@takt/log';
import { stack, waitFor } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../ingest/test/harness.js';
import { createProjectorMetrics } from '../src/metrics.js';
import { rebuild } from '../src/rebuild.js';
import { expectedBuckets, sumsIn } from './expected.js';
import { type Pipeline, type StoredBucket, send, startPipeline, storedBuckets } from './harness.js';
import { at, DAY, factSteps, seedMasterData, WINDOWS } from './scenario.js';

const WHOLE = { start: DAY - 86_400_000, end: DAY + 2 * 86_400_000 };

async function caughtUp(
  p: Pipeline,
  t: TestTenant,
): Promise<{ stored: StoredBucket[]; expected: StoredBucket[] }> {
  let last: { stored: StoredBucket[]; expected: StoredBucket[] } | undefined;
  try {
    return await waitFor(
      async () => {
        const expected = await expectedBuckets(p.ingest, t.id, WHOLE, Date.now());
        const stored = await storedBuckets(p.ch, t.id);
        last = { stored, expected };
        return JSON.stringify(stored) === JSON.stringify(expected) ? last : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500, what: 'oee_bucket to equal the domain over the Postgres facts' },
    );
  } catch (err) {
    // The diff says more than the timeout.
    expect(last?.stored).toEqual(last?.expected);
    throw err;
  }
}

// Acceptance: facts posted through the ingest API, carried by a private Debezium connector, projected
// into ClickHouse, equal what @takt/domain computes over the same facts read back from Postgres.
describe('projector: scenario through the ingest API', () => {
  let p: Pipeline;
  let t: TestTenant;

  beforeAll(async () => {
    p = await startPipeline();
    t = await p.ingest.tenant();
    await p.startProjector();
  });
  afterAll(async () => {
    await p?.close();
  });

  it('oee_bucket equals the domain math over the facts, for several windows', async () => {
    await seedMasterData(p.ingest, t);
    for (const step of factSteps(p.ingest, t)) await step();
    const { stored, expected } = await caughtUp(p, t);
    expect(expected.length).toBeGreaterThan(40);
    for (const window of WINDOWS) expect(sumsIn(stored, window)).toEqual(sumsIn(expected, window));
    // Both products, the corrected stop and both planned stops made it in.
    const total = sumsIn(stored, WINDOWS[0]!);
    const all = Object.values(total).reduce((a, s) => ({ pq: a.pq + s.pq, pdot: a.pdot + s.pdot_ms }), {
      pq: 0,
      pdot: 0,
    });
    expect(all.pq).toBe(28 + 100 + 900 + 400 + 1200 + 500);
    expect(all.pdot).toBe(30 * 60_000 + 20 * 60_000);

    // Downtime buckets agree with the components: unplanned downtime = PBT − APT per equipment.
    const down = await p.ch.query<{ equipment_id: string; planned: number; d: string }>(
      sql`SELECT equipment_id, planned, sum(duration_ms) AS d FROM downtime_bucket_v1 FINAL
           WHERE tenant_id = ${t.id} AND is_deleted = 0 GROUP BY equipment_id, planned`,
    );
    for (const [equipment, s] of Object.entries(sumsIn(stored, WHOLE))) {
      const of = (planned: number) =>
        Number(down.find((r) => r.equipment_id === equipment && Number(r.planned) === planned)?.d ?? 0);
      expect(of(1)).toBe(s.pdot_ms);
      expect(of(0)).toBe(s.pot_ms - s.pdot_ms - s.apt_ms);
    }
  });

  it('the same CDC events delivered again leave identical buckets', async () => {
    const before = await storedBuckets(p.ch, t.id);
    // Replaying every topic from the start under a fresh pair of groups delivers each event a second time.
    const again = await p.startProjector({
      mirrorGroup: `${p.prefix}-mirror-again`,
      recomputeGroup: `${p.prefix}-recompute-again`,
    });
    const admin = p.kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        async () => {
          const offsets = await admin.fetchOffsets({
            groupId: `${p.prefix}-mirror-again`,
            topics: [`${p.prefix}.public.fact_equipment_state`],
          });
          const ends = await admin.fetchTopicOffsets(`${p.prefix}.public.fact_equipment_state`);
          return offsets[0]!.partitions.every(
            (part) => part.offset === ends.find((e) => e.partition === part.partition)?.high,
          );
        },
        { timeoutMs: 30_000, what: 'the replay to reach the end of the state topic' },
      );
    } finally {
      await admin.disconnect();
    }
    await again.stop();
    const { stored } = await caughtUp(p, t);
    expect(stored).toEqual(before);
  });

  it('rebuild replays into fresh tables and swaps them in, while the projector keeps running', async () => {
    const before = await storedBuckets(p.ch, t.id);
    const s = stack();
    const adminCh = createClickHouse({
      url: s.clickhouseUrl,
      username: s.clickhouseUser,
      password: s.clickhousePassword,
    });
    const seen: string[] = [];
    try {
      const result = await rebuild({
        ch: p.ch,
        adminCh,
        kafka: p.kafka,
        database: p.chDb.name,
        topicPrefix: p.prefix,
        dirtyTopic: p.settings.dirtyTopic,
        ...(p.settings.appliedTopic ? { appliedTopic: p.settings.appliedTopic } : {}),
        mirrorGroup: p.settings.mirrorGroup,
        logger: createLogger({ service: 'projector', level: 'silent' }),
        metrics: createProjectorMetrics(createMetricsRegistry('projector')),
        clock: Date.now,
        onProgress: (phase, done, total) => seen.push(`${phase}:${done}/${total}`),
      });
      expect(result.events).toBeGreaterThan(30);
    } finally {
      await adminCh.close();
    }
    expect(seen.some((x) => x.startsWith('recompute:'))).toBe(true);
    expect(await storedBuckets(p.ch, t.id)).toEqual(before);
    // The live projector writes into the swapped-in tables.
    await send(p.ingest, t, 'POST', '/v1/production-counts', {
      batchId: randomUUID(),
      records: [
        {
          equipmentCode: 'weld-01',
          productCode: 'hinge',
          start: at('12:30'),
          end: at('12:59'),
          total: 7,
          good: 7,
        },
      ],
    });
    const { stored } = await caughtUp(p, t);
    expect(stored).not.toEqual(before);
  });
});
