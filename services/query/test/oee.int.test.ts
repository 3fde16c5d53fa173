import { randomUUID } from 'node:crypto';
import type { Granularity, Interval } from '@takt/domain';
import { waitFor, withAdmin } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QueryHarness, startQuery, type TestTenant } from './harness.js';
import { buildFixture, expectedOee, type Fixture, storeFixture } from './plant-fixture.js';

let h: QueryHarness;
let a: TestTenant;
let b: TestTenant;
let fxA: Fixture;
let fxB: Fixture;

beforeAll(async () => {
  h = await startQuery();
  a = await h.tenant();
  b = await h.tenant();
  fxA = { ...buildFixture(1), tenantId: a.id };
  fxB = { ...buildFixture(2), tenantId: b.id };
  await storeFixture(h, fxA, 1);
  await storeFixture(h, fxB, 2);
  await h.insert('dim_equipment_v1', [
    {
      tenant_id: b.id,
      id: randomUUID(),
      code: 'B-ONLY',
      name: 'b',
      line_id: fxB.lines[0]!.id,
      deleted_at_ms: 0,
      lsn: 1,
      is_deleted: 0,
    },
  ]);
});
afterAll(async () => {
  await h?.close();
});

const at = (text: string) => Date.parse(text);
const w = (from: string, to: string): Interval => ({ start: at(from), end: at(to) });

const CASES: [Granularity, Interval][] = [
  ['15m', w('2026-03-28T22:00:00Z', '2026-03-30T02:00:00Z')],
  ['15m', w('2026-10-24T20:00:00Z', '2026-10-26T00:00:00Z')],
  ['hour', w('2026-03-28T10:15:00Z', '2026-03-31T00:00:00Z')],
  ['hour', w('2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z')],
  ['shift', w('2026-03-27T08:00:00Z', '2026-04-02T00:00:00Z')],
  ['shift', w('2026-10-22T00:00:00Z', '2026-10-29T00:00:00Z')],
  ['day', w('2026-03-24T00:00:00Z', '2026-04-03T00:00:00Z')],
  ['day', w('2026-10-20T06:45:00Z', '2026-10-30T00:00:00Z')],
  ['week', w('2026-01-01T00:00:00Z', '2026-11-01T00:00:00Z')],
  ['month', w('2026-01-01T00:00:00Z', '2026-11-01T00:00:00Z')],
  ['total', w('2026-01-01T00:00:00Z', '2026-11-01T00:00:00Z')],
  ['total', w('2026-03-29T00:00:00Z', '2026-03-29T12:00:00Z')],
];

const SCOPES = [
  ['equipment', ['M1', 'M4', 'K1', 'M2']],
  ['line', ['BER-L1', 'BER-L2', 'KOL-L1']],
  ['site', ['BER', 'KOL']],
] as const;

async function oee(t: TestTenant, query: Record<string, string>) {
  const res = await h.app.inject({ method: 'GET', url: '/v1/oee', query, headers: t.auth() });
  return { status: res.statusCode, body: res.json(), type: res.headers['content-type'] };
}

const params = (scope: string, ids: readonly string[], g: Granularity, win: Interval) => ({
  scope,
  ids: ids.join(','),
  granularity: g,
  from: new Date(win.start).toISOString(),
  to: new Date(win.end).toISOString(),
});

describe('/v1/oee equals @takt/domain over the stored component rows', () => {
  for (const [scope, ids] of SCOPES) {
    for (const [granularity, window] of CASES) {
      it(`${scope} ${ids.join(',')} ${granularity} ${new Date(window.start).toISOString()}`, async () => {
        const res = await oee(a, params(scope, ids, granularity, window));
        expect(res.status).toBe(200);
        const expected = expectedOee(fxA, scope, ids, window, granularity);
        expect(expected.length).toBeGreaterThan(0);
        expect(res.body.rows).toEqual(expected);
        // Something actually happened in these windows (the test would prove little over zeros).
        expect(expected.some((r) => r.plannedOperationS > 0)).toBe(true);
      });
    }
  }
});

