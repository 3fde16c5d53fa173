import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { uniqueName } from './names.js';
import { stack } from './stack.js';

export function testClickHouse(database = 'default'): ClickHouseClient {
  const s = stack();
  return createClient({
    url: s.clickhouseUrl,
    username: s.clickhouseUser,
    password: s.clickhousePassword,
    database,
  });
}

export interface TestClickHouseDatabase {
  name: string;
  client: ClickHouseClient;
  drop(): Promise<void>;
}

/** A ClickHouse database of its own for one test. */
export async function createTestClickHouseDatabase(prefix = 'takt_test'): Promise<TestClickHouseDatabase> {
  const name = uniqueName(prefix);
  const admin = testClickHouse();
  await admin.command({ query: `CREATE DATABASE ${name}` });
  await admin.close();
  const client = testClickHouse(name);
  return {
    name,
    client,
    drop: async () => {
      await client.command({ query: `DROP DATABASE IF EXISTS ${name}` });
      await client.close();
    },
  };
}
