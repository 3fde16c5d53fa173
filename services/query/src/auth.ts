import { type ClickHouse, sql } from '@takt/clickhouse';
import { apiKeyId, hashApiKey, type KeyResolver, type Principal, SCOPES, type Scope } from '@takt/http';
import { read } from './store.js';

interface KeyRow {
  id: string;
  tenant_id: string;
  scopes: string[];
}

/**
 * Keys are looked up by the SHA-256 of what was presented, in the projector's mirror of `api_key`:
 * the query service reads ClickHouse only. A revoked key stops working once its revocation is mirrored.
 */
export function clickhouseKeyResolver(clickhouse: ClickHouse): KeyResolver {
  return async (token) => {
    const keyId = apiKeyId(token);
    if (keyId === null) return null;
    const rows = await read<KeyRow>(
      clickhouse,
      sql`SELECT id, tenant_id, scopes FROM api_key_v1 FINAL
          WHERE key_hash = ${hashApiKey(token)} AND is_deleted = 0 AND revoked_at_ms = 0`,
    );
    const row = rows.find((r) => r.id === keyId) ?? rows[0];
    if (row === undefined) return null;
    const principal: Principal = {
      tenantId: row.tenant_id,
      keyId: row.id,
      scopes: row.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
    };
    return principal;
  };
}
