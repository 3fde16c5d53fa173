import type { AddressInfo } from 'node:net';
import {
  type ComponentRow,
  GRANULARITIES,
  type Granularity,
  type Interval,
  intersect,
  normalize,
  type Shift,
  secondsOf,
  shiftOwnership,
  subtract,
  sumComponents,
  totalLength,
} from '@takt/domain';
import { createMetricsRegistry, type TaktApp } from '@takt/http';
import { createLogger } from '@takt/log';
import { fetchRetryingLater, stack, waitFor } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestHarness, TestTenant } from '../../ingest/test/harness.js';
import { expectedBuckets } from '../../projector/test/expected.js';
import {
  type Pipeline,
  type StoredBucket,
  startPipeline,
  storedBuckets,
} from '../../projector/test/harness.js';
import { IngestClient } from '../../simulator/src/client.js';
import { Simulator } from '../../simulator/src/model.js';
import { buildPlant, type Plant } from '../../simulator/src/plant.js';
import { run } from '../../simulator/src/run.js';
import { buildApp } from '../src/app.js';
import { FragmentCache } from '../src/fragments.js';
import { kafkaLagProbe, type LagProbe } from '../src/freshness.js';
import { invalidationFeed } from '../src/invalidation.js';
import type { OeeFragment } from '../src/oee.js';
import { expectedKpis, expectedOee, type Fixture, targetsOf } from './plant-fixture.js';

/**
 * The whole pipeline, end to end: the simulator posts a plant's facts over real HTTP to the ingest
 * service, a private Debezium connector carries Postgres's WAL to Kafka, both projector stages build
 * ClickHouse, and the query app answers from it. Every answer must equal what @takt/domain (or, for
 * the Pareto and the sensor series, a direct computation) gives over the facts read back from Postgres.
 */

const SEED = 'e2e-pipeline';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (text: string): number => Date.parse(text);
const iso = (ms: number): string => new Date(ms).toISOString();
const win = (from: string, to: string): Interval => ({ start: at(from), end: at(to) });

// Friday to Tuesday: two Berlin working days, Kolkata's night shifts across local midnight, the weekend
// with Berlin's fall-back Sunday, and at --to a Kolkata night shift still running with its state open.
const FROM = at('2026-10-23T00:00:00Z');
const TO = at('2026-10-27T00:00:00Z');
/** Everything the facts can touch, with room on both sides; the end is moved up to the evaluation time. */
const HISTORY_START = at('2026-10-16T00:00:00Z');

// Europe/Berlin's 2026-10-25 runs from 00:00 CEST to 00:00 CET: 25 hours.
const DST_DAY = win('2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z');
// A fixed id keeps reruns identical; each run has a database of its own.
const SUNDAY_SHIFT_ID = '2f0c3a52-6c1e-4d6a-9d0e-25a0c7e1d025';

let p: Pipeline;
let t: TestTenant;
let other: TestTenant;
let query: TaktApp;
let ingestUrl: string;
let probe: LagProbe;
/** The query app's clock, so KPIs over open maintenance work are evaluated at a known instant. */
let now: number;
let fx: Fixture;
let states: PgState[];

const codes = {
  berlin: '',
  kolkata: '',
  berlinLine: '',
  kolkataLine: '',
  equipment: [] as string[],
  product: '',
};

