import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QueryHarness, startQuery, type TestTenant } from './harness.js';

let h: QueryHarness;
let t: TestTenant;

beforeAll(async () => {
  // A fixed clock: the accepted time range (now - 400 days .. now + 7 days) moves with it.
  h = await startQuery({ clock: () => Date.parse('2026-06-01T00:00:00Z') });
  t = await h.tenant();
  await h.insert('dim_site_v1', [
    {
      tenant_id: t.id,
      id: 's1',
      code: 'S1',
      name: 'S1',
      time_zone: 'Europe/Berlin',
      deleted_at_ms: 0,
      lsn: 1,
      is_deleted: 0,
    },
  ]);
  await h.insert('dim_line_v1', [
    {
      tenant_id: t.id,
      id: 'l1',
      code: 'L1',
      name: 'L1',
      site_id: 's1',
      deleted_at_ms: 0,
      lsn: 1,
      is_deleted: 0,
    },
  ]);
  await h.insert('dim_equipment_v1', [
    {
      tenant_id: t.id,
      id: 'e1',
      code: 'E1',
      name: 'E1',
      line_id: 'l1',
      deleted_at_ms: 0,
      lsn: 1,
      is_deleted: 0,
    },
  ]);
});
afterAll(async () => {
  await h?.close();
});

const OK = {
  scope: 'equipment',
  ids: 'E1',
  from: '2026-03-01T00:00:00Z',
  to: '2026-03-02T00:00:00Z',
  granularity: 'hour',
};

async function get(url: string, query: Record<string, string>) {
  return h.app.inject({ method: 'GET', url, query, headers: t.auth() });
}

// [name, route, query, pointer, detail pattern]
const BAD: [string, string, Record<string, string>, string, RegExp][] = [
  ['not a time', '/v1/oee', { ...OK, from: 'yesterday' }, '/query/from', /RFC 3339/],
  ['no offset', '/v1/oee', { ...OK, to: '2026-03-02T00:00:00' }, '/query/to', /RFC 3339/],
  ['impossible date', '/v1/oee', { ...OK, from: '2026-02-30T00:00:00Z' }, '/query/from', /RFC 3339/],
  ['off the 15-minute grid', '/v1/oee', { ...OK, from: '2026-03-01T00:07:00Z' }, '/query/from', /15-minute/],
  [
    'off the grid by an offset',
    '/v1/oee',
    { ...OK, to: '2026-03-02T00:00:00+00:10' },
    '/query/to',
    /15-minute/,
  ],
  ['from = to', '/v1/oee', { ...OK, to: OK.from }, '/query/to', /later than from/],
  ['from > to', '/v1/oee', { ...OK, from: OK.to, to: OK.from }, '/query/to', /later than from/],
  [
    '15m over 7 days',
    '/v1/oee',
    { ...OK, granularity: '15m', to: '2026-03-08T00:15:00Z' },
    '/query/to',
    /7 days/,
  ],
  ['hour over 62 days', '/v1/oee', { ...OK, to: '2026-05-03T00:00:00Z' }, '/query/to', /62 days/],
  [
    'day over 400 days',
    '/v1/oee',
    { ...OK, granularity: 'day', to: '2027-04-06T00:00:00Z' },
    '/query/to',
    /400 days/,
  ],
  [
    'month over 3660 days',
    '/v1/oee',
    { ...OK, granularity: 'month', to: '2036-03-10T00:00:00Z' },
    '/query/to',
    /3660 days/,
  ],
  ['bad scope', '/v1/oee', { ...OK, scope: 'plant' }, '/query/scope', /./],
  ['bad granularity', '/v1/oee', { ...OK, granularity: 'year' }, '/query/granularity', /./],
  [
    'missing granularity',
    '/v1/oee',
    { scope: 'site', ids: 'S1', from: OK.from, to: OK.to },
    '/query/granularity',
    /./,
  ],
  ['empty ids', '/v1/oee', { ...OK, ids: '' }, '/query/ids', /./],
  ['only commas', '/v1/oee', { ...OK, ids: ',,' }, '/query/ids', /at least one/],
  ['bad code', '/v1/oee', { ...OK, ids: 'E1,a b' }, '/query/ids', /not a code/],
  [
    'kpis bad from',
    '/v1/kpis',
    { scope: 'site', ids: 'S1', from: 'x', to: OK.to },
    '/query/from',
    /RFC 3339/,
  ],
  [
    'kpis over 10 years',
    '/v1/kpis',
    { scope: 'site', ids: 'S1', from: OK.from, to: '2036-03-10T00:00:00Z' },
    '/query/to',
    /3660/,
  ],
  [
    'pareto bad scope',
    '/v1/downtime/pareto',
    { scope: 'x', ids: 'S1', from: OK.from, to: OK.to },
    '/query/scope',
    /./,
  ],
  [
    'beyond what ClickHouse represents',
    '/v1/oee',
    { ...OK, granularity: 'month', from: '2105-12-01T00:00:00Z', to: '2106-01-01T00:00:00Z' },
    '/query/from',
    /accepted range: times must lie between 1970-01-01 and now \+ 7 days/,
  ],
  [
    'past the horizon',
    '/v1/oee',
    { ...OK, from: '2026-06-01T00:00:00Z', to: '2026-06-08T00:15:00Z' },
    '/query/to',
    /now \+ 7 days/,
  ],
  [
    'before ClickHouse can hold',
    '/v1/oee',
    { ...OK, from: '1969-12-31T00:00:00Z', to: '1970-01-02T00:00:00Z' },
    '/query/from',
    /./,
  ],
  [
    'kpis past the horizon',
    '/v1/kpis',
    { scope: 'site', ids: 'S1', from: OK.from, to: '2027-01-01T00:00:00Z' },
    '/query/to',
    /between 1970-01-01 and now \+ 7 days/,
  ],
  [
    'pareto past the horizon',
    '/v1/downtime/pareto',
    { scope: 'site', ids: 'S1', from: OK.from, to: '2027-01-01T00:00:00Z' },
    '/query/to',
    /accepted range/,
  ],
  [
    'sensors before the retention',
    '/v1/sensors/series',
    { equipmentCode: 'E1', tag: 't', from: '2024-01-01T00:00:00Z', to: '2024-01-01T01:00:00Z', step: '1m' },
    '/query/from',
    /between now - 400 days and now \+ 7 days/,
  ],
  [
    'sensors bad step',
    '/v1/sensors/series',
    { equipmentCode: 'E1', tag: 't', from: OK.from, to: OK.to, step: '2m' },
    '/query/step',
    /./,
  ],
  [
    'sensors unknown equipment',
    '/v1/sensors/series',
    { equipmentCode: 'E9', tag: 't', from: OK.from, to: OK.to, step: '1m' },
    '/query/equipmentCode',
    /no equipment/,
  ],
  [
    'sensors 1m over 7 days',
    '/v1/sensors/series',
    { equipmentCode: 'E1', tag: 't', from: OK.from, to: '2026-03-09T00:00:00Z', step: '1m' },
    '/query/to',
    /7 days.*step=1m/,
  ],
];

