import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';

/**
 * The database every shadow and test database is cloned from. pg_partman is not a trusted
 * extension, so a superuser has to create it; cloning a template that already has it needs
 * only CREATEDB, which takt_owner has.
 */
export const TEMPLATE_DATABASE = 'takt_template';

const templateSql = readFileSync(new URL('../sql/template.sql', import.meta.url), 'utf8');
// Stored as the database comment: a template built from another version of the SQL is rebuilt.
const stamp = `takt-template ${createHash('sha256').update(templateSql).digest('hex').slice(0, 16)}`;

export interface TemplateOptions {
  /** A superuser connection string to any database of the server. */
  adminUrl: string;
  name?: string;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Creates (or rebuilds, when sql/template.sql changed) the template database. Idempotent and
 * safe to call from parallel test workers: they serialize on an advisory lock.
 */
export async function ensureTemplateDatabase(
  opts: TemplateOptions,
): Promise<{ name: string; created: boolean }> {
  const name = opts.name ?? TEMPLATE_DATABASE;
  // Explicit fields, not a connection string, so `database` is not overridden by the url.
  const server = parseIntoClientConfig(opts.adminUrl);
  // Advisory locks are per database: every caller takes it in `postgres`.
  const admin = new pg.Client({ ...server, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [`takt-template:${name}`]);
    const { rows } = await admin.query<{ stamp: string | null }>(
      "SELECT shobj_description(oid, 'pg_database') AS stamp FROM pg_database WHERE datname = $1",
      [name],
    );
    if (rows[0]?.stamp === stamp) return { name, created: false };
    if (rows.length > 0) {
      await admin.query(`ALTER DATABASE ${ident(name)} WITH IS_TEMPLATE false ALLOW_CONNECTIONS true`);
      await admin.query(`DROP DATABASE ${ident(name)} WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE ${ident(name)}`);
    const db = new pg.Client({ ...server, database: name });
    await db.connect();
    try {
      await db.query(templateSql);
    } finally {
      await db.end();
    }
    // No connections: CREATE DATABASE … TEMPLATE fails while anyone is connected to the source.
    await admin.query(`ALTER DATABASE ${ident(name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    // Last, so a half-built template has no stamp and is rebuilt by the next caller.
    await admin.query(`COMMENT ON DATABASE ${ident(name)} IS '${stamp}'`);
    return { name, created: true };
  } finally {
    await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [`takt-template:${name}`]).catch(() => {});
    await admin.end();
  }
}
