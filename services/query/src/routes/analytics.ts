import { maxWindowDays } from '@takt/domain';
import { fieldError, principalOf, type TaktApp } from '@takt/http';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { QueryDeps } from '../context.js';
import { kpiRows } from '../kpis.js';
import { oeeAnswer } from '../oee.js';
import { acceptedAt, CODE, parseIds, parseSensorWindow, parseWindow } from '../params.js';
import { paretoRows } from '../pareto.js';
import { resolveScope } from '../plant.js';
import { sensorSeries } from '../sensors.js';
import { kpiRow, oeeQuery, oeeRow, paretoRow, scopeQuery, sensorPoint, sensorQuery } from './schemas.js';

const json = (reply: FastifyReply, body: string) => reply.type('application/json; charset=utf-8').send(body);

// KPIs and Pareto have no granularity: their windows may be as long as the coarsest one (10 years).
const WHOLE_WINDOW = 'total' as const;

/**
 * The accepted time range of a window (docs/time-range.md): sensor readings are kept for the
 * retention, so their windows obey it; OEE, KPIs and Pareto come from facts that are never dropped,
 * so their windows reach back to what ClickHouse holds. The horizon bounds both.
 */
const acceptedReadings = (deps: QueryDeps) => acceptedAt(deps.clock(), deps.timeRange);
const acceptedHistory = (deps: QueryDeps) =>
  acceptedAt(deps.clock(), { retentionDays: null, horizonDays: deps.timeRange.horizonDays });

export function registerAnalyticsRoutes(app: TaktApp, deps: QueryDeps): void {
  const scoped = async (tenantId: string, scope: z.infer<typeof scopeQuery>['scope'], ids: string) =>
    resolveScope(await deps.plants(tenantId), scope, parseIds(ids));

  app.get(
    '/v1/oee',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'OEE rows per scope id and bucket (dense)',
        querystring: oeeQuery,
        response: { 200: z.object({ rows: z.array(oeeRow) }) },
      },
    },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const q = request.query;
      const window = parseWindow(q.from, q.to, q.granularity, acceptedHistory(deps));
      const targets = await scoped(tenantId, q.scope, q.ids);
      const key = `oee|${tenantId}|${q.scope}|${targets.map((t) => t.scopeId).join(',')}|${window.start}|${window.end}|${q.granularity}`;
      return json(
        reply,
        await deps.answers(key, () =>
          oeeAnswer(deps.clickhouse, tenantId, targets, window, q.granularity, deps.fragments),
        ),
      );
    },
  );

  app.get(
    '/v1/kpis',
    {
      config: { scope: 'read' },
      schema: {
        summary: `ISO 22400-2 KPIs per scope id over the window (at most ${maxWindowDays(WHOLE_WINDOW)} days)`,
        querystring: scopeQuery,
        response: { 200: z.object({ rows: z.array(kpiRow) }) },
      },
    },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const q = request.query;
      const window = parseWindow(q.from, q.to, WHOLE_WINDOW, acceptedHistory(deps));
      const targets = await scoped(tenantId, q.scope, q.ids);
      const key = `kpis|${tenantId}|${q.scope}|${targets.map((t) => t.scopeId).join(',')}|${window.start}|${window.end}`;
      return json(
        reply,
        await deps.answers(key, async () =>
          JSON.stringify({ rows: await kpiRows(deps.clickhouse, tenantId, targets, window, deps.clock()) }),
        ),
      );
    },
  );

  app.get(
    '/v1/downtime/pareto',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Downtime inside planned operation time by reason, longest first, over all ids together',
        querystring: scopeQuery,
        response: { 200: z.object({ rows: z.array(paretoRow) }) },
      },
    },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const q = request.query;
      const window = parseWindow(q.from, q.to, WHOLE_WINDOW, acceptedHistory(deps));
      const targets = await scoped(tenantId, q.scope, q.ids);
      const key = `pareto|${tenantId}|${q.scope}|${targets.map((t) => t.scopeId).join(',')}|${window.start}|${window.end}`;
      return json(
        reply,
        await deps.answers(key, async () =>
          JSON.stringify({ rows: await paretoRows(deps.clickhouse, tenantId, targets, window) }),
        ),
      );
    },
  );

  app.get(
    '/v1/sensors/series',
    {
      config: { scope: 'read' },
      schema: {
        summary:
          'Sensor readings per step: min, max, average and count (steps without readings are left out)',
        querystring: sensorQuery,
        response: { 200: z.object({ points: z.array(sensorPoint) }) },
      },
    },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const q = request.query;
      const window = parseSensorWindow(q.from, q.to, q.step, acceptedReadings(deps));
      // Not one of `ids`: an unknown code here is a bad parameter (400), like any code in a query (docs/api.md §4).
      const equipmentId = (await deps.plants(tenantId)).codes.equipment.get(q.equipmentCode);
      if (equipmentId === undefined || !CODE.test(q.equipmentCode)) {
        throw fieldError('/query/equipmentCode', `no equipment with code "${q.equipmentCode.slice(0, 70)}"`);
      }
      const key = `sensors|${tenantId}|${equipmentId}|${q.tag}|${window.start}|${window.end}|${q.step}`;
      return json(
        reply,
        await deps.answers(key, async () =>
          JSON.stringify({
            points: await sensorSeries(deps.clickhouse, tenantId, equipmentId, q.tag, window, q.step),
          }),
        ),
      );
    },
  );
}
