import type { FastifyInstance } from 'fastify';
import { bearerToken, type Principal, type Scope } from './api-key.js';
import { forbidden, unauthorized } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route needs (any of a list); routes without one are public (health, metrics, docs). */
    scope?: Scope | readonly Scope[];
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Looks a bearer token up; null when the key is unknown, malformed or revoked. */
export type KeyResolver = (token: string) => Promise<Principal | null>;

/**
 * Caches resolved keys briefly: every request needs its principal, and the lookup would
 * otherwise be a database round trip per request. A revoked key stops working within `ttlMs`.
 */
export function cachedResolver(resolve: KeyResolver, ttlMs = 30_000, maxEntries = 10_000): KeyResolver {
  const cache = new Map<string, { at: number; principal: Principal | null }>();
  return async (token) => {
    const now = Date.now();
    const hit = cache.get(token);
    if (hit && now - hit.at < ttlMs) return hit.principal;
    const principal = await resolve(token);
    if (cache.size >= maxEntries) cache.clear();
    cache.set(token, { at: now, principal });
    return principal;
  };
}

export function installAuth(app: FastifyInstance, resolve: KeyResolver): void {
  app.decorateRequest('principal', null);
  // onRequest runs before the body is read: a caller without a valid key learns nothing
  // about the body (not even that it is too large).
  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config?.scope;
    if (!scope) return;
    const token = bearerToken(request.headers.authorization);
    if (!token) throw unauthorized();
    const principal = await resolve(token);
    if (!principal) throw unauthorized();
    const accepted: readonly Scope[] = typeof scope === 'string' ? [scope] : scope;
    if (!accepted.some((s) => principal.scopes.includes(s))) throw forbidden(accepted.join('" or "'));
    request.principal = principal;
  });
}

/** The principal of an authenticated route (the hook guarantees it is set). */
export function principalOf(request: { principal: Principal | null }): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}
