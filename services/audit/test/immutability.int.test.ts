import { createTestDatabase, type TestDatabase, withAdmin } from '@takt/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateAudit } from '../src/migrate.js';

// The log and its checkpoints are append-only for every role: the writer lacks the grants, and
// a trigger stops even the owner and a superuser (who can only get around it by disabling the
// trigger, which verification exposes; see pipeline.int.test.ts).
describe('audit tables are append-only', () => {
  let db: TestDatabase;
  const roles = ['takt_audit_writer', 'takt_audit_owner', 'postgres'] as const;
  const as = async <T>(role: string, fn: (c: pg.Client) => Promise<T>) => {
    const c = new pg.Client({ connectionString: db.urlFor(role) });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase({ prefix: 'takt_audit_immut', owner: 'takt_audit_owner' });
    expect(await migrateAudit(db.urlFor('takt_audit_owner'))).toContain('001_audit.sql');
    // Idempotent: a second start applies the same DDL without error.
    await migrateAudit(db.urlFor('takt_audit_owner'));
    await withAdmin(db.name, async (c) => {
      await c.query(`INSERT INTO audit_event (tenant_id, position, entity_type, entity_id, version, op, after, lsn, tx_id,
        committed_at, prev_hash, hash, source_topic, source_partition, source_offset)
        VALUES (gen_random_uuid(), 1, 'site', 'berlin', 1, 'create', '{}', 1, 1, now(), repeat('0', 64), repeat('1', 64), 't', 0, 0)`);
      await c.query(`INSERT INTO audit_checkpoint (tenant_id, position, hash, signature, public_key, signed_at)
        VALUES (gen_random_uuid(), 1, repeat('1', 64), 'sig', 'pk', now())`);
    });
  });
  afterAll(async () => db?.drop());

  for (const table of ['audit_event', 'audit_checkpoint']) {
    for (const role of roles) {
      it(`${role}: UPDATE, DELETE and TRUNCATE on ${table} are rejected`, async () => {
        await as(role, async (c) => {
          await expect(c.query(`UPDATE ${table} SET hash = repeat('2', 64)`)).rejects.toThrow(
            role === 'takt_audit_writer' ? /permission denied/ : /append-only: UPDATE/,
          );
          await expect(c.query(`DELETE FROM ${table}`)).rejects.toThrow(
            role === 'takt_audit_writer' ? /permission denied/ : /append-only: DELETE/,
          );
          await expect(c.query(`TRUNCATE ${table}`)).rejects.toThrow(
            role === 'takt_audit_writer' ? /permission denied/ : /append-only: TRUNCATE/,
          );
        });
      });
    }
  }

  it('the writer can insert and read the log, and update only its offsets and chain heads', async () => {
    await as('takt_audit_writer', async (c) => {
      const { rows } = await c.query('SELECT count(*)::int AS n FROM audit_event');
      expect(rows[0].n).toBe(1);
      await c.query(
        `INSERT INTO audit_consumer_offset (group_id, topic, partition, next_offset) VALUES ('g', 't', 0, 1)`,
      );
      await c.query(`UPDATE audit_consumer_offset SET next_offset = 2`);
      await expect(c.query('DROP TABLE audit_event')).rejects.toThrow(/must be owner/);
    });
  });

  it('the owner is stopped by the trigger even after granting itself everything', async () => {
    await as('takt_audit_owner', async (c) => {
      await c.query('GRANT ALL ON audit_event TO takt_audit_owner');
      await expect(c.query('DELETE FROM audit_event')).rejects.toThrow(/append-only/);
    });
  });
});
