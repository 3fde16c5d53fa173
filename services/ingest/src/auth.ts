import type { PrismaClient } from '@takt/db';
import { apiKeyId, hashApiKey, type KeyResolver, type Principal, SCOPES, type Scope } from '@takt/http';

/**
 * Finds a key by the hash of what the caller presented. The row is only visible through the
 * `api_key_lookup` policy, which matches `app.key_hash`: RLS stays forced even before the tenant
 * is known.
 */
export function databaseKeyResolver(prisma: PrismaClient): KeyResolver {
  return async (token) => {
    if (apiKeyId(token) === null) return null;
    const hash = hashApiKey(token);
    const rows = await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT set_config('app.key_hash', ${hash}, true)`;
      return tx.apiKey.findMany({
        where: { keyHash: hash, revokedAt: null },
        select: { id: true, tenantId: true, scopes: true },
      });
    });
    const row = rows[0];
    if (!row) return null;
    const principal: Principal = {
      tenantId: row.tenantId,
      keyId: row.id,
      scopes: row.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
    };
    return principal;
  };
}
