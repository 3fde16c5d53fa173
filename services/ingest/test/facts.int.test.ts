import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestHarness, seedPlant, startIngest, type TestTenant } from './harness.js';

let h: IngestHarness;
let t: TestTenant;

beforeAll(async () => {
  h = await startIngest({ limits: { sensorRecords: 50, factRecords: 20 } });
  t = await h.tenant();
  await seedPlant(h, t);
});
afterAll(() => h?.close());

const post = (url: string, payload: Record<string, unknown>, tenant = t) =>
  h.app.inject({ method: 'POST', url, headers: tenant.auth('ingest'), payload });

const count = async (table: string, where = 'true', values: unknown[] = []) =>
  Number((await h.sql<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, values))[0]?.n);

describe('sensor batches', () => {
  it('writes every reading and answers 201, then replays a retry with 200', async () => {
    const batchId = randomUUID();
    const records = Array.from({ length: 20 }, (_, i) => ({
      equipmentCode: i % 2 ? 'press-01' : 'press-02',
      tag: 'temperature',
      ts: new Date(Date.UTC(2026, 10, 30, 8, 0, i)).toISOString(),
      value: 20 + i / 10,
      ...(i === 3 ? { quality: 'uncertain' } : {}),
    }));
    const first = await post('/v1/sensor-batches', { batchId, records });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toEqual({ batchId, accepted: 20 });
    expect(await count('fact_sensor_reading', 'batch_id = $1', [batchId])).toBe(20);
    const retry = await post('/v1/sensor-batches', { batchId, records });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual({ batchId, accepted: 20 });
    expect(await count('ingest_batch', 'id = $1', [batchId])).toBe(1);
    const other = await post('/v1/sensor-batches', { batchId, records: records.slice(1) });
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('TAKT_BATCH_CONFLICT');
    const otherEndpoint = await post('/v1/state-events', {
      batchId,
      records: [
        { id: randomUUID(), equipmentCode: 'press-01', state: 'running', start: '2026-11-30T08:00:00Z' },
      ],
    });
    expect(otherEndpoint.statusCode).toBe(409);
  });

  it('truncates sub-millisecond digits and keeps the offset right', async () => {
    const batchId = randomUUID();
    const res = await post('/v1/sensor-batches', {
      batchId,
      records: [
        { equipmentCode: 'press-01', tag: 'spindle', ts: '2026-11-30T10:00:00.1239+01:00', value: 1 },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    const [row] = await h.sql<{ ts: Date }>('SELECT ts FROM fact_sensor_reading WHERE batch_id = $1', [
      batchId,
    ]);
    expect(row?.ts.toISOString()).toBe('2026-11-30T09:00:00.123Z');
  });

  it('rejects a batch with one bad record whole, naming it, and keeps its id unused', async () => {
    const batchId = randomUUID();
    const records = [
      { equipmentCode: 'press-01', tag: 'power', ts: '2026-11-30T08:00:00Z', value: 1 },
      { equipmentCode: 'nope', tag: 'power', ts: '2026-11-30T08:00:01Z', value: 2 },
      { equipmentCode: 'press-01', tag: 'power', ts: '2026-11-30T08:00:00Z', value: 3 },
    ];
    const res = await post('/v1/sensor-batches', { batchId, records });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/records/1/equipmentCode',
      '/records/2/ts',
    ]);
    expect(await count('fact_sensor_reading', "tag = 'power'")).toBe(0);
    expect(await count('ingest_batch', 'id = $1', [batchId])).toBe(0);
    const fixed = await post('/v1/sensor-batches', { batchId, records: [records[0]!] });
    expect(fixed.statusCode).toBe(201);
  });

  it('answers 413 past the record limit and 400 on a bad value', async () => {
    const records = Array.from({ length: 51 }, (_, i) => ({
      equipmentCode: 'press-01',
      tag: 'x',
      ts: `2026-11-30T08:00:${String(i % 60).padStart(2, '0')}Z`,
      value: i,
    }));
    const big = await post('/v1/sensor-batches', { batchId: randomUUID(), records });
    expect(big.statusCode).toBe(413);
    const nan = await post('/v1/sensor-batches', {
      batchId: randomUUID(),
      records: [{ equipmentCode: 'press-01', tag: 'x', ts: '2026-11-30T08:00:00', value: 1 }],
    });
    expect(nan.statusCode).toBe(400);
    expect(nan.json().errors[0].pointer).toBe('/records/0/ts');
  });

  it('prunes a one-day query to one partition', async () => {
    // pg_partman keeps daily partitions around today; name today's by its date.
    const day = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
    const next = new Date(day.getTime() + 86_400_000);
    const plan = await h.sql<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT avg(value) FROM fact_sensor_reading WHERE ts >= '${day.toISOString()}' AND ts < '${next.toISOString()}'`,
    );
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    const partitions = new Set(text.match(/fact_sensor_reading_(p\d{4}_\d{2}_\d{2}|default)\b/g) ?? []);
    expect([...partitions]).toEqual([
      `fact_sensor_reading_p${day.toISOString().slice(0, 10).replaceAll('-', '_')}`,
    ]);
  });
});

describe('production counts', () => {
  it('stores the operator encrypted and returns it only to admin and audit keys', async () => {
    // In upper case, as some PLCs send them: PostgreSQL stores the UUID in lower case, and the
    // ciphertext must name the row as stored or it never opens again (a 500 once).
    const id = randomUUID().toUpperCase();
    const res = await post('/v1/production-counts', {
      batchId: randomUUID(),
      records: [
        {
          id,
          equipmentCode: 'press-01',
          productCode: 'bracket',
          start: '2026-11-30T08:00:00Z',
          end: '2026-11-30T08:15:00Z',
          total: 30,
          good: 27,
          scrap: 2,
          rework: 1,
          orderId: 'PO-1',
          operator: 'Ada Lovelace',
        },
        {
          equipmentCode: 'press-02',
          productCode: 'bracket',
          start: '2026-11-30T08:00:00Z',
          end: '2026-11-30T08:15:00Z',
          total: 10,
          good: 10,
        },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    const [row] = await h.sql<{
      operator_enc: string;
      ideal_cycle_time_s: string;
      changed_by: string;
      request_id: string;
    }>('SELECT operator_enc, ideal_cycle_time_s, changed_by, request_id FROM fact_production WHERE id = $1', [
      id,
    ]);
    expect(row?.operator_enc).toMatch(/^v1:k1:/);
    expect(row?.operator_enc).not.toContain('Ada');
    expect(Number(row?.ideal_cycle_time_s)).toBe(30);
    expect(row?.request_id).toBe(res.headers['x-request-id']);
    const asAdmin = await h.app.inject({
      method: 'GET',
      url: `/v1/production-counts/${id}`,
      headers: t.auth('admin'),
    });
    expect(asAdmin.json()).toMatchObject({ operator: 'Ada Lovelace', good: 27, scrap: 2, rework: 1 });
    const asIngest = await h.app.inject({
      method: 'GET',
      url: `/v1/production-counts/${id}`,
      headers: t.auth('ingest'),
    });
    expect(asIngest.statusCode).toBe(200);
    expect(asIngest.json()).not.toHaveProperty('operator');
    expect(
      await count('fact_production', "equipment_id = (SELECT id FROM dim_equipment WHERE code = 'press-02')"),
    ).toBe(1);
  });

  it('keeps the ideal cycle time of the write, and rejects moving a record', async () => {
    const id = randomUUID();
    const rec = {
      id,
      equipmentCode: 'press-01',
      productCode: 'bracket',
      start: '2026-11-30T09:00:00Z',
      end: '2026-11-30T09:10:00Z',
      total: 5,
      good: 5,
    };
    expect((await post('/v1/production-counts', { batchId: randomUUID(), records: [rec] })).statusCode).toBe(
      201,
    );
    await h.app.inject({
      method: 'PUT',
      url: '/v1/products/bracket',
      headers: t.auth('admin'),
      payload: { name: 'Bracket', idealCycleTimeS: 45 },
    });
    expect(
      (
        await post('/v1/production-counts', {
          batchId: randomUUID(),
          records: [{ ...rec, good: 4, scrap: 1 }],
        })
      ).statusCode,
    ).toBe(201);
    const [row] = await h.sql<{ ideal_cycle_time_s: string; good: number }>(
      'SELECT ideal_cycle_time_s, good FROM fact_production WHERE id = $1',
      [id],
    );
    expect(row).toMatchObject({ good: 4 });
    expect(Number(row?.ideal_cycle_time_s)).toBe(30);
    const moved = await post('/v1/production-counts', {
      batchId: randomUUID(),
      records: [{ ...rec, equipmentCode: 'press-02' }],
    });
    expect(moved.statusCode).toBe(409);
    expect(moved.json().code).toBe('TAKT_OWNER_CHANGE');
    await h.app.inject({
      method: 'PUT',
      url: '/v1/products/bracket',
      headers: t.auth('admin'),
      payload: { name: 'Bracket', idealCycleTimeS: 30 },
    });
  });

  it('checks counts and intervals', async () => {
    const bad = await post('/v1/production-counts', {
      batchId: randomUUID(),
      records: [
        {
          equipmentCode: 'press-01',
          productCode: 'bracket',
          start: '2026-11-30T08:00:00Z',
          end: '2026-11-30T08:15:00Z',
          total: 3,
          good: 3,
          scrap: 1,
        },
        {
          equipmentCode: 'press-01',
          productCode: 'bracket',
          start: '2026-11-30T08:15:00Z',
          end: '2026-11-30T08:15:00Z',
          total: 1,
          good: 1,
        },
        {
          equipmentCode: 'press-01',
          productCode: 'ghost',
          start: '2026-11-30T08:00:00Z',
          end: '2026-11-30T08:15:00Z',
          total: 1,
          good: 1.5,
        },
      ],
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .errors.map((e: { pointer: string }) => e.pointer)
        .sort(),
    ).toEqual(['/records/0/good', '/records/1/end', '/records/2/good']);
  });
});

describe('shifts and maintenance', () => {
  it('rejects an overlapping shift of the same line with the conflicting id, and owner changes', async () => {
    const a = randomUUID();
    const ok = await post('/v1/shifts', {
      batchId: randomUUID(),
      records: [
        {
          id: a,
          lineCode: 'L1',
          name: 'Early',
          start: '2026-11-30T06:00:00+01:00',
          end: '2026-11-30T14:00:00+01:00',
        },
        {
          id: randomUUID(),
          equipmentCode: 'press-01',
          name: 'Overtime',
          start: '2026-11-30T12:00:00+01:00',
          end: '2026-11-30T16:00:00+01:00',
        },
      ],
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const clash = await post('/v1/shifts', {
      batchId: randomUUID(),
      records: [
        {
          id: randomUUID(),
          lineCode: 'L1',
          name: 'Late',
          start: '2026-11-30T13:00:00+01:00',
          end: '2026-11-30T22:00:00+01:00',
        },
      ],
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ code: 'TAKT_OVERLAP', conflictingId: a });
    const moved = await post('/v1/shifts', {
      batchId: randomUUID(),
      records: [
        {
          id: a,
          equipmentCode: 'press-02',
          name: 'Early',
          start: '2026-11-30T06:00:00+01:00',
          end: '2026-11-30T14:00:00+01:00',
        },
      ],
    });
    expect(moved.statusCode).toBe(409);
    const both = await post('/v1/shifts', {
      batchId: randomUUID(),
      records: [
        {
          id: randomUUID(),
          lineCode: 'L1',
          equipmentCode: 'press-01',
          name: 'X',
          start: '2026-12-30T06:00:00Z',
          end: '2026-12-30T07:00:00Z',
        },
      ],
    });
    expect(both.statusCode).toBe(400);
  });

  it('stores maintenance with the technician encrypted', async () => {
    const id = randomUUID();
    const res = await post('/v1/maintenance-events', {
      batchId: randomUUID(),
      records: [
        {
          id,
          equipmentCode: 'press-01',
          kind: 'corrective',
          start: '2026-11-30T10:00:00Z',
          technician: 'Grace Hopper',
          notes: 'bearing',
        },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    const [row] = await h.sql<{ technician_enc: string }>(
      'SELECT technician_enc FROM fact_maintenance WHERE id = $1',
      [id],
    );
    expect(row?.technician_enc).not.toContain('Grace');
    const read = await h.app.inject({
      method: 'GET',
      url: `/v1/maintenance-events/${id}`,
      headers: t.auth('audit'),
    });
    expect(read.json()).toMatchObject({ technician: 'Grace Hopper', kind: 'corrective', end: null });
  });
});

describe('tenants', () => {
  it('cannot see or overwrite each other', async () => {
    const other = await h.tenant();
    await seedPlant(h, other);
    const res = await post(
      '/v1/production-counts',
      {
        batchId: randomUUID(),
        records: [
          {
            equipmentCode: 'press-01',
            productCode: 'bracket',
            start: '2026-11-30T08:00:00Z',
            end: '2026-11-30T08:15:00Z',
            total: 1,
            good: 1,
          },
        ],
      },
      other,
    );
    expect(res.statusCode).toBe(201);
    const rows = await h.sql<{ tenant_id: string }>(
      "SELECT DISTINCT e.tenant_id FROM dim_equipment e WHERE e.code = 'press-01'",
    );
    expect(rows.map((r) => r.tenant_id).sort()).toEqual([t.id, other.id].sort());
    const [mine] = await h.sql<{ id: string }>(
      'SELECT id FROM fact_production WHERE tenant_id = $1 LIMIT 1',
      [t.id],
    );
    const peek = await h.app.inject({
      method: 'GET',
      url: `/v1/production-counts/${mine?.id}`,
      headers: other.auth('admin'),
    });
    expect(peek.statusCode).toBe(404);
    const overwrite = await post(
      '/v1/production-counts',
      {
        batchId: randomUUID(),
        records: [
          {
            id: mine?.id,
            equipmentCode: 'press-01',
            productCode: 'bracket',
            start: '2026-11-30T08:00:00Z',
            end: '2026-11-30T08:15:00Z',
            total: 9,
            good: 9,
          },
        ],
      },
      other,
    );
    // Ids are per tenant (docs/identity.md): the other tenant gets a row of its own under the
    // same id, and this tenant's row is neither revealed nor touched.
    expect(overwrite.statusCode).toBe(201);
    const both = await h.sql<{ tenant_id: string; total: number }>(
      'SELECT tenant_id, total FROM fact_production WHERE id = $1',
      [mine?.id],
    );
    expect(both.find((r) => r.tenant_id === t.id)?.total).not.toBe(9);
    expect(both.find((r) => r.tenant_id === other.id)?.total).toBe(9);
  });
});
