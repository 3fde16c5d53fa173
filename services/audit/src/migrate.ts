import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { AuditError } from './errors.js';

const sqlDir = new URL('../sql/', import.meta.url);

/**
 * Applies sql/*.sql in name order as the audit database's owner. Every file is idempotent, and
 * an advisory lock keeps two instances starting together from racing on the DDL.
 */
export async function migrateAudit(ownerUrl: string): Promise<string[]> {
  const files = readdirSync(sqlDir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'takt-audit-migrate' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('takt-audit-migrate'))");
    for (const f of files) await client.query(readFileSync(new URL(f, sqlDir), 'utf8'));
    await client.query('COMMIT');
    return files;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new AuditError('TAKT_AUDIT_MIGRATION', `audit migration failed: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await client.end();
  }
}
