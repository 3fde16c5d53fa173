import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestHarness, seedPlant, startIngest, type TestTenant } from './harness.js';
import { at, FACT_KINDS } from './same-ids.js';

// Fact ids and batch ids are chosen by clients, so they are unique per tenant only
// (docs/identity.md): tenant B may use any id tenant A used, and nothing B sees depends on A.

let h: IngestHarness;
beforeAll(async () => {
  h = await startIngest();
});
afterAll(() => h?.close());

/** Two tenants with the same plant (same codes, different rows). */
async function twoTenants(): Promise<[TestTenant, TestTenant]> {
  const a = await h.tenant();
  const b = await h.tenant();
  await seedPlant(h, a);
  await seedPlant(h, b);
  return [a, b];
}

const post = (tenant: TestTenant, url: string, batchId: string, records: Record<string, unknown>[]) =>
  h.app.inject({ method: 'POST', url, headers: tenant.auth('ingest'), payload: { batchId, records } });

/** A problem body without what differs per request, with `id` written as ID. */
const shapeOf = (body: string, id: string) => {
  const { requestId: _r, instance: _i, ...rest } = JSON.parse(body.replaceAll(id, 'ID'));
  return rest;
};

describe.each(FACT_KINDS)('$name ids are per tenant', (kind) => {
  let a: TestTenant;
  let b: TestTenant;
  const id = randomUUID();
  const batchId = randomUUID();

  beforeAll(async () => {
    [a, b] = await twoTenants();
  });

  it('lets tenant B use the record and batch ids tenant A used, and keeps both rows', async () => {
    const first = await post(a, kind.url, batchId, [kind.record(id, 8)]);
    expect(first.statusCode, first.body).toBe(201);
    // A fresh id and the taken one answer B the same way: nothing tells B that A used it.
    const fresh = await post(b, kind.url, randomUUID(), [kind.record(randomUUID(), 14)]);
    const second = await post(b, kind.url, batchId, [kind.record(id, 10)]);
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json()).toEqual({ batchId, accepted: 1 });
    expect(fresh.statusCode).toBe(201);

    const rows = await h.sql<{ tenant_id: string; start_at: Date; batch_id: string }>(
      `SELECT tenant_id, start_at, batch_id FROM ${kind.table} WHERE id = $1`,
      [id],
    );
    expect(rows.map((r) => [r.tenant_id, r.start_at.toISOString(), r.batch_id]).sort()).toEqual(
      [
        [a.id, '2026-11-30T08:00:00.000Z', batchId],
        [b.id, '2026-11-30T10:00:00.000Z', batchId],
      ].sort(),
    );
    const batches = await h.sql<{ tenant_id: string }>(
      'SELECT tenant_id FROM ingest_batch WHERE id = $1 ORDER BY tenant_id',
      [batchId],
    );
    expect(batches.map((r) => r.tenant_id)).toEqual([a.id, b.id].sort());
  });

  it.skipIf(!kind.read)(
    "reads each tenant's own row back, and another tenant's id like an unknown one",
    async () => {
      const read = kind.read!;
      for (const [tenant, hour] of [
        [a, 8],
        [b, 10],
      ] as const) {
        const res = await h.app.inject({ method: 'GET', url: read(id), headers: tenant.auth('admin') });
        expect(res.statusCode).toBe(200);
        const { operator, technician, start } = res.json();
        expect(start).toBe(`${at(hour).slice(0, -1)}.000Z`);
        expect(operator ?? technician).toBe(
          `${kind.name === 'production' ? 'operator' : 'technician'} ${hour}`,
        );
      }
      const onlyA = randomUUID();
      expect((await post(a, kind.url, randomUUID(), [kind.record(onlyA, 16)])).statusCode).toBe(201);
      const unknown = randomUUID();
      const peek = await h.app.inject({ method: 'GET', url: read(onlyA), headers: b.auth('admin') });
      const miss = await h.app.inject({ method: 'GET', url: read(unknown), headers: b.auth('admin') });
      expect(peek.statusCode).toBe(404);
      expect(shapeOf(peek.body, onlyA)).toEqual(shapeOf(miss.body, unknown));
    },
  );

  it("keeps each tenant's idempotency and conflict rules within the tenant", async () => {
    // Retries answer each tenant its own first response.
    const retryA = await post(a, kind.url, batchId, [kind.record(id, 8)]);
    const retryB = await post(b, kind.url, batchId, [kind.record(id, 10)]);
    expect([retryA.statusCode, retryB.statusCode]).toEqual([200, 200]);
    // The same batch id with another body is still a conflict inside a tenant.
    const reuse = await post(a, kind.url, batchId, [kind.record(id, 10)]);
    expect(reuse.statusCode).toBe(409);
    expect(reuse.json().code).toBe('TAKT_BATCH_CONFLICT');
    // A record never changes its owner, whatever another tenant did with the id.
    const moved = await post(a, kind.url, randomUUID(), [kind.moved(kind.record(id, 8))]);
    expect(moved.statusCode, moved.body).toBe(409);
    expect(moved.json().code).toBe('TAKT_OWNER_CHANGE');
    // A correction of A's record touches A's row only.
    const corrected = await post(a, kind.url, randomUUID(), [kind.record(id, 12)]);
    expect(corrected.statusCode, corrected.body).toBe(201);
    const rows = await h.sql<{ tenant_id: string; start_at: Date }>(
      `SELECT tenant_id, start_at FROM ${kind.table} WHERE id = $1`,
      [id],
    );
    const startOf = (t: TestTenant) => rows.find((r) => r.tenant_id === t.id)?.start_at.toISOString();
    expect([startOf(a), startOf(b)]).toEqual(['2026-11-30T12:00:00.000Z', '2026-11-30T10:00:00.000Z']);
  });
});