async function call(url: string, key: string, method: 'PUT' | 'POST', path: string, body: object) {
  const res = await fetchRetryingLater(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

async function get(tenant: TestTenant, url: string, params: Record<string, string>) {
  const res = await query.inject({ method: 'GET', url, query: params, headers: tenant.auth('read') });
  return { status: res.statusCode, type: String(res.headers['content-type']), body: res.json() };
}

interface PgState {
  equipmentId: string;
  state: string;
  reasonId: string | null;
  start: number;
  end: number | null;
}

/** The tenant's plant and facts as Postgres holds them, with the domain's component rows per equipment. */
async function factsOf(h: IngestHarness, tenantId: string, evaluatedAt: number) {
  const ms = (d: Date | null) => (d === null ? null : d.getTime());
  const [sites, lines, equipment, shifts, reasons, stateRows, maintenance] = await Promise.all([
    h.sql<{ id: string; code: string; time_zone: string }>(
      'SELECT id, code, time_zone FROM dim_site WHERE tenant_id = $1',
      [tenantId],
    ),
    h.sql<{ id: string; code: string; site_id: string }>(
      'SELECT id, code, site_id FROM dim_line WHERE tenant_id = $1',
      [tenantId],
    ),
    h.sql<{ id: string; code: string; line_id: string; deleted_at: Date | null }>(
      'SELECT id, code, line_id, deleted_at FROM dim_equipment WHERE tenant_id = $1',
      [tenantId],
    ),
    h.sql<{
      id: string;
      name: string;
      line_id: string | null;
      equipment_id: string | null;
      start_at: Date;
      end_at: Date;
    }>('SELECT id, name, line_id, equipment_id, start_at, end_at FROM fact_shift WHERE tenant_id = $1', [
      tenantId,
    ]),
    h.sql<{ id: string; code: string; name: string; planned: boolean }>(
      'SELECT id, code, name, planned FROM dim_downtime_reason WHERE tenant_id = $1',
      [tenantId],
    ),
    h.sql<{
      equipment_id: string;
      state: string;
      reason_id: string | null;
      start_at: Date;
      end_at: Date | null;
    }>(
      'SELECT equipment_id, state, reason_id, start_at, end_at FROM fact_equipment_state WHERE tenant_id = $1',
      [tenantId],
    ),
    h.sql<{ equipment_id: string; kind: 'corrective' | 'preventive'; start_at: Date; end_at: Date | null }>(
      'SELECT equipment_id, kind, start_at, end_at FROM fact_maintenance WHERE tenant_id = $1',
      [tenantId],
    ),
  ]);
  const buckets = await expectedBuckets(h, tenantId, { start: HISTORY_START, end: evaluatedAt }, evaluatedAt);
  const components = new Map<string, ComponentRow[]>();
  for (const b of buckets) {
    const rows = components.get(b.equipment_id) ?? [];
    components.set(b.equipment_id, rows);
    rows.push({
      bucketStart: b.b,
      shiftId: b.shift_id,
      pot: b.pot_ms,
      pdot: b.pdot_ms,
      apt: b.apt_ms,
      pq: b.pq,
      gq: b.gq,
      sq: b.sq,
      rq: b.rq,
      ideal: b.ideal_ms,
    });
  }
  const fixture: Fixture = {
    tenantId,
    sites: sites.map((s) => ({ id: s.id, code: s.code, timeZone: s.time_zone })),
    lines: lines.map((l) => ({ id: l.id, code: l.code, siteId: l.site_id })),
    equipment: equipment.map((e) => ({
      id: e.id,
      code: e.code,
      lineId: e.line_id,
      deleted: e.deleted_at !== null,
    })),
    shifts: shifts.map((s) => ({
      id: s.id,
      name: s.name,
      owner: s.equipment_id === null ? 'line' : 'equipment',
      start: s.start_at.getTime(),
      end: s.end_at.getTime(),
      lineId: s.line_id ?? '',
      equipmentId: s.equipment_id ?? '',
    })),
    reasons: reasons.map((r) => ({ id: r.id, code: r.code, name: r.name, planned: r.planned })),
    components,
    downtime: [],
    maintenance: maintenance.map((m) => ({
      equipmentId: m.equipment_id,
      kind: m.kind,
      start: m.start_at.getTime(),
      end: ms(m.end_at),
    })),
  };
  const pgStates: PgState[] = stateRows.map((s) => ({
    equipmentId: s.equipment_id,
    state: s.state,
    reasonId: s.reason_id,
    start: s.start_at.getTime(),
    end: ms(s.end_at),
  }));
  return { fixture, states: pgStates, buckets };
}

/** Says which rows differ instead of printing thousands of them. */
function bucketDiff(stored: readonly StoredBucket[], expected: readonly StoredBucket[]): string {
  const key = (r: StoredBucket) => `${r.equipment_id}|${iso(r.b)}|${r.shift_id}`;
  const storedBy = new Map(stored.map((r) => [key(r), JSON.stringify(r)]));
  const expectedBy = new Map(expected.map((r) => [key(r), JSON.stringify(r)]));
  const lines: string[] = [];
  for (const [k, e] of expectedBy) {
    const s = storedBy.get(k);
    if (s !== e) lines.push(`  ${k}\n    stored   ${s ?? '(none)'}\n    expected ${e}`);
  }
  for (const [k, s] of storedBy)
    if (!expectedBy.has(k)) lines.push(`  ${k}\n    stored   ${s}\n    expected (none)`);
  return `${lines.length} of ${stored.length} stored / ${expected.length} expected rows differ:\n${lines.slice(0, 12).join('\n')}`;
}

beforeAll(async () => {
  p = await startPipeline();
  t = await p.ingest.tenant();
  other = await p.ingest.tenant();
  await p.ingest.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(p.ingest.app.server.address() as AddressInfo).port}`;
  ingestUrl = url;
  await p.startProjector();

  const plant: Plant = buildPlant({ machines: 4, lines: 2, seed: SEED });
  const zoneOfLine = (lineCode: string) =>
    plant.sites.find((s) => s.code === plant.lines.find((l) => l.code === lineCode)?.siteCode)?.timeZone;
  codes.berlin = plant.sites.find((s) => s.timeZone === 'Europe/Berlin')!.code;
  codes.kolkata = plant.sites.find((s) => s.timeZone === 'Asia/Kolkata')!.code;
  codes.berlinLine = plant.lines.find((l) => zoneOfLine(l.code) === 'Europe/Berlin')!.code;
  codes.kolkataLine = plant.lines.find((l) => zoneOfLine(l.code) === 'Asia/Kolkata')!.code;
  codes.equipment = plant.equipment.map((e) => e.code);
  codes.product = plant.products[0]!.code;

  const summary = await run({
    simulator: new Simulator({ plant, seed: SEED, sensorIntervalMs: 5 * MINUTE }),
    target: new IngestClient({ baseUrl: url, adminKey: t.keys.admin, ingestKey: t.keys.ingest }),
    masterData: true,
    from: FROM,
    to: TO,
    live: false,
    chunkMs: 6 * HOUR,
    tickMs: 1_000,
    concurrency: 4,
  });
  expect(summary.posted).toEqual(summary.generated);

  // The simulator's lines work Monday to Friday, so its Berlin Sunday would be all zeros and would
  // prove the 25-hour bucket only by its bounds; a shift over the whole local day puts time into it.
  await call(url, t.keys.ingest, 'POST', '/v1/shifts', {
    batchId: '6b1d9c1e-3f55-4c0f-8a43-1f3c0a9e5d25',
    records: [
      {
        id: SUNDAY_SHIFT_ID,
        lineCode: codes.berlinLine,
        name: 'Sunday service',
        start: iso(DST_DAY.start),
        end: iso(DST_DAY.end),
      },
    ],
  });

  // Another tenant's plant, written last: once its site answers, Debezium has passed every change
  // before it, and the freshness barrier below then means the projector applied them all.
  await call(url, other.keys.admin, 'PUT', '/v1/sites/elsewhere', { name: 'Elsewhere', timeZone: 'UTC' });
  await call(url, other.keys.admin, 'PUT', '/v1/lines/elsewhere-line', {
    name: 'Elsewhere line',
    siteCode: 'elsewhere',
  });

  const s = stack();
  probe = kafkaLagProbe({
    brokers: s.kafkaBrokers,
    topicPrefix: p.prefix,
    mirrorGroup: p.settings.mirrorGroup,
    recomputeGroup: p.settings.recomputeGroup,
    dirtyTopic: p.settings.dirtyTopic,
  });
  now = Date.now();
  query = await buildApp({
    clickhouse: p.ch,
    logger: createLogger({ service: 'query', level: 'silent' }),
    metrics: createMetricsRegistry('query'),
    lagProbe: probe,
    clock: () => now,
    resolveKey: p.ingest.keys.resolve,
    plantCacheTtlMs: 0,
    resultCacheTtlMs: 0,
  });
  await query.ready();

  await waitFor(
    async () =>
      (
        await get(other, '/v1/oee', {
          scope: 'site',
          ids: 'elsewhere',
          granularity: 'total',
          from: '2026-10-01T00:00:00Z',
          to: '2026-11-01T00:00:00Z',
        })
      ).status === 200,
    { timeoutMs: 90_000, intervalMs: 250, what: "the other tenant's key and site to be mirrored" },
  );
  await waitFor(async () => (await get(t, '/v1/freshness', {})).body.caughtUp === true, {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: '/v1/freshness to report the projector caught up',
  });

  // The buckets are only final once the projector recomputed them after the last fact; the freshness
  // barrier makes that likely, the domain over Postgres makes it certain.
  let last = { stored: [] as StoredBucket[], expected: [] as StoredBucket[] };
  try {
    await waitFor(
      async () => {
        const evaluatedAt = Date.now();
        const facts = await factsOf(p.ingest, t.id, evaluatedAt);
        last = { stored: await storedBuckets(p.ch, t.id), expected: facts.buckets };
        if (JSON.stringify(last.stored) !== JSON.stringify(last.expected)) return false;
        fx = facts.fixture;
        states = facts.states;
        return true;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 1_000,
        what: 'oee_bucket to equal the domain over the Postgres facts',
      },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${bucketDiff(last.stored, last.expected)}`);
  }
}, 240_000);

