import { type Interval, secondsOf } from '@takt/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QueryHarness, startQuery, type TestTenant } from './harness.js';
import { buildFixture, expectedKpis, type Fixture, storeFixture, targetsOf } from './plant-fixture.js';

const NOW = Date.parse('2026-04-01T00:00:00Z');
let h: QueryHarness;
let a: TestTenant;
let b: TestTenant;
let fx: Fixture;

beforeAll(async () => {
  h = await startQuery({ clock: () => NOW });
  a = await h.tenant();
  b = await h.tenant();
  fx = { ...buildFixture(7), tenantId: a.id };
  await storeFixture(h, fx, 7);
  await storeFixture(h, { ...buildFixture(8), tenantId: b.id }, 8);
});
afterAll(async () => {
  await h?.close();
});

const get = async (t: TestTenant, url: string, query: Record<string, string>) => {
  const res = await h.app.inject({ method: 'GET', url, query, headers: t.auth() });
  return { status: res.statusCode, body: res.json() };
};
const range = (from: string, to: string): Interval => ({ start: Date.parse(from), end: Date.parse(to) });
const q = (scope: string, ids: string, win: Interval) => ({
  scope,
  ids,
  from: new Date(win.start).toISOString(),
  to: new Date(win.end).toISOString(),
});

const SCOPES = [
  ['equipment', ['M1', 'M4', 'K1']],
  ['line', ['BER-L1', 'KOL-L1']],
  ['site', ['BER', 'KOL']],
] as const;
const WINDOWS = [
  range('2026-03-20T00:00:00Z', '2026-04-05T00:00:00Z'),
  range('2026-03-29T06:15:00Z', '2026-03-30T00:00:00Z'),
];

describe('/v1/kpis equals computeKpis over the same components and maintenance events', () => {
  for (const [scope, ids] of SCOPES) {
    for (const window of WINDOWS) {
      it(`${scope} ${new Date(window.start).toISOString()}`, async () => {
        const res = await get(a, '/v1/kpis', q(scope, ids.join(','), window));
        expect(res.status).toBe(200);
        const expected = expectedKpis(fx, scope, ids, window, NOW);
        expect(res.body.rows).toEqual(expected);
      });
    }
  }

  it('counts the open corrective maintenance up to now', async () => {
    const res = await get(
      a,
      '/v1/kpis',
      q('equipment', 'M1', range('2026-03-31T19:00:00Z', '2026-04-01T00:00:00Z')),
    );
    expect(res.body.rows[0].failures).toBeGreaterThanOrEqual(1);
    expect(res.body.rows[0].mttrS).not.toBeNull();
  });
});

describe('/v1/downtime/pareto', () => {
  for (const [scope, ids] of SCOPES) {
    it(`${scope}: longest first with the running share, no-reason downtime as reasonCode null`, async () => {
      const window = WINDOWS[0]!;
      const res = await get(a, '/v1/downtime/pareto', q(scope, ids.join(','), window));
      expect(res.status).toBe(200);
      const members = new Set(targetsOf(fx, scope, ids).flatMap((t) => t.members.map((e) => e.id)));
      const groups = new Map<
        string,
        { reasonId: string; planned: boolean; durationMs: number; occurrences: number }
      >();
      for (const d of fx.downtime) {
        if (!members.has(d.equipmentId) || d.bucketStart < window.start || d.bucketStart >= window.end)
          continue;
        const key = `${d.reasonId}|${d.planned}`;
        const g = groups.get(key) ?? {
          reasonId: d.reasonId,
          planned: d.planned,
          durationMs: 0,
          occurrences: 0,
        };
        g.durationMs += d.durationMs;
        g.occurrences += d.occurrences;
        groups.set(key, g);
      }
      const total = [...groups.values()].reduce((s, g) => s + g.durationMs, 0);
      const sorted = [...groups.values()].sort((x, y) => y.durationMs - x.durationMs);
      let running = 0;
      const expected = sorted.map((g) => {
        running += g.durationMs;
        const reason = fx.reasons.find((r) => r.id === g.reasonId);
        return {
          reasonCode: reason?.code ?? null,
          reasonName: reason?.name ?? null,
          planned: g.planned,
          durationS: secondsOf(g.durationMs),
          occurrences: g.occurrences,
          cumulativeShare: running / total,
        };
      });
      expect(res.body.rows).toEqual(expected);
      expect(res.body.rows.some((r: { reasonCode: string | null }) => r.reasonCode === null)).toBe(true);
      expect(res.body.rows.at(-1).cumulativeShare).toBeCloseTo(1, 12);
    });
  }

  it('is empty for a window without downtime', async () => {
    const res = await get(
      a,
      '/v1/downtime/pareto',
      q('site', 'BER', range('2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z')),
    );
    expect(res.body).toEqual({ rows: [] });
  });
});

