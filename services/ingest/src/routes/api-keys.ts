import { withTenant } from '@takt/db';
import { generateApiKey, notFound, principalOf, type TaktApp } from '@takt/http';
import { z } from 'zod';
import type { IngestDeps } from '../context.js';
import { apiKeyBody } from '../schemas.js';

export function registerApiKeyRoutes(app: TaktApp, deps: IngestDeps): void {
  app.post(
    '/v1/api-keys',
    { config: { scope: 'admin' }, schema: { summary: 'Create an API key (shown once)', body: apiKeyBody } },
    async (request, reply) => {
      const principal = principalOf(request);
      const generated = generateApiKey();
      const scopes = [...new Set(request.body.scopes)];
      await withTenant(deps.prisma, principal.tenantId, (tx) =>
        tx.apiKey.create({
          data: {
            id: generated.id,
            tenantId: principal.tenantId,
            name: request.body.name,
            keyHash: generated.hash,
            scopes,
            changedBy: principal.keyId,
            requestId: String(request.id),
          },
        }),
      );
      return reply.code(201).send({ id: generated.id, key: generated.key, name: request.body.name, scopes });
    },
  );

  // Revocation is final and applies on every service within a second (docs/api-keys.md).
  app.delete(
    '/v1/api-keys/:id',
    {
      config: { scope: 'admin' },
      schema: { summary: 'Revoke an API key', params: z.object({ id: z.uuid() }) },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { id } = request.params;
      const known = await withTenant(
        deps.prisma,
        principal.tenantId,
        async (tx) => {
          const revoked = await tx.apiKey.updateMany({
            where: { id, revokedAt: null },
            data: {
              revokedAt: new Date(deps.clock()),
              changedBy: principal.keyId,
              requestId: String(request.id),
            },
          });
          return revoked.count > 0 || (await tx.apiKey.count({ where: { id } })) > 0;
        },
        { requestId: String(request.id), changedBy: principal.keyId },
      );
      // Another tenant's key looks like an unknown one.
      if (!known) throw notFound(`no API key "${id}"`, [{ pointer: '/path/id', detail: 'unknown API key' }]);
      return reply.code(204).send();
    },
  );
}