afterAll(async () => {
  await query?.close();
  await probe?.close();
  await p?.close();
}, 60_000);

const params = (scope: string, ids: readonly string[], granularity: Granularity, w: Interval) => ({
  scope,
  ids: ids.join(','),
  granularity,
  from: iso(w.start),
  to: iso(w.end),
});

type Scope = 'equipment' | 'line' | 'site';
const scopes = (): [Scope, string[]][] => [
  ['equipment', codes.equipment],
  ['line', [codes.berlinLine, codes.kolkataLine]],
  ['site', [codes.berlin, codes.kolkata]],
];

// Each window within its granularity's limit (docs/oee.md §10); the long ones reach past the facts on both
// sides, the short ones cut into them (the run carries in Thursday's Kolkata night shift).
const CASES: [Granularity, Interval][] = [
  ['15m', win('2026-10-23T00:00:00Z', '2026-10-27T06:00:00Z')],
  ['hour', win('2026-10-23T00:00:00+02:00', '2026-10-28T00:00:00+01:00')],
  ['shift', win('2026-10-22T12:00:00Z', '2026-10-27T12:00:00Z')],
  ['day', win('2026-10-19T00:00:00Z', '2026-11-02T00:00:00Z')],
  ['week', win('2026-09-28T00:00:00Z', '2026-11-30T00:00:00Z')],
  ['month', win('2026-08-01T00:00:00Z', '2026-12-01T00:00:00Z')],
  ['total', win('2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z')],
  // Cuts through shifts and states: clipped buckets are still exact sums of 15-minute components.
  ['total', win('2026-10-26T10:15:00Z', '2026-10-26T17:45:00Z')],
];