describe('the state stream of a tenant', () => {
  it("is never closed, overlapped or reopened through another tenant's ids", async () => {
    const [a, b] = await twoTenants();
    const open = randomUUID();
    const next = randomUUID();
    const state = (id: string, start: string, end?: string) => ({
      id,
      equipmentCode: 'press-01',
      state: 'running',
      start,
      ...(end ? { end } : {}),
    });
    expect((await post(a, '/v1/state-events', randomUUID(), [state(open, at(6))])).statusCode).toBe(201);
    // B's stream takes both ids: its own open state is closed by its own next one.
    const bStream = await post(b, '/v1/state-events', randomUUID(), [state(open, at(5)), state(next, at(7))]);
    expect(bStream.statusCode, bStream.body).toBe(201);
    // A's open state is still open, and A's next state closes it at its own start.
    const [aOpen] = await h.sql<{ end_at: Date | null }>(
      'SELECT end_at FROM fact_equipment_state WHERE tenant_id = $1 AND id = $2',
      [a.id, open],
    );
    expect(aOpen?.end_at).toBeNull();
    expect((await post(a, '/v1/state-events', randomUUID(), [state(next, at(9))])).statusCode).toBe(201);
    const rows = await h.sql<{ tenant_id: string; id: string; start_at: Date; end_at: Date | null }>(
      'SELECT tenant_id, id, start_at, end_at FROM fact_equipment_state WHERE id IN ($1, $2)',
      [open, next],
    );
    const row = (t: TestTenant, id: string) => {
      const r = rows.find((x) => x.tenant_id === t.id && x.id === id);
      return [r?.start_at.toISOString(), r?.end_at?.toISOString() ?? null];
    };
    expect(row(a, open)).toEqual(['2026-11-30T06:00:00.000Z', '2026-11-30T09:00:00.000Z']);
    expect(row(a, next)).toEqual(['2026-11-30T09:00:00.000Z', null]);
    expect(row(b, open)).toEqual(['2026-11-30T05:00:00.000Z', '2026-11-30T07:00:00.000Z']);
    expect(row(b, next)).toEqual(['2026-11-30T07:00:00.000Z', null]);
    // The stream's rules still hold inside a tenant, naming the tenant's own records.
    const early = await post(a, '/v1/state-events', randomUUID(), [state(randomUUID(), at(7), at(8))]);
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: 'TAKT_STATE_CONFLICT', conflictingId: next });
    const reopen = await post(a, '/v1/state-events', randomUUID(), [state(open, at(6))]);
    expect(reopen.statusCode).toBe(409);
    expect(reopen.json()).toMatchObject({ code: 'TAKT_STATE_CONFLICT', conflictingId: next });
  });
});

describe('sensor batches', () => {
  it('share batch ids across tenants without replaying or blocking each other', async () => {
    const [a, b] = await twoTenants();
    const batchId = randomUUID();
    const reading = (value: number) => ({ equipmentCode: 'press-01', tag: 'temp', ts: at(8), value });
    expect((await post(a, '/v1/sensor-batches', batchId, [reading(1)])).statusCode).toBe(201);
    const second = await post(b, '/v1/sensor-batches', batchId, [reading(2), { ...reading(3), tag: 'rpm' }]);
    expect(second.statusCode).toBe(201);
    expect(second.json()).toEqual({ batchId, accepted: 2 });
    const rows = await h.sql<{ tenant_id: string; n: string }>(
      'SELECT tenant_id, count(*) AS n FROM fact_sensor_reading WHERE batch_id = $1 GROUP BY tenant_id',
      [batchId],
    );
    expect(Object.fromEntries(rows.map((r) => [r.tenant_id, Number(r.n)]))).toEqual({ [a.id]: 1, [b.id]: 2 });
  });
});
