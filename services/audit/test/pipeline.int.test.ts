import { randomUUID } from 'node:crypto';
import type { TaktApp } from '@takt/http';
import { waitFor } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlant, type TestTenant } from '../../ingest/test/harness.js';
import { verifyCheckpoint } from '../src/checkpoint.js';
import type { AuditService } from '../src/service.js';
import { type Pipeline, startPipeline } from './harness.js';

interface ApiEvent {
  position: number;
  entityType: string;
  entityId: string;
  version: number;
  op: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  lsn: string;
  txId: number;
  committedAt: string;
  changedBy: string | null;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

// Postgres → Debezium → Kafka → audit, driven through the real ingest API.
describe('audit log over the real pipeline', () => {
  let p: Pipeline;
  let audit: AuditService;
  let app: TaktApp;
  let t: TestTenant;

  const get = async (url: string, tenant = t) => {
    const res = await app.inject({ method: 'GET', url, headers: tenant.auth('audit') });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };
  const stream = async (type: string, id: string) =>
    (await get(`/v1/audit/streams/${type}/${id}`)).body as { events: ApiEvent[]; nextVersion: number };
  const waitStream = (type: string, id: string, n: number) =>
    waitFor(
      async () => {
        const s = await stream(type, id);
        return s.events?.length >= n ? s : undefined;
      },
      { timeoutMs: 30_000, what: `${n} events in ${type}/${id}` },
    );

  beforeAll(async () => {
    p = await startPipeline();
    t = await p.ingest.tenant();
    // Before the connector exists: this site reaches Kafka through the initial snapshot.
    const res = await p.ingest.app.inject({
      method: 'PUT',
      url: '/v1/sites/hamburg',
      headers: t.auth('admin'),
      payload: { name: 'Hamburg', timeZone: 'Europe/Berlin' },
    });
    expect(res.statusCode).toBe(201);
    await p.startConnector();
    audit = await p.startAudit();
    app = audit.app;
    await app.ready();
  });
  afterAll(async () => p?.close());

  it('records the initial snapshot as op snapshot', async () => {
    const s = await waitStream('site', 'hamburg', 1);
    expect(s.events[0]).toMatchObject({ version: 1, op: 'snapshot', before: null, entityType: 'site' });
    expect(s.events[0]?.after).toMatchObject({ code: 'hamburg', name: 'Hamburg', deleted_at: null });
  });

  it('shows create, update and soft delete of an equipment as versions 1..3', async () => {
    await seedPlant(p.ingest, t);
    const admin = t.auth('admin');
    const upd = await p.ingest.app.inject({
      method: 'PUT',
      url: '/v1/equipment/press-01',
      headers: { ...admin, 'x-request-id': 'req-rename-1' },
      payload: { name: 'Press One', lineCode: 'L1', attributes: { vendor: 'Acme' } },
    });
    expect(upd.statusCode).toBe(200);
    const del = await p.ingest.app.inject({
      method: 'DELETE',
      url: '/v1/equipment/press-01',
      headers: { ...admin, 'x-request-id': 'req-delete-1' },
    });
    expect(del.statusCode).toBe(204);
    const [adminKey] = await p.ingest.sql<{ id: string }>(
      "SELECT id FROM api_key WHERE tenant_id = $1 AND 'admin' = ANY(scopes)",
      [t.id],
    );

    const s = await waitStream('equipment', 'press-01', 3);
    expect(s.events.map((e) => [e.version, e.op])).toEqual([
      [1, 'create'],
      [2, 'update'],
      [3, 'update'],
    ]);
    const [c, u, d] = s.events as [ApiEvent, ApiEvent, ApiEvent];
    expect(c.before).toBeNull();
    expect(c.after).toMatchObject({ code: 'press-01', name: 'Press 1', attributes: { vendor: 'Acme' } });
    expect(u.before).toMatchObject({ name: 'Press 1' });
    expect(u.after).toMatchObject({ name: 'Press One', deleted_at: null });
    // Request ids are the server's (docs/identity.md); the client's header is only echoed.
    expect(upd.headers['x-correlation-id']).toBe('req-rename-1');
    expect(u.requestId).toBe(upd.headers['x-request-id']);
    expect(d.before).toMatchObject({ name: 'Press One', deleted_at: null });
    expect(d.after?.deleted_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(d.requestId).toBe(del.headers['x-request-id']);
    for (const e of s.events) expect(e.changedBy).toBe(adminKey?.id);
    expect(BigInt(d.lsn) > BigInt(u.lsn) && BigInt(u.lsn) > BigInt(c.lsn)).toBe(true);
    expect(s.nextVersion).toBe(4);
    expect(u.prevHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('records a production batch as its rows plus its ingest_batch row', async () => {
    const batchId = randomUUID();
    const ids = [randomUUID(), randomUUID()];
    const res = await p.ingest.app.inject({
      method: 'POST',
      url: '/v1/production-counts',
      headers: { ...t.auth('ingest'), 'x-request-id': 'req-batch-1' },
      payload: {
        batchId,
        records: ids.map((id, i) => ({
          id,
          equipmentCode: 'press-02',
          productCode: 'bracket',
          start: `2026-03-01T0${6 + i}:00:00Z`,
          end: `2026-03-01T0${6 + i}:15:00Z`,
          total: 30,
          good: 28,
          scrap: 2,
        })),
      },
    });
    expect(res.statusCode).toBe(201);
    const b = await waitStream('ingest_batch', batchId, 1);
    expect(b.events[0]).toMatchObject({ op: 'create', requestId: res.headers['x-request-id'] });
    expect(b.events[0]?.after).toMatchObject({
      kind: 'production',
      record_count: 2,
      correlation_id: 'req-batch-1',
    });
    for (const id of ids) {
      const s = await waitStream('production', id, 1);
      expect(s.events[0]?.after).toMatchObject({
        id,
        total: 30,
        good: 28,
        scrap: 2,
        ideal_cycle_time_s: '30.000000',
      });
      expect(s.events[0]?.txId).toBe(b.events[0]?.txId);
      expect(s.events[0]?.requestId).toBe(res.headers['x-request-id']);
    }
  });

  it('replays the chain in order, verifies it and serves a signed checkpoint', async () => {
    const all = (await get('/v1/audit/events?fromPosition=1&limit=10000')).body as {
      events: ApiEvent[];
      nextPosition: number;
    };
    expect(all.events.length).toBeGreaterThan(10);
    all.events.forEach((e, i) => {
      expect(e.position).toBe(i + 1);
      if (i > 0) expect(e.prevHash).toBe(all.events[i - 1]?.hash);
    });
    expect(all.nextPosition).toBe(all.events.length + 1);
    const page = (await get('/v1/audit/events?fromPosition=3&limit=2')).body as {
      events: ApiEvent[];
      nextPosition: number;
    };
    expect(page.events.map((e) => e.position)).toEqual([3, 4]);
    expect(page.nextPosition).toBe(5);

    // ok only once a checkpoint covers the last event: the idle timer signs it within seconds.
    const v = await waitFor(async () => {
      const r = await get('/v1/audit/verify');
      return r.body.ok === true ? r : undefined;
    });
    expect(v.body).toMatchObject({ status: 'verified', checked: all.events.length });
    const latest = await waitFor(async () => {
      const r = await get('/v1/audit/checkpoints/latest');
      return r.status === 200
        ? (r.body as {
            position: number;
            hash: string;
            signature: string;
            publicKey: string;
            signedAt: string;
          })
        : undefined;
    });
    expect(latest.hash).toBe(all.events[latest.position - 1]?.hash);
    expect(verifyCheckpoint({ ...latest, tenantId: t.id }, latest.publicKey)).toBe(true);
  });

  it('answers per the HTTP contract: scope, tenant isolation, bad input', async () => {
    const other = await p.ingest.tenant();
    expect((await get('/v1/audit/streams/equipment/press-01', other)).status).toBe(404);
    expect((await get('/v1/audit/events', other)).body).toMatchObject({ events: [], nextPosition: 1 });
    const res = await app.inject({ method: 'GET', url: '/v1/audit/events', headers: t.auth('read') });
    expect(res.statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/v1/audit/events' })).statusCode).toBe(401);
    expect((await get('/v1/audit/streams/gizmo/x')).status).toBe(400);
    // A NUL or a lone surrogate in the id once reached PostgreSQL and came back as a 500.
    for (const id of ['%00', 'a%ED%BF%BF', 'x'.repeat(65)]) {
      const bad = await get(`/v1/audit/streams/equipment/${id}`);
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'TAKT_VALIDATION' });
    }
    expect((await get('/v1/audit/events?limit=10001')).status).toBe(400);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/takt_audit_events_appended_total\S* \d+/);
    expect(metrics.body).toContain('takt_audit_consumer_lag_messages');
    // Unauthenticated: totals only, never a tenant (nor any other id).
    expect(metrics.body).not.toContain(t.id);
    expect(metrics.body).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('reports the position of a row a superuser altered behind the trigger', async () => {
    const s = await stream('equipment', 'press-02');
    const target = s.events[0]!;
    // What a superuser can do: switch triggers off for the session and rewrite history.
    await p.auditSql(
      `DO $$ BEGIN
         SET LOCAL session_replication_role = replica;
         UPDATE audit_event SET after = jsonb_set(after, '{name}', '"Forged"')
          WHERE tenant_id = '${t.id}' AND position = ${target.position};
       END $$`,
    );
    const v = await get('/v1/audit/verify');
    expect(v.body).toMatchObject({ ok: false, firstBadPosition: target.position });
    const before = await get(`/v1/audit/verify?fromPosition=1&toPosition=${target.position - 1}`);
    expect(before.body).toMatchObject({ checked: target.position - 1 });
    expect(before.body.status).not.toBe('failed');
  });
});
