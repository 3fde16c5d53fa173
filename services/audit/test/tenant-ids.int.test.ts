import type { TaktApp } from '@takt/http';
import { waitFor } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlant, type TestTenant } from '../../ingest/test/harness.js';
import { at, FACT_KINDS, HOUR, postSameIds, type SameIds } from '../../ingest/test/same-ids.js';
import { type Pipeline, startPipeline } from './harness.js';

interface ApiEvent {
  entityId: string;
  version: number;
  op: string;
  after: Record<string, unknown> | null;
  requestId: string | null;
}

// The same record and batch ids in two tenants, through Postgres → Debezium → Kafka → audit: two
// chains, two streams per id, each holding its own tenant's row only (docs/identity.md).
describe('audit: the same ids in two tenants', () => {
  let p: Pipeline;
  let app: TaktApp;
  let a: TestTenant;
  let b: TestTenant;
  let ids: SameIds;

  const stream = (tenant: TestTenant, type: string, id: string) =>
    waitFor(
      async () => {
        const res = await app.inject({
          method: 'GET',
          url: `/v1/audit/streams/${type}/${id}`,
          headers: tenant.auth('audit'),
        });
        const events = res.statusCode === 200 ? (res.json() as { events: ApiEvent[] }).events : [];
        return events.length > 0 ? events : undefined;
      },
      { timeoutMs: 45_000, what: `${type}/${id} of tenant ${tenant.code}` },
    );

  beforeAll(async () => {
    p = await startPipeline();
    a = await p.ingest.tenant();
    b = await p.ingest.tenant();
    await seedPlant(p.ingest, a);
    await seedPlant(p.ingest, b);
    await p.startConnector();
    app = (await p.startAudit()).app;
    await app.ready();
    ids = await postSameIds(p.ingest, a, b, { 'x-correlation-id': 'plc-7.batch_1' });
  });
  afterAll(async () => p?.close());

  it.each(FACT_KINDS.map((k) => [k.name]))('keeps one %s stream per tenant under one id', async (name) => {
    const { id } = ids[name];
    for (const [tenant, hour] of [
      [a, HOUR.a],
      [b, HOUR.b],
    ] as const) {
      const events = await stream(tenant, name, id);
      // Version 1 and nothing else: the other tenant's row never joined this stream.
      expect(events.map((e) => [e.version, e.op])).toEqual([[1, 'create']]);
      expect(events[0]?.after).toMatchObject({
        id,
        tenant_id: tenant.id,
        start_at: `${at(hour).slice(0, -1)}.000Z`,
      });
    }
  });

  it('keeps one ingest_batch stream per tenant, with the server request id and the correlation id', async () => {
    for (const kind of FACT_KINDS) {
      const { batchId, id } = ids[kind.name];
      for (const tenant of [a, b]) {
        const [batch] = await stream(tenant, 'ingest_batch', batchId);
        expect(batch?.after).toMatchObject({
          tenant_id: tenant.id,
          kind: kind.name,
          correlation_id: 'plc-7.batch_1',
        });
        expect(batch?.requestId).toMatch(/^[0-9a-f-]{36}$/);
        const [fact] = await stream(tenant, kind.name, id);
        expect(fact?.requestId).toBe(batch?.requestId);
      }
    }
  });

  it('chains each tenant on its own, and both verify', async () => {
    for (const tenant of [a, b]) {
      // ok only once a signed checkpoint covers the last event: the idle timer signs it within seconds.
      const verdict = await waitFor(async () => {
        const res = await app.inject({
          method: 'GET',
          url: '/v1/audit/verify',
          headers: tenant.auth('audit'),
        });
        const body = res.json() as { ok: boolean; status: string };
        return body.ok ? body : undefined;
      });
      expect(verdict).toMatchObject({ ok: true, status: 'verified' });
      const rows = await p.auditSql<{ n: string }>(
        'SELECT count(*) AS n FROM audit_event WHERE tenant_id = $1 AND entity_id = ANY($2)',
        [tenant.id, FACT_KINDS.map((k) => ids[k.name].id)],
      );
      expect(Number(rows[0]?.n)).toBe(FACT_KINDS.length);
    }
  });
});
