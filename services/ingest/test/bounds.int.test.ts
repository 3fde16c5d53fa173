import { randomUUID } from 'node:crypto';
import { ATTRIBUTES_LIMITS, TEXT_LIMITS } from '@takt/config';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectAttributes } from '../src/bounds.js';
import { type IngestHarness, seedPlant, startIngest, type TestTenant } from './harness.js';
import { LARGEST, largestTenant, scopeOf, writeLargestRows } from './largest.js';

let h: IngestHarness;
let t: TestTenant;

beforeAll(async () => {
  h = await startIngest();
  t = await h.tenant();
  await seedPlant(h, t);
});
afterAll(() => h?.close());

const T0 = '2026-11-30T08:00:00Z';
const T1 = '2026-11-30T09:00:00Z';

/** Sends raw JSON text, so numbers JSON.stringify cannot write (1e400, 2^63, -0) arrive as a client sent them. */
async function send(method: 'PUT' | 'POST', url: string, body: string | object) {
  const res = await h.app.inject({
    method,
    url,
    headers: { ...t.auth(scopeOf(url)), 'content-type': 'application/json' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

async function expect400(method: 'PUT' | 'POST', url: string, body: string | object, pointer: string) {
  const res = await send(method, url, body);
  expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(400);
  expect(res.body).toMatchObject({ code: 'TAKT_VALIDATION', retriable: false });
  const pointers = (res.body.errors as { pointer: string }[]).map((e) => e.pointer);
  expect(pointers).toContain(pointer);
  return res.body;
}

const rows = async (table: string) =>
  Number(
    (await h.sql<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = $1`, [t.id]))[0]?.n,
  );

/** Every fact table and the batch table: a rejected request must leave them as they were. */
const FACT_TABLES = [
  'fact_sensor_reading',
  'fact_production',
  'fact_equipment_state',
  'fact_shift',
  'fact_maintenance',
  'ingest_batch',
];
async function factCounts() {
  return Object.fromEntries(await Promise.all(FACT_TABLES.map(async (x) => [x, await rows(x)])));
}

const maintenance = (extra: object) => ({
  batchId: randomUUID(),
  records: [{ id: randomUUID(), equipmentCode: 'press-01', kind: 'corrective', start: T0, ...extra }],
});
const production = (extra: object) => ({
  batchId: randomUUID(),
  records: [
    { equipmentCode: 'press-01', productCode: 'bracket', start: T0, end: T1, total: 10, good: 9, ...extra },
  ],
});

describe('findings of the hostile-input probe: 400 with a pointer, nothing written', () => {
  it('refuses 1 MiB of attributes, which Debezium could not have sent', async () => {
    const body = { name: 'Big', lineCode: 'L1', attributes: { blob: 'x'.repeat(1024 * 1024) } };
    await expect400('PUT', '/v1/equipment/big-1', body, '/attributes');
    expect(await h.sql("SELECT 1 FROM dim_equipment WHERE code = 'big-1'")).toEqual([]);
  });

  it('refuses NUL in maintenance notes', async () => {
    const before = await factCounts();
    await expect400(
      'POST',
      '/v1/maintenance-events',
      maintenance({ notes: 'oil\u0000leak' }),
      '/records/0/notes',
    );
    expect(await factCounts()).toEqual(before);
  });

  it('refuses NUL in attributes keys and values, and lone surrogates', async () => {
    const url = '/v1/equipment/nul-1';
    await expect400(
      'PUT',
      url,
      { name: 'N', lineCode: 'L1', attributes: { 'a\u0000': 1 } },
      '/attributes/a\u0000',
    );
    await expect400(
      'PUT',
      url,
      { name: 'N', lineCode: 'L1', attributes: { a: ['x\u0000'] } },
      '/attributes/a/0',
    );
    await expect400(
      'PUT',
      url,
      '{"name":"N","lineCode":"L1","attributes":{"a/b":"\\ud800"}}',
      '/attributes/a~1b',
    );
    expect(await h.sql("SELECT 1 FROM dim_equipment WHERE code = 'nul-1'")).toEqual([]);
  });

  it('refuses attributes nested 10,000 deep without overflowing the stack', async () => {
    const nested = (n: number) =>
      `{"name":"D","lineCode":"L1","attributes":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`;
    // Far too deep: the HTTP frame refuses it before parsing (docs/http.md), inside attributes.
    const res = await send('PUT', '/v1/equipment/deep-1', nested(10_000));
    expect(res.status).toBe(400);
    expect((res.body.errors as { pointer: string }[])[0]?.pointer).toMatch(/^\/attributes(\/a)+$/);
    // One level past the attributes bound, well within the frame's: the attributes rule names it.
    const pointer = `/attributes${'/a'.repeat(ATTRIBUTES_LIMITS.maxDepth)}`;
    await expect400('PUT', '/v1/equipment/deep-1', nested(ATTRIBUTES_LIMITS.maxDepth + 1), pointer);
    expect(await h.sql("SELECT 1 FROM dim_equipment WHERE code = 'deep-1'")).toEqual([]);
  });

  it('refuses ideal cycle times the numeric(18,6) column would round to zero', async () => {
    for (const v of ['1e-7', '1e-300', '0.0000004'])
      await expect400(
        'PUT',
        '/v1/products/tiny',
        `{"name":"Tiny","idealCycleTimeS":${v}}`,
        '/idealCycleTimeS',
      );
    expect(await h.sql("SELECT 1 FROM dim_product WHERE code = 'tiny'")).toEqual([]);
  });
});

describe('every text bound: the maximum is stored, one more is a 400 naming the field', () => {
  const over = (field: keyof typeof TEXT_LIMITS) => 'é'.repeat(TEXT_LIMITS[field].max + 1);
  const atMax = (field: keyof typeof TEXT_LIMITS) => '😀'.repeat(TEXT_LIMITS[field].max);
  const cases: [string, 'PUT' | 'POST', string, (v: string) => object, string, keyof typeof TEXT_LIMITS][] = [
    ['site name', 'PUT', '/v1/sites/s-b', (v) => ({ name: v, timeZone: 'UTC' }), '/name', 'name'],
    ['line name', 'PUT', '/v1/lines/l-b', (v) => ({ name: v, siteCode: 'berlin' }), '/name', 'name'],
    ['equipment name', 'PUT', '/v1/equipment/e-b', (v) => ({ name: v, lineCode: 'L1' }), '/name', 'name'],
    ['product name', 'PUT', '/v1/products/p-b', (v) => ({ name: v, idealCycleTimeS: 1 }), '/name', 'name'],
    ['reason name', 'PUT', '/v1/downtime-reasons/r-b', (v) => ({ name: v, planned: true }), '/name', 'name'],
    ['API key name', 'POST', '/v1/api-keys', (v) => ({ name: v, scopes: ['read'] }), '/name', 'name'],
    [
      'order id',
      'POST',
      '/v1/production-counts',
      (v) => production({ orderId: v }),
      '/records/0/orderId',
      'orderId',
    ],
    [
      'operator',
      'POST',
      '/v1/production-counts',
      (v) => production({ operator: v }),
      '/records/0/operator',
      'person',
    ],
    [
      'technician',
      'POST',
      '/v1/maintenance-events',
      (v) => maintenance({ technician: v }),
      '/records/0/technician',
      'person',
    ],
    [
      'notes',
      'POST',
      '/v1/maintenance-events',
      (v) => maintenance({ notes: v }),
      '/records/0/notes',
      'notes',
    ],
    [
      'shift name',
      'POST',
      '/v1/shifts',
      (v) => ({
        batchId: randomUUID(),
        records: [{ id: randomUUID(), lineCode: 'L1', name: v, start: T0, end: T1 }],
      }),
      '/records/0/name',
      'name',
    ],
  ];

  it.each(cases)('%s', async (_what, method, url, body, pointer, field) => {
    const facts = await factCounts();
    await expect400(method, url, body(over(field)), pointer);
    expect(await factCounts()).toEqual(facts);
    const ok = await send(method, url, body(atMax(field)));
    expect(ok.status, JSON.stringify(ok.body).slice(0, 300)).toBeLessThan(300);
  });

  it('codes, tags and time zones', async () => {
    const code65 = 'c'.repeat(TEXT_LIMITS.code.max + 1);
    await expect400('PUT', `/v1/sites/${code65}`, { name: 'S', timeZone: 'UTC' }, '/path/code');
    await expect400('PUT', '/v1/lines/l-c', { name: 'L', siteCode: code65 }, '/siteCode');
    await expect400('PUT', '/v1/sites/s-tz', { name: 'S', timeZone: 'A'.repeat(65) }, '/timeZone');
    const reading = (tag: string) => ({
      batchId: randomUUID(),
      records: [{ equipmentCode: 'press-01', tag, ts: T0, value: 1 }],
    });
    await expect400(
      'POST',
      '/v1/sensor-batches',
      reading('t'.repeat(TEXT_LIMITS.tag.max + 1)),
      '/records/0/tag',
    );
    expect((await send('POST', '/v1/sensor-batches', reading('t'.repeat(TEXT_LIMITS.tag.max)))).status).toBe(
      201,
    );
  });

  it('names a lone surrogate in personal data instead of failing to encrypt it', async () => {
    const facts = await factCounts();
    const body = JSON.stringify(production({ operator: 'x' })).replace(
      '"operator":"x"',
      '"operator":"\\udc00x"',
    );
    await expect400('POST', '/v1/production-counts', body, '/records/0/operator');
    expect(await factCounts()).toEqual(facts);
  });
});

describe('numbers match their columns', () => {
  const countBody = (total: string) =>
    `{"batchId":"${randomUUID()}","records":[{"equipmentCode":"press-01","productCode":"bracket","start":"${T0}","end":"${T1}","total":${total},"good":0}]}`;
  const readingBody = (value: string, tag: string) =>
    `{"batchId":"${randomUUID()}","records":[{"equipmentCode":"press-01","tag":"${tag}","ts":"${T0}","value":${value}}]}`;

  it('refuses counts past integer, unsafe integers and non-integers', async () => {
    const facts = await factCounts();
    for (const v of ['9007199254740993', '9223372036854775808', '1e400', '2147483648', '-1', '0.5'])
      await expect400('POST', '/v1/production-counts', countBody(v), '/records/0/total');
    expect(await factCounts()).toEqual(facts);
  });

  it('stores -0 as 0 and the extreme finite doubles as sent', async () => {
    expect((await send('POST', '/v1/production-counts', countBody('-0'))).status).toBe(201);
    for (const [tag, value] of [
      ['neg-zero', '-0'],
      ['subnormal', '5e-324'],
      ['huge', '1.7976931348623157e308'],
      ['tiny', '-2.2250738585072014e-308'],
    ] as const) {
      expect((await send('POST', '/v1/sensor-batches', readingBody(value, tag))).status, tag).toBe(201);
      const [row] = await h.sql<{ v: string }>(
        'SELECT value::text AS v FROM fact_sensor_reading WHERE tenant_id = $1 AND tag = $2',
        [t.id, tag],
      );
      expect(Number(row?.v), tag).toBe(Number(value) + 0);
      expect(row?.v.startsWith('-0')).toBe(false);
    }
    await expect400('POST', '/v1/sensor-batches', readingBody('1e400', 'inf'), '/records/0/value');
  });

  it('accepts the ideal cycle time range of numeric(18,6), rounded to six decimals', async () => {
    for (const [v, stored] of [
      ['0.000001', '0.000001'],
      ['1.23456789', '1.234568'],
      ['31536000', '31536000.000000'],
    ] as const) {
      expect(
        (await send('PUT', '/v1/products/range', `{"name":"R","idealCycleTimeS":${v}}`)).status,
      ).toBeLessThan(300);
      const [row] = await h.sql<{ v: string }>(
        "SELECT ideal_cycle_time_s::text AS v FROM dim_product WHERE tenant_id = $1 AND code = 'range'",
        [t.id],
      );
      expect(row?.v).toBe(stored);
    }
    await expect400(
      'PUT',
      '/v1/products/range',
      '{"name":"R","idealCycleTimeS":31536000.5}',
      '/idealCycleTimeS',
    );
  });
});

describe('attributes are sized as PostgreSQL stores them', () => {
  it('computes the exact length of the jsonb text for any object', async () => {
    const value = fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
    const samples = fc.sample(value, 60).filter((v) => inspectAttributes(v).problems.length === 0);
    const stored = await h.sql<{ n: number }>(
      'SELECT octet_length((x::jsonb)::text) AS n FROM unnest($1::text[]) WITH ORDINALITY AS u(x, i) ORDER BY i',
      [samples.map((v) => JSON.stringify(v))],
    );
    expect(stored.map((r) => r.n)).toEqual(samples.map((v) => inspectAttributes(v).bytes));
  });

  it('stores the largest legal row of every table, attributes at exactly the limit', async () => {
    const big = await largestTenant(h);
    await writeLargestRows(h, big, 'a');
    await writeLargestRows(h, big, 'b');
    const [eq] = await h.sql<{ n: number }>(
      'SELECT octet_length(attributes::text) AS n FROM dim_equipment WHERE tenant_id = $1 AND code = $2',
      [big.id, LARGEST.equipment],
    );
    expect(eq?.n).toBe(ATTRIBUTES_LIMITS.maxBytes);
  });
});
