import { pgUrl, uniqueName, withAdmin } from '@takt/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTemplateDatabase } from '../src/template.js';

// A template of its own: the shared takt_template is in use by the other test files.
const name = uniqueName('takt_tpl_test');
const adminUrl = pgUrl('postgres');

describe('ensureTemplateDatabase', () => {
  afterAll(async () => {
    await withAdmin('postgres', async (c) => {
      await c.query(`ALTER DATABASE "${name}" WITH IS_TEMPLATE false`).catch(() => {});
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
  });

  it('builds once, then only when sql/template.sql changed', async () => {
    expect(await ensureTemplateDatabase({ adminUrl, name })).toEqual({ name, created: true });
    // Parallel callers serialize on the advisory lock and find it built.
    const again = await Promise.all([
      ensureTemplateDatabase({ adminUrl, name }),
      ensureTemplateDatabase({ adminUrl, name }),
    ]);
    expect(again.map((r) => r.created)).toEqual([false, false]);

    await withAdmin('postgres', (c) => c.query(`COMMENT ON DATABASE "${name}" IS 'takt-template stale'`));
    expect((await ensureTemplateDatabase({ adminUrl, name })).created).toBe(true);
  });

  it('gives takt_owner clones with the superuser-only extensions', async () => {
    const clone = uniqueName('takt_tpl_clone');
    const owner = pgUrl('postgres', 'takt_owner');
    await withAdmin('postgres', async (c) => {
      const info = await c.query<{ datistemplate: boolean; datallowconn: boolean }>(
        'SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1',
        [name],
      );
      expect(info.rows).toEqual([{ datistemplate: true, datallowconn: false }]);
    });
    const asOwner = new pg.Client({ connectionString: owner });
    await asOwner.connect();
    try {
      await asOwner.query(`CREATE DATABASE "${clone}" TEMPLATE "${name}"`);
    } finally {
      await asOwner.end();
    }
    try {
      const inClone = new pg.Client({ connectionString: pgUrl(clone, 'takt_owner') });
      await inClone.connect();
      try {
        const ext = await inClone.query<{ extname: string }>(
          'SELECT extname FROM pg_extension ORDER BY extname',
        );
        expect(ext.rows.map((r) => r.extname)).toEqual(expect.arrayContaining(['btree_gist', 'pg_partman']));
        const own = await inClone.query<{ owner: string }>(
          'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()',
        );
        expect(own.rows[0]?.owner).toBe('takt_owner');
      } finally {
        await inClone.end();
      }
    } finally {
      await withAdmin('postgres', (c) => c.query(`DROP DATABASE IF EXISTS "${clone}" WITH (FORCE)`));
    }
  });
});
