import type { ClickHouse } from '@takt/clickhouse';
import { cachedResolver, createHttpApp, type Registry, type TaktApp } from '@takt/http';
import type { Logger } from '@takt/log';
import { clickhouseKeyResolver } from './auth.js';
import type { Clock, QueryDeps } from './context.js';
import type { LagProbe } from './freshness.js';
import { cachedPlants } from './plant.js';
import { registerAnalyticsRoutes } from './routes/analytics.js';
import { registerFreshnessRoutes } from './routes/freshness.js';
import { memo } from './store.js';

export interface QueryAppOptions {
  clickhouse: ClickHouse;
  logger: Logger;
  metrics: Registry;
  /** Kafka consumer lag for /v1/freshness; without it the answer is never `caughtUp`. */
  lagProbe?: LagProbe;
  clock?: Clock;
  requestTimeoutMs?: number;
  authCacheTtlMs?: number;
  plantCacheTtlMs?: number;
  resultCacheTtlMs?: number;
}

export async function buildApp(opts: QueryAppOptions): Promise<TaktApp> {
  const deps: QueryDeps = {
    clickhouse: opts.clickhouse,
    plants: cachedPlants(opts.clickhouse, opts.plantCacheTtlMs ?? 5_000),
    clock: opts.clock ?? Date.now,
    answers: memo<string>(opts.resultCacheTtlMs ?? 1_000),
    lagProbe: opts.lagProbe,
  };
  const resolveKey = clickhouseKeyResolver(opts.clickhouse);
  const app = await createHttpApp({
    service: 'query',
    logger: opts.logger,
    metrics: opts.metrics,
    resolveKey: opts.authCacheTtlMs === 0 ? resolveKey : cachedResolver(resolveKey, opts.authCacheTtlMs),
    readiness: { clickhouse: () => opts.clickhouse.ping() },
    // The service takes no bodies: GET only.
    bodyLimitBytes: 64 * 1024,
    ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
  });
  registerAnalyticsRoutes(app, deps);
  registerFreshnessRoutes(app, deps);
  return app;
}
