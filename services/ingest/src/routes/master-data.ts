import { type TenantTx, withTenant } from '@takt/db';
import { conflict, fieldError, notFound, principalOf, type TaktApp } from '@takt/http';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IngestDeps } from '../context.js';
import { code, downtimeReasonBody, equipmentBody, lineBody, productBody, siteBody } from '../schemas.js';

const params = z.object({ code });

/**
 * An IANA zone the runtime's time zone database knows. The name is kept as the client wrote it:
 * ICU would rewrite it to a legacy alias (`Asia/Kolkata` → `Asia/Calcutta`).
 */
export function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

interface Row {
  id: string;
  code: string;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

interface Resource<B, D extends object, R extends Row> {
  path: string;
  entity: string;
  body: z.ZodType<B>;
  /** Turns the body into column values, resolving referenced codes (400 when unknown). */
  toData(tx: TenantTx, body: B): Promise<D>;
  find(tx: TenantTx, code: string): Promise<R | null>;
  create(
    tx: TenantTx,
    data: D & { tenantId: string; code: string; changedBy: string; requestId: string },
  ): Promise<R>;
  update(
    tx: TenantTx,
    id: string,
    data: Partial<D> & { changedBy: string; requestId: string; updatedAt: Date; deletedAt: null },
  ): Promise<R>;
  softDelete(
    tx: TenantTx,
    id: string,
    data: { changedBy: string; requestId: string; deletedAt: Date; updatedAt: Date },
  ): Promise<unknown>;
  /** True when the stored row already says what the body says: nothing is written. */
  same(row: R, data: D): boolean;
  view(tx: TenantTx, row: R): Promise<Record<string, unknown>>;
  /** Checks a change against facts that depend on the entity (409), e.g. a reason's planned flag. */
  guard?(tx: TenantTx, row: R, data: D): Promise<void>;
}

const stamps = (row: Row) => ({
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
  deletedAt: row.deletedAt?.toISOString() ?? null,
});

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function register<B, D extends object, R extends Row>(
  app: TaktApp,
  deps: IngestDeps,
  res: Resource<B, D, R>,
): void {
  const tenantTx = <T>(request: FastifyRequest, fn: (tx: TenantTx) => Promise<T>) => {
    const principal = principalOf(request);
    return withTenant(deps.prisma, principal.tenantId, fn, {
      requestId: String(request.id),
      changedBy: principal.keyId,
    });
  };

  app.put(
    `/v1/${res.path}/:code`,
    {
      config: { scope: 'admin' },
      schema: { summary: `Create or update ${res.entity}`, params, body: res.body },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const audit = { changedBy: principal.keyId, requestId: String(request.id) };
      const { status, view } = await tenantTx(request, async (tx) => {
        const data = await res.toData(tx, request.body as B);
        const existing = await res.find(tx, request.params.code);
        if (!existing) {
          const row = await res.create(tx, {
            ...data,
            tenantId: principal.tenantId,
            code: request.params.code,
            ...audit,
          });
          return { status: 201, view: await res.view(tx, row) };
        }
        if (existing.deletedAt === null && res.same(existing, data)) {
          return { status: 200, view: await res.view(tx, existing) };
        }
        await res.guard?.(tx, existing, data);
        const row = await res.update(tx, existing.id, {
          ...data,
          ...audit,
          updatedAt: new Date(deps.clock()),
          deletedAt: null,
        });
        return { status: 200, view: await res.view(tx, row) };
      });
      return reply.code(status).send(view);
    },
  );

  app.get(
    `/v1/${res.path}/:code`,
    {
      config: { scope: ['admin', 'ingest', 'read', 'audit'] },
      schema: { summary: `Read ${res.entity}`, params },
    },
    async (request) =>
      tenantTx(request, async (tx) => {
        const row = await res.find(tx, request.params.code);
        if (!row) throw notFound(`no ${res.entity} "${request.params.code}"`);
        return res.view(tx, row);
      }),
  );

  app.delete(
    `/v1/${res.path}/:code`,
    { config: { scope: 'admin' }, schema: { summary: `Soft-delete ${res.entity}`, params } },
    async (request, reply) => {
      const principal = principalOf(request);
      await tenantTx(request, async (tx) => {
        const row = await res.find(tx, request.params.code);
        if (!row) throw notFound(`no ${res.entity} "${request.params.code}"`);
        // Deleting twice is not a change: no second audit event.
        if (row.deletedAt !== null) return;
        const now = new Date(deps.clock());
        await res.softDelete(tx, row.id, {
          changedBy: principal.keyId,
          requestId: String(request.id),
          deletedAt: now,
          updatedAt: now,
        });
      });
      return reply.code(204).send();
    },
  );
}

async function liveId(
  lookup: Promise<{ id: string; deletedAt: Date | null } | null>,
  pointer: string,
  what: string,
  value: string,
): Promise<string> {
  const row = await lookup;
  if (!row || row.deletedAt !== null) throw fieldError(pointer, `unknown ${what} "${value}"`);
  return row.id;
}

export function registerMasterDataRoutes(app: TaktApp, deps: IngestDeps): void {
  register(app, deps, {
    path: 'sites',
    entity: 'site',
    body: siteBody,
    async toData(_tx, b) {
      if (!isTimeZone(b.timeZone)) throw fieldError('/timeZone', `"${b.timeZone}" is not an IANA time zone`);
      return { name: b.name, timeZone: b.timeZone };
    },
    find: (tx, c) => tx.site.findFirst({ where: { code: c } }),
    create: (tx, data) => tx.site.create({ data }),
    update: (tx, id, data) => tx.site.update({ where: { id }, data }),
    softDelete: (tx, id, data) => tx.site.update({ where: { id }, data }),
    same: (row, d) => row.name === d.name && row.timeZone === d.timeZone,
    view: async (_tx, row) => ({ code: row.code, name: row.name, timeZone: row.timeZone, ...stamps(row) }),
  });

  register(app, deps, {
    path: 'lines',
    entity: 'line',
    body: lineBody,
    toData: async (tx, b) => ({
      name: b.name,
      siteId: await liveId(
        tx.site.findFirst({ where: { code: b.siteCode } }),
        '/siteCode',
        'site code',
        b.siteCode,
      ),
    }),
    find: (tx, c) => tx.line.findFirst({ where: { code: c } }),
    create: (tx, data) => tx.line.create({ data }),
    update: (tx, id, data) => tx.line.update({ where: { id }, data }),
    softDelete: (tx, id, data) => tx.line.update({ where: { id }, data }),
    same: (row, d) => row.name === d.name && row.siteId === d.siteId,
    view: async (tx, row) => ({
      code: row.code,
      name: row.name,
      siteCode: (await tx.site.findUniqueOrThrow({ where: { id: row.siteId }, select: { code: true } })).code,
      ...stamps(row),
    }),
  });

  register(app, deps, {
    path: 'equipment',
    entity: 'equipment',
    body: equipmentBody,
    toData: async (tx, b) => ({
      name: b.name,
      lineId: await liveId(
        tx.line.findFirst({ where: { code: b.lineCode } }),
        '/lineCode',
        'line code',
        b.lineCode,
      ),
      attributes: (b.attributes ?? {}) as object,
    }),
    find: (tx, c) => tx.equipment.findFirst({ where: { code: c } }),
    create: (tx, data) => tx.equipment.create({ data }),
    update: (tx, id, data) => tx.equipment.update({ where: { id }, data }),
    softDelete: (tx, id, data) => tx.equipment.update({ where: { id }, data }),
    same: (row, d) =>
      row.name === d.name && row.lineId === d.lineId && sameJson(row.attributes, d.attributes),
    view: async (tx, row) => ({
      code: row.code,
      name: row.name,
      lineCode: (await tx.line.findUniqueOrThrow({ where: { id: row.lineId }, select: { code: true } })).code,
      attributes: row.attributes,
      ...stamps(row),
    }),
  });

  register(app, deps, {
    path: 'products',
    entity: 'product',
    body: productBody,
    toData: async (_tx, b) => ({ name: b.name, idealCycleTimeS: b.idealCycleTimeS }),
    find: (tx, c) => tx.product.findFirst({ where: { code: c } }),
    create: (tx, data) => tx.product.create({ data }),
    update: (tx, id, data) => tx.product.update({ where: { id }, data }),
    softDelete: (tx, id, data) => tx.product.update({ where: { id }, data }),
    same: (row, d) => row.name === d.name && row.idealCycleTimeS.equals(d.idealCycleTimeS),
    view: async (_tx, row) => ({
      code: row.code,
      name: row.name,
      idealCycleTimeS: row.idealCycleTimeS.toNumber(),
      ...stamps(row),
    }),
  });

  register(app, deps, {
    path: 'downtime-reasons',
    entity: 'downtime reason',
    body: downtimeReasonBody,
    toData: async (_tx, b) => ({ name: b.name, planned: b.planned }),
    find: (tx, c) => tx.downtimeReason.findFirst({ where: { code: c } }),
    create: (tx, data) => tx.downtimeReason.create({ data }),
    update: (tx, id, data) => tx.downtimeReason.update({ where: { id }, data }),
    softDelete: (tx, id, data) => tx.downtimeReason.update({ where: { id }, data }),
    same: (row, d) => row.name === d.name && row.planned === d.planned,
    async guard(tx, row, d) {
      if (row.planned === d.planned) return;
      // States already filed under this reason would contradict it (docs/oee.md §4).
      const used = await tx.equipmentState.findFirst({ where: { reasonId: row.id }, select: { id: true } });
      if (used) {
        throw conflict(
          'TAKT_REASON_IN_USE',
          `reason "${row.code}" is used by state ${used.id}; its planned flag cannot change`,
          {
            conflictingId: used.id,
          },
        );
      }
    },
    view: async (_tx, row) => ({ code: row.code, name: row.name, planned: row.planned, ...stamps(row) }),
  });
}
