import pg from 'pg';
import { uniqueName } from './names.js';
import { pgUrl } from './stack.js';

export interface TestDatabase {
  name: string;
  /** Connection string as the superuser (for fixtures and assertions, never for the code under test). */
  adminUrl: string;
  urlFor(role: string, password?: string): string;
  drop(): Promise<void>;
}

export async function withAdmin<T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: pgUrl(database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A database of its own for one test (or one file), optionally cloned from a template that
 * already holds the migrated schema, so tests never see each other's rows.
 */
export async function createTestDatabase(
  opts: { prefix?: string; template?: string; owner?: string } = {},
): Promise<TestDatabase> {
  const name = uniqueName(opts.prefix ?? 'takt_test');
  await withAdmin('postgres', async (c) => {
    const template = opts.template ? ` TEMPLATE ${ident(opts.template)}` : '';
    const owner = opts.owner ? ` OWNER ${ident(opts.owner)}` : '';
    await c.query(`CREATE DATABASE ${ident(name)}${template}${owner}`);
  });
  return {
    name,
    adminUrl: pgUrl(name),
    urlFor: (role, password) => pgUrl(name, role, password),
    drop: async () => {
      await withAdmin('postgres', async (c) => {
        // Replication slots pin a database; a test that made one drops it first.
        await c.query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active',
          [name],
        );
        await c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
      });
    },
  };
}