describe('the pipeline carried the facts', () => {
  it('oee_bucket equals the domain over the Postgres facts, and the plant did something', async () => {
    const stored = await storedBuckets(p.ch, t.id);
    const expected = (await factsOf(p.ingest, t.id, Date.now())).buckets;
    if (JSON.stringify(stored) !== JSON.stringify(expected)) throw new Error(bucketDiff(stored, expected));
    const all = sumComponents([...fx.components.values()].flat());
    expect(all.pq).toBeGreaterThan(1_000);
    expect(all.apt).toBeGreaterThan(0);
    expect(all.pdot).toBeGreaterThan(0);
    expect(all.pot - all.pdot - all.apt).toBeGreaterThan(0);
    expect(new Set(stored.map((r) => r.equipment_id)).size).toBe(4);
    // The open states the run left behind are still open: the expectation used the same "now" rule.
    expect(states.filter((s) => s.end === null)).toHaveLength(4);
  });

  it('a state left open at --to counts until its shift ends, and nothing after that does', async () => {
    // Kolkata's Monday night shift runs to 00:30 UTC, half an hour past --to.
    const kolkata = fx.equipment.filter(
      (e) => fx.lines.find((l) => l.id === e.lineId)?.code === codes.kolkataLine,
    );
    expect(kolkata).toHaveLength(2);
    const res = await get(t, '/v1/oee', {
      scope: 'equipment',
      ids: kolkata.map((e) => e.code).join(','),
      granularity: '15m',
      from: iso(TO),
      to: iso(TO + HOUR),
    });
    for (const e of kolkata) {
      const open = states.find((s) => s.equipmentId === e.id && s.end === null)!;
      expect(open.start).toBeLessThan(TO);
      const field = {
        running: 'productionS',
        planned_stop: 'plannedDowntimeS',
        stopped: 'unplannedDowntimeS',
      }[open.state]!;
      const rows = res.body.rows.filter((r: { scopeId: string }) => r.scopeId === e.code);
      expect(rows.map((r: Record<string, number>) => [r.plannedOperationS, r[field]])).toEqual([
        [900, 900],
        [900, 900],
        [0, 0],
        [0, 0],
      ]);
    }
  });

  it('/v1/freshness reports the projector caught up', async () => {
    const res = await get(t, '/v1/freshness', {});
    expect(res.status).toBe(200);
    expect(res.body.lastAppliedLsn).toBeGreaterThan(0);
    expect(res.body.lastEventAt).not.toBeNull();
  });
});

describe('/v1/oee equals @takt/domain over the Postgres facts', () => {
  for (const granularity of GRANULARITIES) {
    it(`every scope, granularity=${granularity}`, async () => {
      const cases = CASES.filter(([g]) => g === granularity);
      expect(cases.length).toBeGreaterThan(0);
      for (const [g, window] of cases) {
        for (const [scope, ids] of scopes()) {
          const res = await get(t, '/v1/oee', params(scope, ids, g, window));
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          const expected = expectedOee(fx, scope, ids, window, g);
          expect(res.body.rows).toEqual(expected);
          // Every id had production in the window: the comparison is not one of zeros.
          for (const id of ids) {
            const mine = expected.filter((r) => r.scopeId === id);
            expect(mine.length, `${scope} ${id}`).toBeGreaterThan(0);
            expect(
              mine.some((r) => r.produced > 0 && r.oee !== null && r.oee > 0),
              `${scope} ${id} ${g}`,
            ).toBe(true);
          }
        }
      }
    });
  }
});

