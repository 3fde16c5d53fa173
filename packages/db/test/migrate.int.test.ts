import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, pgUrl, type TestDatabase, withAdmin } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTemplateDatabase, TEMPLATE_DATABASE } from '../src/template.js';
import { describeRun, prisma, repoRoot } from './prisma-cli.js';

const migrations = readdirSync(join(repoRoot, 'prisma/migrations'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('prisma migrate through the schema engine adapter', () => {
  let db: TestDatabase;
  let url: string;

  beforeAll(async () => {
    await ensureTemplateDatabase({ adminUrl: pgUrl('postgres') });
    db = await createTestDatabase({
      prefix: 'takt_db_migrate',
      template: TEMPLATE_DATABASE,
      owner: 'takt_owner',
    });
    url = db.urlFor('takt_owner');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('deploy applies every migration', async () => {
    const run = await prisma(['migrate', 'deploy'], url);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toContain('All migrations have been successfully applied.');

    const applied = await withAdmin(db.name, async (c) => {
      const { rows } = await c.query<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name',
      );
      return rows.map((r) => r.migration_name);
    });
    expect(applied).toEqual(migrations);
    const table = await withAdmin(db.name, (c) =>
      c.query<{ t: string | null }>("SELECT to_regclass('public.tenant')::text AS t"),
    );
    expect(table.rows[0]?.t).toBe('tenant');
  });

  it('deploy again is a no-op', async () => {
    const run = await prisma(['migrate', 'deploy'], url);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toContain('No pending migrations to apply.');
  });

  it('status reports the database up to date', async () => {
    const run = await prisma(['migrate', 'status'], url);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toContain('Database schema is up to date!');
  });

  it('the migrations and schema.prisma describe the same schema', async () => {
    // Replays the migrations into a shadow database cloned from takt_template.
    const diff = [
      'migrate',
      'diff',
      '--from-migrations',
      'prisma/migrations',
      '--to-schema',
      'prisma/schema.prisma',
    ];
    const script = await prisma([...diff, '--script'], url);
    expect(script.code, describeRun(script)).toBe(0);
    const statements = script.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('--'));
    expect(statements, describeRun(script)).toEqual([]);
    expect(script.stdout).toContain('-- This is an empty migration.');

    const exitCode = await prisma([...diff, '--exit-code'], url);
    expect(exitCode.code, describeRun(exitCode)).toBe(0);
  });
});
