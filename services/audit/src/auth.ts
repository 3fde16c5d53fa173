import { apiKeyId, hashApiKey, type KeyResolver, SCOPES, type Scope } from '@takt/http';
import type pg from 'pg';

/**
 * API keys live in the takt database. The row is visible to takt_app only through the
 * `api_key_lookup` policy on `app.key_hash`, so this reads exactly the presented key's row.
 */
export function databaseKeyResolver(pool: pg.Pool): KeyResolver {
  return async (token) => {
    if (apiKeyId(token) === null) return null;
    const hash = hashApiKey(token);
    const client = await pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      await client.query("SELECT set_config('app.key_hash', $1, true)", [hash]);
      const { rows } = await client.query<{ id: string; tenant_id: string; scopes: string[] | null }>(
        'SELECT id, tenant_id, scopes FROM api_key WHERE key_hash = $1 AND revoked_at IS NULL',
        [hash],
      );
      await client.query('COMMIT');
      const row = rows[0];
      if (!row) return null;
      return {
        tenantId: row.tenant_id,
        keyId: row.id,
        scopes: (row.scopes ?? []).filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
      };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };
}