describe('local time', () => {
  it("Berlin's fall-back day is one 25-hour day row and 25 hour rows", async () => {
    const day = await get(t, '/v1/oee', {
      scope: 'site',
      ids: codes.berlin,
      granularity: 'day',
      from: '2026-10-25T00:00:00+02:00',
      to: '2026-10-26T00:00:00+01:00',
    });
    expect(day.body.rows).toHaveLength(1);
    const [row] = day.body.rows;
    expect([row.bucketStart, row.bucketEnd]).toEqual([iso(DST_DAY.start), iso(DST_DAY.end)]);
    // Both Berlin machines are planned for the whole Sunday: 2 × 25 h of machine time, all planned stop.
    expect(row.plannedOperationS).toBe(2 * 25 * 3_600);
    expect(row.plannedDowntimeS).toBe(2 * 25 * 3_600);
    expect(row.availability).toBeNull();
    expect(day.body.rows).toEqual(
      expectedOee(fx, 'site', [codes.berlin], { start: DST_DAY.start, end: DST_DAY.end }, 'day'),
    );

    // Inside a longer window the Sunday is still one row of 25 h, between two 24-hour days.
    const week = await get(t, '/v1/oee', {
      scope: 'line',
      ids: codes.berlinLine,
      granularity: 'day',
      from: '2026-10-24T00:00:00+02:00',
      to: '2026-10-27T00:00:00+01:00',
    });
    expect(
      week.body.rows.map(
        (r: { bucketStart: string; bucketEnd: string }) => (at(r.bucketEnd) - at(r.bucketStart)) / HOUR,
      ),
    ).toEqual([24, 25, 24]);

    const hours = await get(t, '/v1/oee', {
      scope: 'site',
      ids: codes.berlin,
      granularity: 'hour',
      from: '2026-10-25T00:00:00+02:00',
      to: '2026-10-26T00:00:00+01:00',
    });
    expect(hours.body.rows).toHaveLength(25);
    expect(
      hours.body.rows.every((r: { plannedOperationS: number }) => r.plannedOperationS === 2 * 3_600),
    ).toBe(true);

    const shifts = await get(t, '/v1/oee', {
      scope: 'equipment',
      ids: codes.equipment.join(','),
      granularity: 'shift',
      from: iso(DST_DAY.start),
      to: iso(DST_DAY.end),
    });
    const sunday = shifts.body.rows.filter((r: { shift: { id: string } }) => r.shift.id === SUNDAY_SHIFT_ID);
    expect(sunday).toHaveLength(2);
    expect(sunday.map((r: { plannedOperationS: number }) => r.plannedOperationS)).toEqual([90_000, 90_000]);
  });

  it('Kolkata (+05:30) hours start at :30 UTC and days at 18:30 UTC', async () => {
    const hours = await get(t, '/v1/oee', {
      scope: 'site',
      ids: codes.kolkata,
      granularity: 'hour',
      from: '2026-10-26T00:00:00Z',
      to: '2026-10-26T06:00:00Z',
    });
    expect(hours.body.rows.map((r: { bucketStart: string }) => r.bucketStart.slice(11, 19))).toEqual([
      '00:00:00',
      '00:30:00',
      '01:30:00',
      '02:30:00',
      '03:30:00',
      '04:30:00',
      '05:30:00',
    ]);
    const days = await get(t, '/v1/oee', {
      scope: 'line',
      ids: codes.kolkataLine,
      granularity: 'day',
      from: '2026-10-23T00:00:00+05:30',
      to: '2026-10-27T00:00:00+05:30',
    });
    expect(days.body.rows.map((r: { bucketStart: string }) => r.bucketStart)).toEqual([
      '2026-10-22T18:30:00.000Z',
      '2026-10-23T18:30:00.000Z',
      '2026-10-24T18:30:00.000Z',
      '2026-10-25T18:30:00.000Z',
    ]);
    // Friday's night shift ends on Saturday morning; Sunday has no shift at all; Monday works.
    expect(days.body.rows.map((r: { plannedOperationS: number }) => r.plannedOperationS > 0)).toEqual([
      true,
      true,
      false,
      true,
    ]);
    expect(days.body.rows).toEqual(
      expectedOee(
        fx,
        'line',
        [codes.kolkataLine],
        win('2026-10-22T18:30:00Z', '2026-10-26T18:30:00Z'),
        'day',
      ),
    );
  });
});

const KPI_WINDOWS = [
  win('2026-10-22T00:00:00Z', '2026-10-28T00:00:00Z'),
  win('2026-10-26T10:15:00Z', '2026-10-26T17:45:00Z'),
];

