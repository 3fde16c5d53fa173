import { randomUUID } from 'node:crypto';
import { type ClickHouse, createClickHouse } from '@takt/clickhouse';
import { createMetricsRegistry, generateApiKey, type Scope, type TaktApp } from '@takt/http';
import { createLogger } from '@takt/log';
import { createTestClickHouseDatabase, stack, type TestClickHouseDatabase } from '@takt/testing';
import { buildApp, type QueryAppOptions } from '../src/app.js';
import { CONTRACT_DDL } from './ddl.js';

export interface QueryHarness {
  app: TaktApp;
  db: TestClickHouseDatabase;
  clickhouse: ClickHouse;
  insert(table: string, rows: readonly object[]): Promise<void>;
  /** A tenant with one key per scope, mirrored into api_key_v1 as the projector would. */
  tenant(): Promise<TestTenant>;
  close(): Promise<void>;
}

export interface TestTenant {
  id: string;
  keys: Record<Scope, string>;
  auth(scope?: Scope): { authorization: string };
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

export async function startQuery(opts: Partial<QueryAppOptions> = {}): Promise<QueryHarness> {
  const db = await createContractDatabase('takt_query');
  const clickhouse = clickhouseFor(db.name);
  const app = await buildApp({
    clickhouse,
    logger: createLogger({ service: 'query', level: 'silent' }),
    metrics: createMetricsRegistry('query'),
    authCacheTtlMs: 0,
    plantCacheTtlMs: 0,
    resultCacheTtlMs: 0,
    ...opts,
  });
  await app.ready();
  const insert = async (table: string, rows: readonly object[]) => {
    if (rows.length > 0) await db.client.insert({ table, values: [...rows], format: 'JSONEachRow' });
  };
  return {
    app,
    db,
    clickhouse,
    insert,
    async tenant() {
      const id = randomUUID();
      const keys = {} as Record<Scope, string>;
      const rows = (['admin', 'ingest', 'read', 'audit'] as const).map((scope) => {
        const k = generateApiKey();
        keys[scope] = k.key;
        return {
          tenant_id: id,
          id: k.id,
          key_hash: k.hash,
          scopes: [scope],
          revoked_at_ms: 0,
          lsn: 1,
          is_deleted: 0,
        };
      });
      await insert('api_key_v1', rows);
      return { id, keys, auth: (scope = 'read') => ({ authorization: `Bearer ${keys[scope]}` }) };
    },
    async close() {
      await app.close();
      await clickhouse.close();
      await db.drop();
    },
  };
}
