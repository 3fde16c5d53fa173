import { withTenant } from '@takt/db';
import { notFound, type Principal, principalOf, type TaktApp } from '@takt/http';
import { z } from 'zod';
import { factKey, type IngestDeps } from '../context.js';
import { openPii } from '../facts/pii.js';

const params = z.object({ id: z.uuid() });

/** Personal data leaves the service only for admin and audit keys (docs/api.md). */
const seesPii = (p: Principal) => p.scopes.includes('admin') || p.scopes.includes('audit');

export function registerFactRoutes(app: TaktApp, deps: IngestDeps): void {
  app.get(
    '/v1/production-counts/:id',
    {
      config: { scope: ['ingest', 'admin', 'audit'] },
      schema: { summary: 'Read one production record', params },
    },
    async (request) => {
      const principal = principalOf(request);
      return withTenant(deps.prisma, principal.tenantId, async (tx) => {
        const row = await tx.production.findUnique({
          where: factKey(principal, request.params.id),
          include: { equipment: { select: { code: true } }, product: { select: { code: true } } },
        });
        if (!row) throw notFound(`no production record ${request.params.id}`);
        return {
          id: row.id,
          equipmentCode: row.equipment.code,
          productCode: row.product.code,
          start: row.startAt.toISOString(),
          end: row.endAt.toISOString(),
          total: row.total,
          good: row.good,
          scrap: row.scrap,
          rework: row.rework,
          idealCycleTimeS: row.idealCycleTimeS.toNumber(),
          orderId: row.orderId,
          ...(seesPii(principal)
            ? {
                operator: openPii(
                  { tenantId: principal.tenantId, keyring: deps.keyring },
                  'fact_production',
                  'operator',
                  row.id,
                  row.operatorEnc,
                ),
              }
            : {}),
        };
      });
    },
  );

  app.get(
    '/v1/maintenance-events/:id',
    {
      config: { scope: ['ingest', 'admin', 'audit'] },
      schema: { summary: 'Read one maintenance event', params },
    },
    async (request) => {
      const principal = principalOf(request);
      return withTenant(deps.prisma, principal.tenantId, async (tx) => {
        const row = await tx.maintenance.findUnique({
          where: factKey(principal, request.params.id),
          include: { equipment: { select: { code: true } } },
        });
        if (!row) throw notFound(`no maintenance event ${request.params.id}`);
        return {
          id: row.id,
          equipmentCode: row.equipment.code,
          kind: row.kind,
          start: row.startAt.toISOString(),
          end: row.endAt?.toISOString() ?? null,
          notes: row.notes,
          ...(seesPii(principal)
            ? {
                technician: openPii(
                  { tenantId: principal.tenantId, keyring: deps.keyring },
                  'fact_maintenance',
                  'technician',
                  row.id,
                  row.technicianEnc,
                ),
              }
            : {}),
        };
      });
    },
  );
}
