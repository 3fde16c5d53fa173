import { principalOf, type TaktApp, tooLarge } from '@takt/http';
import type { z } from 'zod';
import { type BatchHandler, runBatch } from '../batch.js';
import type { IngestDeps } from '../context.js';
import { maintenanceBatch } from '../facts/maintenance.js';
import { productionBatch } from '../facts/production.js';
import { sensorBatch } from '../facts/sensor.js';
import { shiftBatch } from '../facts/shift.js';
import { stateBatch } from '../facts/state.js';
import {
  batchOf,
  batchResponse,
  maintenanceRecord,
  productionRecord,
  sensorRecord,
  shiftRecord,
  stateRecord,
} from '../schemas.js';

export function registerBatchRoutes(app: TaktApp, deps: IngestDeps): void {
  const route = <S extends z.ZodType, P>(
    path: string,
    record: S,
    handler: BatchHandler<z.infer<S>, P>,
    limit: number,
    summary: string,
  ) => {
    app.post(
      path,
      {
        config: { scope: 'ingest' },
        schema: {
          summary,
          body: batchOf(record),
          response: { 200: batchResponse, 201: batchResponse },
        },
        // Counted before validation: a 20,000-record body is refused without validating each record.
        preValidation: async (request) => {
          const records = (request.body as { records?: unknown } | null)?.records;
          if (Array.isArray(records) && records.length > limit) {
            throw tooLarge(`at most ${limit} records per batch`, [
              { pointer: '/records', detail: `${records.length} records, the limit is ${limit}` },
            ]);
          }
        },
      },
      async (request, reply) => {
        const result = await runBatch(
          deps,
          principalOf(request),
          { requestId: String(request.id), correlationId: request.correlationId },
          request.body,
          handler,
        );
        return reply.code(result.status).send(result.body);
      },
    );
  };
  route('/v1/sensor-batches', sensorRecord, sensorBatch, deps.limits.sensorRecords, 'Post sensor readings');
  route(
    '/v1/production-counts',
    productionRecord,
    productionBatch,
    deps.limits.factRecords,
    'Post production counts',
  );
  route(
    '/v1/state-events',
    stateRecord,
    stateBatch,
    deps.limits.factRecords,
    'Post equipment state intervals',
  );
  route(
    '/v1/shifts',
    shiftRecord,
    shiftBatch,
    deps.limits.factRecords,
    'Post shifts (planned operation time)',
  );
  route(
    '/v1/maintenance-events',
    maintenanceRecord,
    maintenanceBatch,
    deps.limits.factRecords,
    'Post maintenance work',
  );
}