describe('every bad parameter is a 400 problem+json naming it', () => {
  for (const [name, url, query, pointer, detail] of BAD) {
    it(name, async () => {
      const res = await get(url, query);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = res.json();
      expect(body.code).toBe('TAKT_VALIDATION');
      expect(body.type).toBe('https://takt.dev/problems/validation');
      expect(
        body.errors.some(
          (e: { pointer: string; detail: string }) => e.pointer === pointer && detail.test(e.detail),
        ),
      ).toBe(true);
    });
  }

  it('names the limit of a window too large', async () => {
    const res = await get('/v1/oee', { ...OK, granularity: '15m', to: '2026-03-09T00:00:00Z' });
    expect(res.json().limitDays).toBe(7);
  });

  it('both ends off the grid are both reported', async () => {
    const res = await get('/v1/oee', { ...OK, from: '2026-03-01T00:01:00Z', to: '2026-03-02T00:01:00Z' });
    expect(res.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/query/from',
      '/query/to',
    ]);
  });

  it('the largest windows themselves are accepted, and offsets are honoured', async () => {
    expect((await get('/v1/oee', { ...OK, granularity: '15m', to: '2026-03-08T00:00:00Z' })).statusCode).toBe(
      200,
    );
    expect((await get('/v1/oee', { ...OK, to: '2026-05-02T00:00:00Z' })).statusCode).toBe(200);
    const res = await get('/v1/oee', {
      ...OK,
      from: '2026-03-01T05:30:00+05:30',
      to: '2026-03-01T01:00:00.999+00:00',
    });
    expect(res.statusCode).toBe(400);
    const kolkata = await get('/v1/oee', {
      ...OK,
      from: '2026-03-01T05:30:00+05:30',
      to: '2026-03-01T01:00:00+00:00',
    });
    expect(kolkata.json().rows[0].bucketStart).toBe('2026-03-01T00:00:00.000Z');
  });

  it('an empty equipment set still gives dense zero rows with null ratios', async () => {
    const res = await get('/v1/oee', { ...OK, granularity: 'day' });
    // Berlin's day starts at 23:00 UTC in winter: a UTC day touches two local days.
    const zero = expect.objectContaining({
      scopeId: 'E1',
      plannedOperationS: 0,
      availability: null,
      oee: null,
    });
    expect(res.json().rows).toEqual([zero, zero]);
    expect(res.json().rows[1].bucketStart).toBe('2026-03-01T23:00:00.000Z');
  });
});

describe('service endpoints', () => {
  it('serves /healthz, /readyz, /metrics with latency by route, and OpenAPI at /docs', async () => {
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await h.app.inject({ url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', checks: { clickhouse: 'ok', api_keys: 'ok' } });
    await get('/v1/oee', OK);
    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/takt_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/oee"/);
    const docs = await h.app.inject({ url: '/docs/json' });
    const paths = Object.keys(docs.json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/oee',
        '/v1/kpis',
        '/v1/downtime/pareto',
        '/v1/sensors/series',
        '/v1/freshness',
      ]),
    );
  });
});
