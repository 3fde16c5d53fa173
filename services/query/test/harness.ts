import { randomUUID } from 'node:crypto';
import { ApiKeyStore } from '@takt/api-keys';
import { type ClickHouse, createClickHouse } from '@takt/clickhouse';
import { ensureMigratedTemplate } from '@takt/db';
import { createMetricsRegistry, generateApiKey, type Scope, type TaktApp } from '@takt/http';
import { createLogger } from '@takt/log';
import {
  createTestClickHouseDatabase,
  createTestDatabase,
  pgUrl,
  stack,
  type TestClickHouseDatabase,
  type TestDatabase,
  withAdmin,
} from '@takt/testing';
import { buildApp, type QueryAppOptions } from '../src/app.js';
import { CONTRACT_DDL } from './ddl.js';

export interface QueryHarness {
  app: TaktApp;
  db: TestClickHouseDatabase;
  clickhouse: ClickHouse;
  /** The takt database the service checks API keys in: a migrated clone of its own, or the one given. */
  keysDb: TestDatabase;
  keys: ApiKeyStore;
  insert(table: string, rows: readonly object[]): Promise<void>;
  /** A tenant with one key per scope, in the takt database the service checks keys in. */
  tenant(): Promise<TestTenant>;
  close(): Promise<void>;
}

export interface TestTenant {
  id: string;
  keys: Record<Scope, string>;
  /** Key ids by scope, e.g. to revoke one. */
  keyIds: Record<Scope, string>;
  auth(scope?: Scope): { authorization: string };
}

/** A takt database cloned from the migrated template, holding tenants and API keys for the tests. */
export async function createKeysDatabase(): Promise<TestDatabase> {
  const template = await ensureMigratedTemplate({ adminUrl: pgUrl('postgres') });
  return createTestDatabase({ prefix: 'takt_query_keys', template: template.name });
}

/** A tenant and one key per scope, written as a superuser (the fixture, not the code under test). */
export async function createTenant(keysDb: TestDatabase): Promise<TestTenant> {
  const id = randomUUID();
  const keys = {} as Record<Scope, string>;
  const keyIds = {} as Record<Scope, string>;
  await withAdmin(keysDb.name, async (c) => {
    await c.query('INSERT INTO tenant (id, code, name) VALUES ($1, $2, $2)', [id, `t${id.slice(0, 8)}`]);
    for (const scope of ['admin', 'ingest', 'read', 'audit'] as const) {
      const k = generateApiKey();
      keys[scope] = k.key;
      keyIds[scope] = k.id;
      await c.query(
        'INSERT INTO api_key (id, tenant_id, name, key_hash, scopes) VALUES ($1, $2, $3, $4, $5)',
        [k.id, id, `${scope} key`, k.hash, [scope]],
      );
    }
  });
  return { id, keys, keyIds, auth: (scope = 'read') => ({ authorization: `Bearer ${keys[scope]}` }) };
}

export async function createContractDatabase(prefix: string): Promise<TestClickHouseDatabase> {
  const db = await createTestClickHouseDatabase(prefix);
  for (const ddl of CONTRACT_DDL) await db.client.command({ query: ddl });
  return db;
}

export function clickhouseFor(database: string): ClickHouse {
  const s = stack();
  return createClickHouse({
    url: s.clickhouseUrl,
    username: s.clickhouseUser,
    password: s.clickhousePassword,
    database,
  });
}

export async function startQuery(
  opts: Partial<QueryAppOptions> & { keysDb?: TestDatabase } = {},
): Promise<QueryHarness> {
  const { keysDb: givenKeysDb, ...appOpts } = opts;
  const db = await createContractDatabase('takt_query');
  const clickhouse = clickhouseFor(db.name);
  const keysDb = givenKeysDb ?? (await createKeysDatabase());
  const logger = createLogger({ service: 'query', level: 'silent' });
  const keys = new ApiKeyStore({ connectionString: keysDb.urlFor('takt_app'), logger });
  await keys.start();
  const app = await buildApp({
    clickhouse,
    logger,
    metrics: createMetricsRegistry('query'),
    resolveKey: keys.resolve,
    readiness: { api_keys: () => keys.ping() },
    plantCacheTtlMs: 0,
    resultCacheTtlMs: 0,
    ...appOpts,
  });
  await app.ready();
  const insert = async (table: string, rows: readonly object[]) => {
    if (rows.length > 0) await db.client.insert({ table, values: [...rows], format: 'JSONEachRow' });
  };
  return {
    app,
    db,
    clickhouse,
    keysDb,
    keys,
    insert,
    tenant: () => createTenant(keysDb),
    async close() {
      await app.close();
      await keys.stop();
      await clickhouse.close();
      await db.drop();
      if (!givenKeysDb) await keysDb.drop();
    },
  };
}
