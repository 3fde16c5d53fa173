import type { ClickHouse } from '@takt/clickhouse';
import { DEFAULT_TIME_RANGE_POLICY, type TimeRangePolicy } from '@takt/domain';
import {
  Counter,
  createHttpApp,
  Gauge,
  type HttpLimitsInput,
  type KeyResolver,
  type ReadinessCheck,
  type Registry,
  type TaktApp,
} from '@takt/http';
import type { Logger } from '@takt/log';
import { type CdcWatcher, registerCdcMetrics } from '@takt/pipeline';
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
  /** API key checks: an ApiKeyStore's `resolve` (docs/api-keys.md). */
  resolveKey: KeyResolver;
  /** More dependencies for /readyz besides ClickHouse (the API key database). */
  readiness?: Record<string, ReadinessCheck>;
  /** Kafka consumer lag for /v1/freshness; without it the answer is never `caughtUp`. */
  lagProbe?: LagProbe;
  /**
   * The CDC source watcher: its reasons make /v1/freshness not caught up. It does not touch /readyz:
   * a stalled source makes answers stale, not wrong, and the query service can still serve them.
   */
  cdc?: CdcWatcher;
  clock?: Clock;
  timeRange?: TimeRangePolicy;
  /** OEE bucket cache; needs a live invalidation feed (see invalidation.ts) to keep anything. */
  fragments?: FragmentCache<OeeFragment>;
  requestTimeoutMs?: number;
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
    timeRange: opts.timeRange ?? DEFAULT_TIME_RANGE_POLICY,
    answers: memo<string>(opts.resultCacheTtlMs ?? 1_000),
    lagProbe: opts.lagProbe,
    cdc: opts.cdc,
    fragments: opts.fragments,
  };
  const app = await createHttpApp({
    service: 'query',
    logger: opts.logger,
    metrics: opts.metrics,
    resolveKey: opts.resolveKey,
    readiness: { clickhouse: () => opts.clickhouse.ping(), ...opts.readiness },
    // The service takes no bodies: GET only.
    bodyLimitBytes: 64 * 1024,
    ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
    ...(opts.http ? { limits: opts.http } : {}),
  });
  if (opts.fragments) registerFragmentMetrics(opts.metrics, opts.fragments);
  if (opts.cdc) registerCdcMetrics(opts.metrics, opts.cdc);
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
