import { withTenant } from '@takt/db';
import { generateApiKey, principalOf, type TaktApp } from '@takt/http';
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
}