describe('/v1/kpis equals the domain over the Postgres facts', () => {
  it('every scope, a whole and a partial window', async () => {
    let failures = 0;
    for (const window of KPI_WINDOWS) {
      for (const [scope, ids] of scopes()) {
        const res = await get(t, '/v1/kpis', {
          scope,
          ids: ids.join(','),
          from: iso(window.start),
          to: iso(window.end),
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const expected = expectedKpis(fx, scope, ids, window, now);
        expect(res.body.rows).toEqual(expected);
        if (scope === 'site') failures += expected.reduce((n, r) => n + r.failures, 0);
      }
    }
    // Breakdowns with repairs happened, so MTBF and MTTR were computed from something.
    expect(failures).toBeGreaterThan(0);
  });
});

interface ParetoExpected {
  reasonCode: string | null;
  reasonName: string | null;
  planned: boolean;
  durationS: number;
  occurrences: number;
  cumulativeShare: number;
}

/**
 * Downtime inside POT straight from the state intervals, as docs/oee.md §13 defines it: planned_stop is
 * planned, stopped and time without any state are unplanned; a state ends where the next one starts and
 * an open one at now. An occurrence is one stretch of a downtime interval inside one shift's POT, and
 * belongs to the window its first instant lies in.
 */
function expectedPareto(scope: Scope, ids: readonly string[], window: Interval): ParetoExpected[] {
  const members = new Map(targetsOf(fx, scope, ids).flatMap((x) => x.members.map((e) => [e.id, e])));
  const totals = new Map<string, { reasonId: string | null; planned: boolean; ms: number; n: number }>();
  const add = (reasonId: string | null, planned: boolean, ms: number, n: number) => {
    const key = `${reasonId}|${planned}`;
    const entry = totals.get(key) ?? { reasonId, planned, ms: 0, n: 0 };
    totals.set(key, entry);
    entry.ms += ms;
    entry.n += n;
  };
  for (const e of members.values()) {
    const applying: Shift[] = fx.shifts.filter(
      (s) => s.equipmentId === e.id || (s.equipmentId === '' && s.lineId === e.lineId),
    );
    const ordered = states
      .filter((s) => s.equipmentId === e.id)
      .sort((a, b) => a.start - b.start || (a.end ?? now) - (b.end ?? now));
    const spans = ordered.map((s, k) => ({
      ...s,
      end: Math.min(s.end ?? now, ordered[k + 1]?.start ?? Number.POSITIVE_INFINITY),
    }));
    const known = normalize(spans.map((s) => ({ start: s.start, end: s.end })));
    for (const { owned } of shiftOwnership(applying)) {
      const pot = intersect(owned, [{ start: Number.NEGATIVE_INFINITY, end: now }]);
      const downtime = [
        ...spans
          .filter((s) => s.state === 'stopped' || s.state === 'planned_stop')
          .map((s) => ({
            span: { start: s.start, end: s.end },
            reasonId: s.reasonId,
            planned: s.state === 'planned_stop',
          })),
        ...subtract(pot, known).map((span) => ({ span, reasonId: null, planned: false })),
      ];
      for (const d of downtime) {
        for (const piece of intersect(pot, [d.span])) {
          const inside = totalLength(intersect([piece], [window]));
          const starts = piece.start >= window.start && piece.start < window.end ? 1 : 0;
          if (inside > 0 || starts > 0) add(d.reasonId, d.planned, inside, starts);
        }
      }
    }
  }
  const reasons = new Map(fx.reasons.map((r) => [r.id, r]));
  const rows = [...totals.values()]
    .filter((r) => r.ms > 0 || r.n > 0)
    .map((r) => ({
      reasonCode: r.reasonId === null ? null : (reasons.get(r.reasonId)?.code ?? null),
      reasonName: r.reasonId === null ? null : (reasons.get(r.reasonId)?.name ?? null),
      planned: r.planned,
      ms: r.ms,
      n: r.n,
    }))
    // Longest first; ties (rare with millisecond durations) by frequency, then named reasons by code.
    .sort(
      (a, b) =>
        b.ms - a.ms ||
        b.n - a.n ||
        (a.reasonCode === null ? 1 : 0) - (b.reasonCode === null ? 1 : 0) ||
        (a.reasonCode ?? '').localeCompare(b.reasonCode ?? '') ||
        Number(a.planned) - Number(b.planned),
    );
  const total = rows.reduce((sum, r) => sum + r.ms, 0);
  let running = 0;
  return rows.map((r) => {
    running += r.ms;
    return {
      reasonCode: r.reasonCode,
      reasonName: r.reasonName,
      planned: r.planned,
      durationS: secondsOf(r.ms),
      occurrences: r.n,
      cumulativeShare: total === 0 ? 0 : running / total,
    };
  });
}

describe('/v1/downtime/pareto equals the downtime computed from the Postgres states', () => {
  it('every scope, a whole and a partial window', async () => {
    for (const window of KPI_WINDOWS) {
      for (const [scope, ids] of [...scopes(), ['equipment', [codes.equipment[0]!, codes.equipment[3]!]]] as [
        Scope,
        string[],
      ][]) {
        const res = await get(t, '/v1/downtime/pareto', {
          scope,
          ids: ids.join(','),
          from: iso(window.start),
          to: iso(window.end),
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const expected = expectedPareto(scope, ids, window);
        expect(res.body.rows).toEqual(expected);
        expect(expected.length).toBeGreaterThan(1);
      }
    }
    // Planned and unplanned downtime, named reasons and the unattributed gap all appear over the plant.
    const plantWide = expectedPareto('site', [codes.berlin, codes.kolkata], KPI_WINDOWS[0]!);
    expect(plantWide.some((r) => r.planned)).toBe(true);
    expect(plantWide.some((r) => !r.planned && r.reasonCode !== null)).toBe(true);
    expect(plantWide.some((r) => r.reasonCode === null)).toBe(true);
  });
});

describe('/v1/sensors/series equals the readings in Postgres', () => {
  const STEP_MS = { '1m': MINUTE, '5m': 5 * MINUTE, '15m': 15 * MINUTE, '1h': HOUR } as const;
  const SERIES: [number, string, keyof typeof STEP_MS, Interval][] = [
    [1, 'temperature', '1h', { start: FROM - HOUR, end: TO + HOUR }],
    [2, 'power', '15m', win('2026-10-26T00:00:00Z', '2026-10-27T00:00:00Z')],
    [0, 'spindle_speed', '1m', win('2026-10-26T05:00:00Z', '2026-10-26T11:00:00Z')],
  ];

  for (const [index, tag, step, window] of SERIES) {
    it(`equipment #${index + 1}, ${tag}, step=${step}`, async () => {
      const code = codes.equipment[index]!;
      const equipment = fx.equipment.find((e) => e.code === code)!;
      const readings = await p.ingest.sql<{ ts: Date; value: number }>(
        `SELECT ts, value FROM fact_sensor_reading
          WHERE tenant_id = $1 AND equipment_id = $2 AND tag = $3 AND ts >= $4 AND ts < $5 ORDER BY ts`,
        [t.id, equipment.id, tag, new Date(window.start), new Date(window.end)],
      );
      const steps = new Map<number, number[]>();
      for (const r of readings) {
        const s = Math.floor(r.ts.getTime() / STEP_MS[step]) * STEP_MS[step];
        steps.set(s, [...(steps.get(s) ?? []), r.value]);
      }
      const expected = [...steps.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([s, values]) => ({
          ts: iso(s),
          min: Math.min(...values),
          max: Math.max(...values),
          count: values.length,
          avg: values.reduce((sum, v) => sum + v, 0) / values.length,
        }));
      expect(expected.length).toBeGreaterThan(10);

      const res = await get(t, '/v1/sensors/series', {
        equipmentCode: code,
        tag,
        step,
        from: iso(window.start),
        to: iso(window.end),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const points = res.body.points as {
        ts: string;
        min: number;
        max: number;
        avg: number;
        count: number;
      }[];
      // Readings are posted as short decimals (what the simulator and real machines send), so extremes
      // come back exactly, although ClickHouse 18.16 stores them one unit in the last place off.
      const exact = ({ ts, count, min, max }: { ts: string; count: number; min: number; max: number }) => ({
        ts,
        count,
        min,
        max,
      });
      expect(points.map(exact)).toEqual(expected.map(exact));
      points.forEach((point, k) => {
        // The sum is added up in an order of ClickHouse's own.
        expect(point.avg).toBeCloseTo(expected[k]!.avg, 9);
      });
    });
  }
});

describe('tenancy', () => {
  const window = { from: '2026-10-22T00:00:00Z', to: '2026-10-28T00:00:00Z' };

  it("another tenant's read key gets 404 for this tenant's codes, like for unknown ones", async () => {
    for (const [scope, ids] of scopes()) {
      for (const url of ['/v1/oee', '/v1/kpis', '/v1/downtime/pareto']) {
        const q = { scope, ids: ids[0]!, ...window, ...(url === '/v1/oee' ? { granularity: 'day' } : {}) };
        const theirs = await get(other, url, q);
        expect(theirs.status, `${url} ${scope}`).toBe(404);
        expect(theirs.type).toMatch(/^application\/problem\+json/);
        expect(theirs.body.errors).toEqual([
          { pointer: '/query/ids', detail: `no ${scope} with code "${ids[0]}"` },
        ]);
        const unknown = await get(other, url, { ...q, ids: 'no-such-code' });
        const strip = (body: Record<string, unknown>, code: string) =>
          JSON.stringify({ ...body, requestId: undefined }).replaceAll(code, 'X');
        expect(strip(theirs.body, ids[0]!)).toBe(strip(unknown.body, 'no-such-code'));
        // The same request with the owner's key answers.
        expect((await get(t, url, q)).status).toBe(200);
      }
    }
    // The other tenant's own site answers to its key and is unknown to this tenant.
    const own = { scope: 'site', ids: 'elsewhere', granularity: 'day', ...window };
    expect((await get(other, '/v1/oee', own)).status).toBe(200);
    expect((await get(t, '/v1/oee', own)).status).toBe(404);
  });

  it("another tenant's equipment code in a sensor query is a bad parameter, like an unknown one", async () => {
    const q = { equipmentCode: codes.equipment[0]!, tag: 'temperature', step: '1h', ...window };
    const theirs = await get(other, '/v1/sensors/series', q);
    expect(theirs.status).toBe(400);
    expect(theirs.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/query/equipmentCode']);
    expect((await get(t, '/v1/sensors/series', q)).status).toBe(200);
  });
});

describe('bad parameters', () => {
  const ok = {
    scope: 'site',
    ids: '',
    granularity: '15m',
    from: '2026-10-23T00:00:00Z',
    to: '2026-10-30T00:00:00Z',
  };
  const BAD: [string, string, Record<string, string>, string, RegExp][] = [
    ['15m over 7 days', '/v1/oee', { to: '2026-10-30T00:15:00Z' }, '/query/to', /7 days/],
    ['from off the 15-minute grid', '/v1/oee', { from: '2026-10-23T00:05:00Z' }, '/query/from', /15-minute/],
    ['an unknown granularity', '/v1/oee', { granularity: 'year' }, '/query/granularity', /./],
    ['a time without an offset', '/v1/kpis', { to: '2026-10-24T00:00:00' }, '/query/to', /RFC 3339/],
    ['an unknown scope', '/v1/downtime/pareto', { scope: 'plant' }, '/query/scope', /./],
  ];

  for (const [name, url, change, pointer, detail] of BAD) {
    it(`${name}: 400 problem+json naming ${pointer}`, async () => {
      // The largest window itself is fine: only the change makes the request bad.
      const base = { ...ok, ids: codes.berlin };
      expect((await get(t, url, base)).status).toBe(200);
      const res = await get(t, url, { ...base, ...change });
      expect(res.status).toBe(400);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body.type).toBe('https://takt.dev/problems/validation');
      expect(
        res.body.errors.some(
          (e: { pointer: string; detail: string }) => e.pointer === pointer && detail.test(e.detail),
        ),
      ).toBe(true);
    });
  }
});

// Last, because it adds a fact: the service as deployed, with its fragment cache following the
// projector's announcements, answers like the uncached app, and shows a correction posted later.
describe('the fragment cache follows the projector', () => {
  it('answers from kept buckets, then reads again what a new fact rewrote', async () => {
    const cache = new FragmentCache<OeeFragment>({ maxFragments: 100_000, maxAgeMs: 600_000 });
    const feed = invalidationFeed({
      kafka: p.kafka,
      topic: p.settings.appliedTopic!,
      cache,
      logger: createLogger({ service: 'query', level: 'silent' }),
    });
    feed.start();
    const cached = await buildApp({
      clickhouse: p.ch,
      logger: createLogger({ service: 'query', level: 'silent' }),
      metrics: createMetricsRegistry('query'),
      clock: () => now,
      resolveKey: p.ingest.keys.resolve,
      plantCacheTtlMs: 0,
      resultCacheTtlMs: 0,
      fragments: cache,
    });
    const oee = async (scope: Scope, ids: readonly string[], g: Granularity, w: Interval) => {
      const res = await cached.inject({
        method: 'GET',
        url: '/v1/oee',
        query: params(scope, ids, g, w),
        headers: t.auth('read'),
      });
      expect(res.statusCode).toBe(200);
      return res.json().rows;
    };
    try {
      await waitFor(async () => cache.live, { timeoutMs: 30_000, what: 'the invalidation feed to fetch' });
      const calendar = CASES.filter(([g]) => g !== 'shift');
      for (const pass of ['cold', 'warm']) {
        const misses = cache.stats().misses;
        for (const [g, w] of calendar)
          for (const [scope, ids] of scopes())
            expect(await oee(scope, ids, g, w), `${pass} ${scope} ${g}`).toEqual(
              expectedOee(fx, scope, ids, w, g),
            );
        if (pass === 'warm') expect(cache.stats().misses).toBe(misses);
      }

      // A late count for a Berlin machine on Monday morning, inside its shift.
      const machine = fx.equipment.find(
        (e) => fx.lines.find((l) => l.id === e.lineId)?.code === codes.berlinLine,
      )!;
      const window = win('2026-10-19T00:00:00Z', '2026-11-02T00:00:00Z');
      const before = await oee('line', [codes.berlinLine], 'day', window);
      await call(ingestUrl, t.keys.ingest, 'POST', '/v1/production-counts', {
        batchId: '0c5e7d2a-9b41-4e0f-bb6c-3d2f1a7e9c26',
        records: [
          {
            equipmentCode: machine.code,
            productCode: codes.product,
            start: '2026-10-26T08:00:00Z',
            end: '2026-10-26T08:10:00Z',
            total: 50,
            good: 47,
            scrap: 3,
          },
        ],
      });
      let expected: unknown;
      await waitFor(
        async () => {
          const after = (await factsOf(p.ingest, t.id, Date.now())).fixture;
          expected = expectedOee(after, 'line', [codes.berlinLine], window, 'day');
          return (
            JSON.stringify(await oee('line', [codes.berlinLine], 'day', window)) === JSON.stringify(expected)
          );
        },
        { timeoutMs: 60_000, intervalMs: 500, what: 'the cached answer to show the new count' },
      );
      expect(expected).not.toEqual(before);
      const produced = (rows: { produced: number }[]) => rows.reduce((n, r) => n + r.produced, 0);
      expect(produced(expected as { produced: number }[])).toBe(produced(before) + 50);
    } finally {
      await cached.close();
      await feed.stop();
    }
  });
});
