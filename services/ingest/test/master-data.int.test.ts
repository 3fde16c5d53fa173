import { randomUUID } from 'node:crypto';
import { waitFor } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestHarness, startIngest, type TestTenant } from './harness.js';

let h: IngestHarness;
let t: TestTenant;

beforeAll(async () => {
  h = await startIngest();
  t = await h.tenant();
});
afterAll(() => h?.close());

describe('master data', () => {
  it('creates with 201, updates with 200, and reads back', async () => {
    const created = await h.app.inject({
      method: 'PUT',
      url: '/v1/sites/plant-a',
      headers: t.auth('admin'),
      payload: { name: 'Plant A', timeZone: 'Asia/Kolkata' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      code: 'plant-a',
      name: 'Plant A',
      timeZone: 'Asia/Kolkata',
      deletedAt: null,
    });
    const updated = await h.app.inject({
      method: 'PUT',
      url: '/v1/sites/plant-a',
      headers: t.auth('admin'),
      payload: { name: 'Plant A (Pune)', timeZone: 'Asia/Kolkata' },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().name).toBe('Plant A (Pune)');

    for (const [url, payload] of [
      ['/v1/lines/la', { name: 'Line A', siteCode: 'plant-a' }],
      ['/v1/equipment/cnc-7', { name: 'CNC 7', lineCode: 'la', attributes: { axis: 5, vendor: 'DMG' } }],
      ['/v1/products/p-1', { name: 'Shaft', idealCycleTimeS: 12.5 }],
      ['/v1/downtime-reasons/setup', { name: 'Changeover', planned: true }],
    ] as const) {
      const res = await h.app.inject({ method: 'PUT', url, headers: t.auth('admin'), payload });
      expect(res.statusCode, res.body).toBe(201);
    }
    const eq = await h.app.inject({ method: 'GET', url: '/v1/equipment/cnc-7', headers: t.auth('read') });
    expect(eq.json()).toMatchObject({
      code: 'cnc-7',
      lineCode: 'la',
      attributes: { axis: 5, vendor: 'DMG' },
    });
    const product = await h.app.inject({ method: 'GET', url: '/v1/products/p-1', headers: t.auth('read') });
    expect(product.json().idealCycleTimeS).toBe(12.5);
  });

  it('writes nothing for an identical re-put', async () => {
    const payload = { name: 'Same', timeZone: 'UTC' };
    await h.app.inject({ method: 'PUT', url: '/v1/sites/same', headers: t.auth('admin'), payload });
    const [before] = await h.sql<{ xmin: string }>("SELECT xmin::text FROM dim_site WHERE code = 'same'");
    const again = await h.app.inject({
      method: 'PUT',
      url: '/v1/sites/same',
      headers: t.auth('admin'),
      payload,
    });
    expect(again.statusCode).toBe(200);
    const [after] = await h.sql<{ xmin: string }>("SELECT xmin::text FROM dim_site WHERE code = 'same'");
    expect(after?.xmin).toBe(before?.xmin);
  });

  it('rejects bad input with the field named', async () => {
    const cases: [string, unknown, string][] = [
      ['/v1/sites/x', { name: 'X', timeZone: 'Mars/Olympus' }, '/timeZone'],
      ['/v1/sites/x', { name: 'X' }, '/timeZone'],
      ['/v1/sites/bad code', { name: 'X', timeZone: 'UTC' }, '/path/code'],
      ['/v1/lines/x', { name: 'X', siteCode: 'nope' }, '/siteCode'],
      ['/v1/equipment/x', { name: 'X', lineCode: 'nope' }, '/lineCode'],
      ['/v1/products/x', { name: 'X', idealCycleTimeS: 0 }, '/idealCycleTimeS'],
      ['/v1/products/x', { name: 'X', idealCycleTimeS: 1, extra: true }, ''],
      ['/v1/downtime-reasons/x', { name: 'X', planned: 'yes' }, '/planned'],
    ];
    for (const [url, payload, pointer] of cases) {
      const res = await h.app.inject({
        method: 'PUT',
        url,
        headers: t.auth('admin'),
        payload: payload as object,
      });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
    expect((await h.sql("SELECT 1 FROM dim_site WHERE code = 'x'")).length).toBe(0);
  });

  it('needs the admin scope', async () => {
    const res = await h.app.inject({
      method: 'PUT',
      url: '/v1/sites/y',
      headers: t.auth('ingest'),
      payload: { name: 'Y', timeZone: 'UTC' },
    });
    expect(res.statusCode).toBe(403);
    expect((await h.app.inject({ method: 'PUT', url: '/v1/sites/y', payload: {} })).statusCode).toBe(401);
  });

  it('soft-deletes, answers 404 for unknown codes, and revives on a re-put', async () => {
    await h.app.inject({
      method: 'PUT',
      url: '/v1/sites/gone',
      headers: t.auth('admin'),
      payload: { name: 'G', timeZone: 'UTC' },
    });
    const del = await h.app.inject({ method: 'DELETE', url: '/v1/sites/gone', headers: t.auth('admin') });
    expect(del.statusCode).toBe(204);
    const [row] = await h.sql<{ deleted_at: Date | null }>(
      "SELECT deleted_at FROM dim_site WHERE code = 'gone'",
    );
    expect(row?.deleted_at).toBeInstanceOf(Date);
    const line = await h.app.inject({
      method: 'PUT',
      url: '/v1/lines/lg',
      headers: t.auth('admin'),
      payload: { name: 'L', siteCode: 'gone' },
    });
    expect(line.statusCode).toBe(400);
    expect(
      (await h.app.inject({ method: 'DELETE', url: '/v1/sites/never', headers: t.auth('admin') })).statusCode,
    ).toBe(404);
    const revived = await h.app.inject({
      method: 'PUT',
      url: '/v1/sites/gone',
      headers: t.auth('admin'),
      payload: { name: 'G', timeZone: 'UTC' },
    });
    expect(revived.json().deletedAt).toBeNull();
  });

  it('creates API keys that work, stored only as a hash', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: t.auth('admin'),
      payload: { name: 'line 1 PLC', scopes: ['ingest'] },
    });
    expect(res.statusCode).toBe(201);
    const { id, key } = res.json();
    const rows = await h.sql<{ key_hash: string; tenant_id: string }>(
      'SELECT key_hash, tenant_id FROM api_key WHERE id = $1',
      [id],
    );
    expect(rows[0]?.tenant_id).toBe(t.id);
    expect(JSON.stringify(rows)).not.toContain(key);
    const use = await h.app.inject({
      method: 'PUT',
      url: '/v1/sites/z',
      headers: { authorization: `Bearer ${key}` },
      payload: { name: 'Z', timeZone: 'UTC' },
    });
    expect(use.statusCode).toBe(403);
    const bad = await h.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: t.auth('admin'),
      payload: { name: 'x', scopes: ['root'] },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('revokes an API key: 204, then refused; unknown ids 404, malformed ones 400 at /path/id', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: t.auth('admin'),
      payload: { name: 'temporary', scopes: ['admin'] },
    });
    const { id, key } = created.json();
    const use = () =>
      h.app.inject({ method: 'GET', url: '/v1/sites/nowhere', headers: { authorization: `Bearer ${key}` } });
    expect((await use()).statusCode).toBe(404);
    const revoke = (keyId: string) =>
      h.app.inject({ method: 'DELETE', url: `/v1/api-keys/${keyId}`, headers: t.auth('admin') });
    expect((await revoke(id)).statusCode).toBe(204);
    await waitFor(async () => (await use()).statusCode === 401, { timeoutMs: 1_000, intervalMs: 10 });
    const rows = await h.sql<{ revoked_at: Date | null; changed_by: string | null }>(
      'SELECT revoked_at, changed_by FROM api_key WHERE id = $1',
      [id],
    );
    expect(rows[0]?.revoked_at).not.toBeNull();
    expect(rows[0]?.changed_by).not.toBeNull();
    expect((await revoke(randomUUID())).statusCode).toBe(404);
    const malformed = await revoke('not-a-uuid');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors[0].pointer).toBe('/path/id');
  });
});
