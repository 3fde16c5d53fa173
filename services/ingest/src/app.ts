import type { Keyring } from '@takt/crypto';
import type { PrismaClient } from '@takt/db';
import {
  Counter,
  cachedResolver,
  createHttpApp,
  Histogram,
  type HttpLimitsInput,
  type Registry,
  type TaktApp,
} from '@takt/http';
import type { Logger } from '@takt/log';
import { databaseKeyResolver } from './auth.js';
import type { Clock, IngestDeps } from './context.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerBatchRoutes } from './routes/batches.js';
import { registerFactRoutes } from './routes/facts.js';
import { registerMasterDataRoutes } from './routes/master-data.js';

export interface IngestAppOptions {
  prisma: PrismaClient;
  keyring: Keyring;
  logger: Logger;
  metrics: Registry;
  clock?: Clock;
  bodyLimitBytes?: number;
  requestTimeoutMs?: number;
  authCacheTtlMs?: number;
  limits?: { sensorRecords: number; factRecords: number };
  /** The HTTP frame's size limits, rate limits and load shedding. */
  http?: HttpLimitsInput;
}

export async function buildApp(opts: IngestAppOptions): Promise<TaktApp> {
  const deps: IngestDeps = {
    prisma: opts.prisma,
    keyring: opts.keyring,
    clock: opts.clock ?? Date.now,
    limits: opts.limits ?? { sensorRecords: 10_000, factRecords: 1_000 },
    metrics: {
      rowsWritten: new Counter({
        name: 'takt_ingest_rows_written_total',
        help: 'Rows written by fact kind',
        labelNames: ['kind'],
        registers: [opts.metrics],
      }),
      batchSize: new Histogram({
        name: 'takt_ingest_batch_records',
        help: 'Records per accepted batch',
        labelNames: ['kind'],
        buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000],
        registers: [opts.metrics],
      }),
      batches: new Counter({
        name: 'takt_ingest_batches_total',
        help: 'Batches by kind and outcome (HTTP status)',
        labelNames: ['kind', 'outcome'],
        registers: [opts.metrics],
      }),
    },
  };
  const resolveKey = databaseKeyResolver(opts.prisma);
  const app = await createHttpApp({
    service: 'ingest',
    logger: opts.logger,
    metrics: opts.metrics,
    resolveKey: opts.authCacheTtlMs === 0 ? resolveKey : cachedResolver(resolveKey, opts.authCacheTtlMs),
    readiness: {
      postgres: async () => {
        await opts.prisma.$queryRaw`SELECT 1`;
      },
    },
    ...(opts.bodyLimitBytes !== undefined ? { bodyLimitBytes: opts.bodyLimitBytes } : {}),
    ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
    ...(opts.http ? { limits: opts.http } : {}),
  });
  registerMasterDataRoutes(app, deps);
  registerApiKeyRoutes(app, deps);
  registerBatchRoutes(app, deps);
  registerFactRoutes(app, deps);
  return app;
}
