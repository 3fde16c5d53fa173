import { ApiKeyStore } from '@takt/api-keys';
import { createMetricsRegistry, type Scope, type TaktApp } from '@takt/http';
import { createLogger } from '@takt/log';
import { waitFor } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp as buildIngestApp } from '../../ingest/src/app.js';
import type { TestTenant } from '../../ingest/test/harness.js';
import { buildApp as buildQueryApp } from '../../query/src/app.js';
import { type QueryHarness, startQuery } from '../../query/test/harness.js';
import { buildApp as buildAuditApp } from '../src/app.js';
import { TrustedKeys } from '../src/checkpoint.js';
import type { AuditService } from '../src/service.js';
import { type Pipeline, startPipeline } from './harness.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const logger = createLogger({ service: 'api-keys-test', level: 'silent' });
/** Where nothing listens: what a key check meets while PostgreSQL is down. */
const CLOSED_PORT_URL = 'postgresql://takt_app@127.0.0.1:1/takt';

// The three HTTP services over one takt database, each with its own key store, as in production.
describe('API keys take effect at once on ingest, query and audit', () => {
  let p: Pipeline;
  let q: QueryHarness;
  let audit: AuditService;
  let a: TestTenant;
  let b: TestTenant;
  let services: {
    name: string;
    app: TaktApp;
    scope: Scope;
    probe: { method: 'GET' | 'PUT'; url: string; payload?: object };
  }[];

  const call = (s: (typeof services)[number], key: string) =>
    s.app.inject({
      method: s.probe.method,
      url: s.probe.url,
      headers: { authorization: `Bearer ${key}` },
      ...(s.probe.payload ? { payload: s.probe.payload } : {}),
    });

  const createKey = async (tenant: TestTenant) => {
    const res = await p.ingest.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: tenant.auth('admin'),
      payload: { name: 'operator console', scopes: ['admin', 'read', 'audit'] },
    });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; key: string };
  };

  beforeAll(async () => {
    p = await startPipeline();
    audit = await p.startAudit();
    q = await startQuery({ keysDb: p.ingest.db });
    a = await p.ingest.tenant();
    b = await p.ingest.tenant();
    services = [
      {
        name: 'ingest',
        app: p.ingest.app,
        scope: 'admin',
        probe: { method: 'PUT', url: '/v1/sites/keys', payload: { name: 'Keys', timeZone: 'UTC' } },
      },
      { name: 'query', app: q.app, scope: 'read', probe: { method: 'GET', url: '/v1/freshness' } },
      {
        name: 'audit',
        app: audit.app,
        scope: 'audit',
        probe: { method: 'GET', url: '/v1/audit/events?limit=1' },
      },
    ];
  });

  afterAll(async () => {
    await q?.close();
    await p?.close();
  });

  it('accepts a new key on every service with the very next request', async () => {
    // Every service has checked (and may keep) the creating tenant's keys already.
    for (const s of services) expect((await call(s, a.keys[s.scope])).statusCode).toBeLessThan(300);
    const { key } = await createKey(a);
    for (const s of services) {
      const res = await call(s, key);
      expect(res.statusCode, `${s.name}: ${res.body}`).toBeLessThan(300);
    }
  });

  it('refuses a revoked key on every service within a second', async () => {
    const { id, key } = await createKey(a);
    // Accepted (and so kept in each service's cache) right before the revocation.
    for (const s of services) expect((await call(s, key)).statusCode).toBeLessThan(300);
    const revoke = await p.ingest.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: a.auth('admin'),
    });
    expect(revoke.statusCode).toBe(204);
    const revokedAt = performance.now();
    const seen = await Promise.all(
      services.map(async (s) => {
        await waitFor(async () => (await call(s, key)).statusCode === 401, {
          timeoutMs: 1_000,
          intervalMs: 5,
          what: `${s.name} to refuse the revoked key`,
        });
        return [s.name, Math.round(performance.now() - revokedAt)] as const;
      }),
    );
    console.info(`revoked key refused after (ms): ${seen.map(([n, ms]) => `${n} ${ms}`).join(', ')}`);
    for (const [, ms] of seen) expect(ms).toBeLessThan(1_000);
    // Revoked for good: the next requests are refused too, and a second revocation changes nothing.
    for (const s of services) expect((await call(s, key)).statusCode).toBe(401);
    const again = await p.ingest.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: a.auth('admin'),
    });
    expect(again.statusCode).toBe(204);
  });

  it("never lets tenant A's key act as tenant B", async () => {
    const put = await p.ingest.app.inject({
      method: 'PUT',
      url: '/v1/sites/only-b',
      headers: b.auth('admin'),
      payload: { name: 'Only B', timeZone: 'UTC' },
    });
    expect(put.statusCode).toBe(201);
    const asA = await p.ingest.app.inject({
      method: 'GET',
      url: '/v1/sites/only-b',
      headers: a.auth('admin'),
    });
    expect(asA.statusCode).toBe(404);
    // B's key id is unknown to A: A can neither revoke it nor learn that it exists.
    const bKey = await createKey(b);
    const revoke = await p.ingest.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${bKey.id}`,
      headers: a.auth('admin'),
    });
    expect(revoke.statusCode).toBe(404);
    for (const s of services) expect((await call(s, bKey.key)).statusCode).toBeLessThan(300);
    // What each service resolves A's key to is A, whatever B's keys look like.
    expect(await q.keys.resolve(a.keys.read)).toMatchObject({ tenantId: a.id });
    expect(await q.keys.resolve(b.keys.read)).toMatchObject({ tenantId: b.id });
  });

  it('answers a retriable 503 problem when PostgreSQL cannot check the key, never lets it in', async () => {
    const down = new ApiKeyStore({ connectionString: CLOSED_PORT_URL, logger, timeoutMs: 500 });
    await down.start();
    const metrics = () => createMetricsRegistry('test');
    const publicKeyPem = (await audit.app.inject({ url: '/v1/audit/public-key' })).body;
    const apps: TaktApp[] = [
      await buildIngestApp({
        prisma: p.ingest.prisma,
        keyring: p.ingest.keyring,
        logger,
        metrics: metrics(),
        resolveKey: down.resolve,
      }),
      await buildQueryApp({
        clickhouse: q.clickhouse,
        logger,
        metrics: metrics(),
        resolveKey: down.resolve,
        readiness: { api_keys: () => down.ping() },
      }),
      await buildAuditApp({
        store: audit.store,
        logger,
        metrics: metrics(),
        publicKeyPem,
        trusted: TrustedKeys.fromPem(publicKeyPem),
        resolveKey: down.resolve,
        readiness: { api_keys: () => down.ping() },
      }),
    ];
    try {
      for (const [i, app] of apps.entries()) {
        const s = services[i]!;
        const res = await call({ ...s, app }, a.keys[s.scope]);
        expect(res.statusCode, `${s.name}: ${res.body}`).toBe(503);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json()).toMatchObject({ code: 'TAKT_UNAVAILABLE', retriable: true, status: 503 });
        // Without a key there is nothing to check: still 401, not 503.
        expect((await app.inject({ method: s.probe.method, url: s.probe.url })).statusCode).toBe(401);
      }
      for (const app of apps.slice(1)) {
        const ready = await app.inject({ url: '/readyz' });
        expect(ready.statusCode).toBe(503);
        expect(ready.json().checks.api_keys).toBe('unreachable');
      }
    } finally {
      for (const app of apps) await app.close();
      await down.stop();
    }
  });

  it('names no tenant in any /metrics after traffic from two tenants', async () => {
    for (const t of [a, b])
      for (const s of services) expect((await call(s, t.keys[s.scope])).statusCode).toBeLessThan(300);
    for (const s of services) {
      const body = (await s.app.inject({ url: '/metrics' })).body;
      expect(body, s.name).toContain('takt_http_request_duration_seconds');
      expect(body, s.name).not.toMatch(UUID);
    }
  });
});