describe('local time', () => {
  const hourRowsOf = async (code: string, from: string, to: string) =>
    (await oee(a, { scope: 'equipment', ids: code, granularity: 'hour', from, to })).body.rows;

  it('the spring-forward day in Berlin has 23 hours, the fall-back day 25', async () => {
    expect(await hourRowsOf('M1', '2026-03-29T00:00:00+01:00', '2026-03-30T00:00:00+02:00')).toHaveLength(23);
    const fall = await hourRowsOf('M1', '2026-10-25T00:00:00+02:00', '2026-10-26T00:00:00+01:00');
    expect(fall).toHaveLength(25);
    expect(fall.slice(1, 4).map((r: { bucketStart: string }) => r.bucketStart)).toEqual([
      '2026-10-24T23:00:00.000Z',
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
    ]);
  });

  it('Kolkata hours and days start at :30 UTC (+05:30)', async () => {
    const hours = await hourRowsOf('K1', '2026-03-28T10:00:00Z', '2026-03-28T13:00:00Z');
    expect(hours.map((r: { bucketStart: string }) => r.bucketStart)).toEqual([
      '2026-03-28T10:00:00.000Z',
      '2026-03-28T10:30:00.000Z',
      '2026-03-28T11:30:00.000Z',
      '2026-03-28T12:30:00.000Z',
    ]);
    expect(hours[0].bucketEnd).toBe('2026-03-28T10:30:00.000Z');
    const days = (
      await oee(a, {
        scope: 'site',
        ids: 'KOL',
        granularity: 'day',
        from: '2026-03-28T00:00:00+05:30',
        to: '2026-03-30T00:00:00+05:30',
      })
    ).body.rows;
    expect(days.map((r: { bucketStart: string; bucketEnd: string }) => [r.bucketStart, r.bucketEnd])).toEqual(
      [
        ['2026-03-27T18:30:00.000Z', '2026-03-28T18:30:00.000Z'],
        ['2026-03-28T18:30:00.000Z', '2026-03-29T18:30:00.000Z'],
      ],
    );
  });

  it('the Berlin day of 2026-03-29 is 23 hours long in one row', async () => {
    const rows = (
      await oee(a, {
        scope: 'line',
        ids: 'BER-L1',
        granularity: 'day',
        from: '2026-03-28T23:00:00Z',
        to: '2026-03-29T22:00:00Z',
      })
    ).body.rows;
    expect(rows).toHaveLength(1);
    expect([rows[0].bucketStart, rows[0].bucketEnd]).toEqual([
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
    ]);
  });

  it('shift rows carry the shift and clip its times to the window; equipment shifts count at line scope', async () => {
    const rows = (
      await oee(a, {
        scope: 'line',
        ids: 'BER-L1',
        granularity: 'shift',
        from: '2026-03-29T06:00:00Z',
        to: '2026-03-29T13:00:00Z',
      })
    ).body.rows;
    expect(rows.map((r: { shift: { name: string } }) => r.shift.name)).toEqual(['early', 'overtime', 'late']);
    expect(rows[0].bucketStart).toBe('2026-03-29T06:00:00.000Z');
    expect(rows[0].shift.start).toBe('2026-03-29T04:00:00.000Z');
  });

  it('results do not depend on the window: a day alone equals the same day inside a month', async () => {
    const month = (
      await oee(a, {
        scope: 'site',
        ids: 'BER',
        granularity: 'day',
        from: '2026-03-01T00:00:00+01:00',
        to: '2026-04-01T00:00:00+02:00',
      })
    ).body.rows;
    const alone = (
      await oee(a, {
        scope: 'site',
        ids: 'BER',
        granularity: 'day',
        from: '2026-03-29T00:00:00+01:00',
        to: '2026-03-30T00:00:00+02:00',
      })
    ).body.rows;
    expect(month.find((r: { bucketStart: string }) => r.bucketStart === alone[0].bucketStart)).toEqual(
      alone[0],
    );
  });
});

describe('tenancy', () => {
  it("another tenant's data under the same codes is its own", async () => {
    const window = w('2026-03-24T00:00:00Z', '2026-04-03T00:00:00Z');
    const res = await oee(b, params('site', ['BER', 'KOL'], 'day', window));
    expect(res.body.rows).toEqual(expectedOee(fxB, 'site', ['BER', 'KOL'], window, 'day'));
    expect(res.body.rows).not.toEqual(expectedOee(fxA, 'site', ['BER', 'KOL'], window, 'day'));
  });

  it("another tenant's code is a 404 exactly like an unknown one, naming it in ids", async () => {
    const q = {
      scope: 'equipment',
      granularity: 'day',
      from: '2026-03-24T00:00:00Z',
      to: '2026-03-25T00:00:00Z',
    };
    const theirs = await oee(a, { ...q, ids: 'M1,B-ONLY' });
    const unknown = await oee(a, { ...q, ids: 'M1,NOPE-1' });
    expect(theirs.status).toBe(404);
    expect(theirs.type).toMatch(/^application\/problem\+json/);
    expect(theirs.body.errors).toEqual([
      { pointer: '/query/ids', detail: 'no equipment with code "B-ONLY"' },
    ]);
    const strip = (body: Record<string, unknown>) =>
      JSON.stringify({ ...body, requestId: undefined })
        .replaceAll('B-ONLY', 'X')
        .replaceAll('NOPE-1', 'X');
    expect(strip(theirs.body)).toBe(strip(unknown.body));
    expect((await oee(b, { ...q, ids: 'B-ONLY' })).status).toBe(200);
  });

  it('a hard-deleted equipment is unknown; a soft-deleted one keeps its history', async () => {
    const q = {
      scope: 'equipment',
      granularity: 'total',
      from: '2026-03-01T00:00:00Z',
      to: '2026-04-01T00:00:00Z',
    };
    expect((await oee(a, { ...q, ids: 'GONE' })).status).toBe(404);
    const m4 = await oee(a, { ...q, ids: 'M4' });
    expect(m4.body.rows[0].plannedOperationS).toBeGreaterThan(0);
  });
});

describe('auth', () => {
  const url = '/v1/oee?scope=site&ids=BER&granularity=day&from=2026-03-24T00:00:00Z&to=2026-03-25T00:00:00Z';
  it('401 without a key or with an unknown one, 403 without the read scope', async () => {
    expect((await h.app.inject({ url })).statusCode).toBe(401);
    const unknown = await h.app.inject({
      url,
      headers: { authorization: `Bearer takt_${'0'.repeat(32)}_${'a'.repeat(43)}` },
    });
    expect(unknown.statusCode).toBe(401);
    expect((await h.app.inject({ url, headers: a.auth('ingest') })).statusCode).toBe(403);
    expect((await h.app.inject({ url, headers: a.auth('read') })).statusCode).toBe(200);
  });

  it('a revoked key is refused as soon as PostgreSQL announces the revocation', async () => {
    const t = await h.tenant();
    expect((await h.app.inject({ url: '/v1/freshness', headers: t.auth() })).statusCode).toBe(200);
    await withAdmin(h.keysDb.name, (c) =>
      c.query('UPDATE api_key SET revoked_at = now() WHERE id = $1', [t.keyIds.read]),
    );
    await waitFor(
      async () => (await h.app.inject({ url: '/v1/freshness', headers: t.auth() })).statusCode === 401,
      { timeoutMs: 1_000, intervalMs: 10, what: 'the revoked key to be refused' },
    );
  });
});
