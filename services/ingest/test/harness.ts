import { randomUUID } from 'node:crypto';
import { ApiKeyStore } from '@takt/api-keys';
import { generateKeyringSpec, type Keyring, parseKeyring } from '@takt/crypto';
import { createPrisma, ensureMigratedTemplate, type PrismaClient } from '@takt/db';
import {
  createMetricsRegistry,
  generateApiKey,
  type HttpLimitsInput,
  type Scope,
  type TaktApp,
} from '@takt/http';
import { createLogger } from '@takt/log';
import { createTestDatabase, pgUrl, type TestDatabase, withAdmin } from '@takt/testing';
import { buildApp } from '../src/app.js';

export interface TestTenant {
  id: string;
  code: string;
  keys: Record<Scope, string>;
  auth(scope: Scope): { authorization: string };
}

export interface IngestHarness {
  app: TaktApp;
  db: TestDatabase;
  prisma: PrismaClient;
  keys: ApiKeyStore;
  keyring: Keyring;
  tenant(code?: string): Promise<TestTenant>;
  /** Superuser query on the test database: sees every tenant (superusers bypass RLS). */
  sql<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A database of its own, cloned from the migrated template, and the ingest app on top of it. */
export async function startIngest(
  opts: {
    clock?: () => number;
    limits?: { sensorRecords: number; factRecords: number };
    http?: HttpLimitsInput;
  } = {},
): Promise<IngestHarness> {
  const template = await ensureMigratedTemplate({ adminUrl: pgUrl('postgres') });
  const db = await createTestDatabase({ prefix: 'takt_ingest', template: template.name });
  const prisma = createPrisma({ url: db.urlFor('takt_app'), poolMax: 4 });
  const keyring = parseKeyring(generateKeyringSpec(['k1']));
  const logger = createLogger({ service: 'ingest', level: 'silent' });
  const keys = new ApiKeyStore({ connectionString: db.urlFor('takt_app'), logger });
  await keys.start();
  const app = await buildApp({
    prisma,
    resolveKey: keys.resolve,
    keyring,
    logger,
    metrics: createMetricsRegistry('ingest'),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.http ? { http: opts.http } : {}),
  });
  await app.ready();
  const sql = <T>(text: string, values: unknown[] = []) =>
    withAdmin(db.name, async (c) => (await c.query(text, values)).rows as T[]);

  return {
    app,
    db,
    prisma,
    keys,
    keyring,
    sql,
    async tenant(code = `t${randomUUID().slice(0, 8)}`) {
      const id = randomUUID();
      const keys = {} as Record<Scope, string>;
      await sql('INSERT INTO tenant (id, code, name) VALUES ($1, $2, $2)', [id, code]);
      for (const scope of ['admin', 'ingest', 'read', 'audit'] as const) {
        const k = generateApiKey();
        keys[scope] = k.key;
        await sql('INSERT INTO api_key (id, tenant_id, name, key_hash, scopes) VALUES ($1, $2, $3, $4, $5)', [
          k.id,
          id,
          `${scope} key`,
          k.hash,
          [scope],
        ]);
      }
      return { id, code, keys, auth: (scope) => ({ authorization: `Bearer ${keys[scope]}` }) };
    },
    async close() {
      await app.close();
      await keys.stop();
      await prisma.$disconnect();
      await db.drop();
    },
  };
}

/** Master data every fact test needs: a site, a line, two equipment, a product, two reasons. */
export async function seedPlant(h: IngestHarness, t: TestTenant): Promise<void> {
  const put = async (url: string, payload: Record<string, unknown>) => {
    const res = await h.app.inject({ method: 'PUT', url, headers: t.auth('admin'), payload });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  };
  await put('/v1/sites/berlin', { name: 'Berlin', timeZone: 'Europe/Berlin' });
  await put('/v1/lines/L1', { name: 'Line 1', siteCode: 'berlin' });
  await put('/v1/equipment/press-01', { name: 'Press 1', lineCode: 'L1', attributes: { vendor: 'Acme' } });
  await put('/v1/equipment/press-02', { name: 'Press 2', lineCode: 'L1' });
  await put('/v1/products/bracket', { name: 'Bracket', idealCycleTimeS: 30 });
  await put('/v1/downtime-reasons/jam', { name: 'Material jam', planned: false });
  await put('/v1/downtime-reasons/break', { name: 'Break', planned: true });
}
