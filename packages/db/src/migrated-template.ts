import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { ensureTemplateDatabase } from './template.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const migrationsDir = join(repoRoot, 'prisma/migrations');
const require = createRequire(import.meta.url);
const prismaCli = join(dirname(require.resolve('prisma/package.json')), 'build', 'index.js');

const TEMPLATE_MAX_AGE_MS = 24 * 3600_000;

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

function migrationsHash(): string {
  // The extensions the base template holds are part of what a migrated clone is.
  const h = createHash('sha256').update(readFileSync(new URL('../sql/template.sql', import.meta.url)));
  for (const dir of readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    h.update(dir).update(readFileSync(join(migrationsDir, dir, 'migration.sql')));
  }
  return h.digest('hex').slice(0, 12);
}

/** Runs `prisma migrate deploy` against `url` with the repo's prisma.config.ts. */
export function migrateDeploy(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [prismaCli, 'migrate', 'deploy'],
      {
        cwd: repoRoot,
        env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: '1' },
        timeout: 120_000,
      },
      (err, stdout, stderr) =>
        err ? reject(new Error(`migrate deploy failed: ${stderr || stdout}`)) : resolve(stdout),
    );
  });
}

/**
 * A template database holding the fully migrated schema, named after a hash of the migrations,
 * so each test clones a ready schema in milliseconds instead of migrating. Rebuilt when a
 * migration changes; templates of older migrations are dropped.
 */
export async function ensureMigratedTemplate(opts: {
  adminUrl: string;
  owner?: string;
}): Promise<{ name: string }> {
  const base = await ensureTemplateDatabase({ adminUrl: opts.adminUrl });
  const name = `takt_migrated_${migrationsHash()}`;
  const server = parseIntoClientConfig(opts.adminUrl);
  const admin = new pg.Client({ ...server, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', ['takt-migrated-template']);
    const { rows } = await admin.query<{ datname: string; builtAtMs: string | null }>(
      `SELECT datname, substring(coalesce(shobj_description(oid, 'pg_database'), '') FROM '^migrated (\\d+)$') AS "builtAtMs"
         FROM pg_database WHERE datname LIKE 'takt\\_migrated\\_%'`,
    );
    // A template without its stamp was left half-built (building happens under the lock). Other
    // ready templates belong to other checkouts of the repo that may be cloning them right now,
    // so they are dropped only once they are a day old.
    const stale = (r: { datname: string; builtAtMs: string | null }) =>
      r.builtAtMs === null || (r.datname !== name && Date.now() - Number(r.builtAtMs) > TEMPLATE_MAX_AGE_MS);
    for (const row of rows.filter(stale)) {
      await admin.query(`ALTER DATABASE ${ident(row.datname)} WITH IS_TEMPLATE false ALLOW_CONNECTIONS true`);
      await admin.query(`DROP DATABASE ${ident(row.datname)} WITH (FORCE)`);
    }
    if (rows.some((r) => r.datname === name && r.builtAtMs !== null)) return { name };
    const owner = opts.owner ?? 'takt_owner';
    await admin.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(base.name)} OWNER ${ident(owner)}`);
    const host = server.host ?? '127.0.0.1';
    await migrateDeploy(`postgresql://${encodeURIComponent(owner)}@${host}:${server.port ?? 5432}/${name}`);
    await admin.query(`ALTER DATABASE ${ident(name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    await admin.query(`COMMENT ON DATABASE ${ident(name)} IS 'migrated ${Date.now()}'`);
    return { name };
  } finally {
    await admin.query('SELECT pg_advisory_unlock(hashtext($1))', ['takt-migrated-template']).catch(() => {});
    await admin.end();
  }
}
