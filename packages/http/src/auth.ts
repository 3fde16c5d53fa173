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

/**
 * Looks a bearer token up; null when the key is unknown, malformed or revoked. Throws a 503
 * TaktError when the keys cannot be checked (see @takt/api-keys and docs/api-keys.md).
 */
export type KeyResolver = (token: string) => Promise<Principal | null>;

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
