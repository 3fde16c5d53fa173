import { randomUUID } from 'node:crypto';
import { ensureMigratedTemplate } from '@takt/db';
import { generateApiKey, TaktError } from '@takt/http';
import { createLogger } from '@takt/log';
import { createTestDatabase, pgUrl, type TestDatabase, waitFor, withAdmin } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../src/index.js';

const logger = createLogger({ service: 'api-keys-test', level: 'silent' });
let db: TestDatabase;
let store: ApiKeyStore;
const tenant = randomUUID();

const sql = (text: string, values: unknown[] = []) =>
  withAdmin(db.name, async (c) => (await c.query(text, values)).rows);

async function newKey(tenantId = tenant, scopes = ['read']) {
  const k = generateApiKey();
  await sql('INSERT INTO api_key (id, tenant_id, name, key_hash, scopes) VALUES ($1, $2, $3, $4, $5)', [
    k.id,
    tenantId,
    'test key',
    k.hash,
    scopes,
  ]);
  return k;
}

beforeAll(async () => {
  const template = await ensureMigratedTemplate({ adminUrl: pgUrl('postgres') });
  db = await createTestDatabase({ prefix: 'takt_api_keys', template: template.name });
  await sql('INSERT INTO tenant (id, code, name) VALUES ($1, $2, $2)', [tenant, `t${tenant.slice(0, 8)}`]);
  store = new ApiKeyStore({ connectionString: db.urlFor('takt_app'), logger, applicationName: 'keys-test' });
  await store.start();
  expect(store.live).toBe(true);
});

afterAll(async () => {
  await store?.stop();
  await db?.drop();
});

describe('ApiKeyStore against PostgreSQL', () => {
  it('resolves a key to its tenant and scopes, and refuses malformed and unknown ones', async () => {
    const k = await newKey(tenant, ['read', 'audit']);
    expect(await store.resolve(k.key)).toEqual({ tenantId: tenant, keyId: k.id, scopes: ['read', 'audit'] });
    expect(await store.resolve('not-a-key')).toBeNull();
    expect(await store.resolve(generateApiKey().key)).toBeNull();
  });

  it('forgets a kept key as soon as its revocation is notified, well within a second', async () => {
    const k = await newKey();
    expect(await store.resolve(k.key)).not.toBeNull();
    // Kept now: a second answer costs no lookup, so only the notification can end it early.
    expect(await store.resolve(k.key)).not.toBeNull();
    await sql('UPDATE api_key SET revoked_at = now() WHERE id = $1', [k.id]);
    const revokedAt = Date.now();
    await waitFor(async () => (await store.resolve(k.key)) === null, { timeoutMs: 1_000, intervalMs: 5 });
    // The TTL alone would take up to 1,000 ms: this bound holds only through the notification.
    expect(Date.now() - revokedAt).toBeLessThan(250);
  });

  it('accepts a key created after its token was refused, without waiting for the TTL', async () => {
    const k = generateApiKey();
    const token = k.key;
    expect(await store.resolve(token)).toBeNull();
    await sql('INSERT INTO api_key (id, tenant_id, name, key_hash, scopes) VALUES ($1, $2, $3, $4, $5)', [
      k.id,
      tenant,
      'late key',
      k.hash,
      ['ingest'],
    ]);
    const insertedAt = Date.now();
    await waitFor(async () => (await store.resolve(token)) !== null, { timeoutMs: 1_000, intervalMs: 5 });
    expect(Date.now() - insertedAt).toBeLessThan(500);
  });

  it('checks every request in PostgreSQL while the listener is gone, then listens again', async () => {
    const k = await newKey();
    expect(await store.resolve(k.key)).not.toBeNull();
    await sql(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'keys-test-listener'",
    );
    await waitFor(async () => !store.live, { timeoutMs: 5_000 });
    await sql('UPDATE api_key SET revoked_at = now() WHERE id = $1', [k.id]);
    expect(await store.resolve(k.key)).toBeNull();
    await waitFor(async () => store.live, { timeoutMs: 10_000 });
  });

  it('answers a retriable 503 when PostgreSQL cannot be reached, never a principal', async () => {
    const down = new ApiKeyStore({
      connectionString: 'postgresql://takt_app@127.0.0.1:1/takt',
      logger,
      timeoutMs: 500,
    });
    await down.start();
    expect(down.live).toBe(false);
    const k = await newKey();
    const err = await down.resolve(k.key).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TaktError);
    expect(err).toMatchObject({ status: 503, code: 'TAKT_UNAVAILABLE', retriable: true });
    await expect(down.ping()).rejects.toThrow();
    await down.stop();
  });
});