describe('/v1/sensors/series', () => {
  const minute = (iso: string) => Math.floor(Date.parse(iso) / 1000);
  beforeAll(async () => {
    const e = fx.equipment[0]!.id;
    const rows = [];
    for (let m = 0; m < 120; m++) {
      if (m % 7 === 3) continue;
      const at = minute('2026-03-29T00:00:00Z') + m * 60;
      rows.push({
        tenant_id: a.id,
        equipment_id: e,
        tag: 'temp',
        minute: at,
        min: m,
        max: m + 2,
        sum: (m + 1) * 4,
        count: 4,
        version: 2,
      });
      // A superseded version of the same minute must not count.
      rows.push({
        tenant_id: a.id,
        equipment_id: e,
        tag: 'temp',
        minute: at,
        min: -100,
        max: 1e6,
        sum: 1e9,
        count: 1000,
        version: 1,
      });
    }
    rows.push({
      tenant_id: a.id,
      equipment_id: e,
      tag: 'other',
      minute: minute('2026-03-29T00:00:00Z'),
      min: 5,
      max: 5,
      sum: 5,
      count: 1,
      version: 1,
    });
    rows.push({
      tenant_id: b.id,
      equipment_id: e,
      tag: 'temp',
      minute: minute('2026-03-29T00:30:00Z'),
      min: -5,
      max: 99,
      sum: 5,
      count: 1,
      version: 9,
    });
    await h.insert('sensor_minute_v1', rows);
  });

  const series = async (step: string, from = '2026-03-29T00:00:00Z', to = '2026-03-29T02:00:00Z') =>
    get(a, '/v1/sensors/series', { equipmentCode: 'M1', tag: 'temp', from, to, step });

  it('1m gives one point per minute with readings', async () => {
    const res = await series('1m');
    expect(res.status).toBe(200);
    expect(res.body.points).toHaveLength(120 - 17);
    expect(res.body.points[0]).toEqual({ ts: '2026-03-29T00:00:00.000Z', min: 0, max: 2, avg: 1, count: 4 });
  });

  it('coarser steps combine the minutes exactly (sum / count, min of min, max of max)', async () => {
    for (const [step, size] of [
      ['5m', 5],
      ['15m', 15],
      ['1h', 60],
    ] as const) {
      const res = await series(step);
      const expected = [];
      for (let s = 0; s < 120; s += size) {
        const ms = Array.from({ length: size }, (_, k) => s + k).filter((m) => m % 7 !== 3);
        expected.push({
          ts: new Date(Date.parse('2026-03-29T00:00:00Z') + s * 60_000).toISOString(),
          min: Math.min(...ms),
          max: Math.max(...ms) + 2,
          avg: ms.reduce((t, m) => t + (m + 1) * 4, 0) / (ms.length * 4),
          count: ms.length * 4,
        });
      }
      expect(res.body.points).toEqual(expected);
    }
  });

  it('clips to the window and sees only its own tenant', async () => {
    const res = await series('15m', '2026-03-29T00:30:00Z', '2026-03-29T00:45:00Z');
    expect(res.body.points).toHaveLength(1);
    expect(res.body.points[0].min).toBe(30);
    const theirs = await get(b, '/v1/sensors/series', {
      equipmentCode: 'M1',
      tag: 'temp',
      from: '2026-03-29T00:00:00Z',
      to: '2026-03-29T02:00:00Z',
      step: '1m',
    });
    expect(theirs.body.points).toEqual([]);
  });
});
