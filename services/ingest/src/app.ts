import type { Keyring } from '@takt/crypto';
import type { PrismaClient } from '@takt/db';
import { DEFAULT_TIME_RANGE_POLICY, type TimeRangePolicy } from '@takt/domain';
import {
  Counter,
  createHttpApp,
  Histogram,
  type HttpLimitsInput,
  type KeyResolver,
  type Registry,
  type TaktApp,
} from '@takt/http';
import type { Logger } from '@takt/log';
import type { Clock, IngestDeps } from './context.js';
import { installPartitionMetrics } from './partitions.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerBatchRoutes } from './routes/batches.js';
import { registerFactRoutes } from './routes/facts.js';
import { registerMasterDataRoutes } from './routes/master-data.js';

export interface IngestAppOptions {
  prisma: PrismaClient;
  keyring: Keyring;
  logger: Logger;
  metrics: Registry;
  /** API key checks: an ApiKeyStore's `resolve` (docs/api-keys.md). */
  resolveKey: KeyResolver;
  clock?: Clock;
  bodyLimitBytes?: number;
  requestTimeoutMs?: number;
  limits?: { sensorRecords: number; factRecords: number };
  timeRange?: TimeRangePolicy;
  /** The HTTP frame's size limits, rate limits and load shedding. */
  http?: HttpLimitsInput;
}

export async function buildApp(opts: IngestAppOptions): Promise<TaktApp> {
  const deps: IngestDeps = {
    prisma: opts.prisma,
    keyring: opts.keyring,
    clock: opts.clock ?? Date.now,
    limits: opts.limits ?? { sensorRecords: 10_000, factRecords: 1_000 },
    timeRange: opts.timeRange ?? DEFAULT_TIME_RANGE_POLICY,
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
  const app = await createHttpApp({
    service: 'ingest',
    logger: opts.logger,
    metrics: opts.metrics,
    resolveKey: opts.resolveKey,
    readiness: {
      postgres: async () => {
        await opts.prisma.$queryRaw`SELECT 1`;
      },
    },
    ...(opts.bodyLimitBytes !== undefined ? { bodyLimitBytes: opts.bodyLimitBytes } : {}),
    ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
    ...(opts.http ? { limits: opts.http } : {}),
  });
  installPartitionMetrics(opts.metrics, opts.prisma, deps.clock, opts.logger);
  registerMasterDataRoutes(app, deps);
  registerApiKeyRoutes(app, deps);
  registerBatchRoutes(app, deps);
  registerFactRoutes(app, deps);
  return app;
}
