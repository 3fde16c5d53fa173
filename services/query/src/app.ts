import type { ClickHouse } from '@takt/clickhouse';
import {
  Counter,
  cachedResolver,
  createHttpApp,
  Gauge,
  type HttpLimitsInput,
  type Registry,
  type TaktApp,
} from '@takt/http';
import type { Logger } from '@takt/log';
import { clickhouseKeyResolver } from './auth.js';
import type { Clock, QueryDeps } from './context.js';
import type { FragmentCache } from './fragments.js';
import type { LagProbe } from './freshness.js';
import type { OeeFragment } from './oee.js';
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
  /** OEE bucket cache; needs a live invalidation feed (see invalidation.ts) to keep anything. */
  fragments?: FragmentCache<OeeFragment>;
  requestTimeoutMs?: number;
  authCacheTtlMs?: number;
  plantCacheTtlMs?: number;
  resultCacheTtlMs?: number;
  /** The HTTP frame's size limits, rate limits and load shedding. */
  http?: HttpLimitsInput;
}

export async function buildApp(opts: QueryAppOptions): Promise<TaktApp> {
  const deps: QueryDeps = {
    clickhouse: opts.clickhouse,
    plants: cachedPlants(opts.clickhouse, opts.plantCacheTtlMs ?? 5_000),
    clock: opts.clock ?? Date.now,
    answers: memo<string>(opts.resultCacheTtlMs ?? 1_000),
    lagProbe: opts.lagProbe,
    fragments: opts.fragments,
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
    ...(opts.http ? { limits: opts.http } : {}),
  });
  if (opts.fragments) registerFragmentMetrics(opts.metrics, opts.fragments);
  registerAnalyticsRoutes(app, deps);
  registerFreshnessRoutes(app, deps);
  return app;
}

function registerFragmentMetrics(registry: Registry, fragments: FragmentCache<OeeFragment>): void {
  new Gauge({
    name: 'takt_query_fragment_cache',
    help: 'OEE fragment cache: live (1 while the invalidation feed works), fragments and equipment sets kept',
    labelNames: ['stat'],
    registers: [registry],
    collect() {
      const s = fragments.stats();
      this.set({ stat: 'live' }, s.live ? 1 : 0);
      this.set({ stat: 'fragments' }, s.fragments);
      this.set({ stat: 'sets' }, s.sets);
    },
  });
  new Counter({
    name: 'takt_query_fragment_lookups_total',
    help: 'OEE calendar buckets looked up in the fragment cache, by result',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      const s = fragments.stats();
      this.reset();
      this.inc({ result: 'hit' }, s.hits);
      this.inc({ result: 'miss' }, s.misses);
    },
  });
}
