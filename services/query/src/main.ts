import { startApiKeyStore } from '@takt/api-keys';
import { createClickHouse } from '@takt/clickhouse';
import { createMetricsRegistry, limitsFromEnv } from '@takt/http';
import { createLogger, kafkaLog, runMain, stopOnSignals } from '@takt/log';
import { cdcWatcherOptions, createCdcWatcher } from '@takt/pipeline';
import { Kafka, logLevel } from 'kafkajs';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { FragmentCache } from './fragments.js';
import { kafkaLagProbe } from './freshness.js';
import { invalidationFeed } from './invalidation.js';
import type { OeeFragment } from './oee.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: 'query', level: config.LOG_LEVEL });
  const clickhouse = createClickHouse({
    url: config.CLICKHOUSE_URL,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    database: config.CLICKHOUSE_DATABASE,
    requestTimeoutMs: config.CLICKHOUSE_REQUEST_TIMEOUT_MS,
    application: 'takt-query',
  });
  const lagProbe = config.FRESHNESS_KAFKA
    ? kafkaLagProbe({
        brokers: config.KAFKA_BROKERS,
        clientId: config.KAFKA_CLIENT_ID ?? 'takt-query',
        topicPrefix: config.KAFKA_TOPIC_PREFIX,
        mirrorGroup: config.KAFKA_MIRROR_GROUP,
        recomputeGroup: config.KAFKA_RECOMPUTE_GROUP,
        dirtyTopic: config.KAFKA_DIRTY_TOPIC,
      })
    : undefined;
  // The fragment cache is only as good as the projector's announcements: it needs Kafka.
  const fragments =
    config.FRAGMENT_CACHE_MAX > 0
      ? new FragmentCache<OeeFragment>({
          maxFragments: config.FRAGMENT_CACHE_MAX,
          maxAgeMs: config.FRAGMENT_CACHE_MAX_AGE_MS,
        })
      : undefined;
  const feed =
    fragments === undefined
      ? undefined
      : invalidationFeed({
          kafka: new Kafka({
            clientId: config.KAFKA_CLIENT_ID ?? 'takt-query',
            brokers: config.KAFKA_BROKERS,
            logLevel: logLevel.WARN,
            logCreator: kafkaLog(logger),
          }),
          topic: config.KAFKA_APPLIED_TOPIC,
          cache: fragments,
          logger,
        });
  feed?.start();
  const watchOptions = cdcWatcherOptions(config, {
    clientId: config.KAFKA_CLIENT_ID ?? 'takt-query',
    deadLetterTopics: config.CDC_DEAD_LETTER_TOPICS,
    logger,
  });
  const cdc = watchOptions && createCdcWatcher(watchOptions);
  if (cdc) await cdc.start();
  else logger.warn('CDC_WATCH is off: /v1/freshness cannot see a stalled connector');
  const metrics = createMetricsRegistry('query');
  const keys = await startApiKeyStore({
    service: 'query',
    connectionString: config.API_KEYS_DATABASE_URL,
    settings: config,
    logger,
    metrics,
  });
  const app = await buildApp({
    clickhouse,
    logger,
    metrics,
    resolveKey: keys.resolve,
    readiness: { api_keys: () => keys.ping() },
    ...(lagProbe === undefined ? {} : { lagProbe }),
    ...(cdc === undefined ? {} : { cdc }),
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    plantCacheTtlMs: config.PLANT_CACHE_TTL_MS,
    resultCacheTtlMs: config.RESULT_CACHE_TTL_MS,
    timeRange: {
      retentionDays: config.TIME_RANGE_RETENTION_DAYS,
      horizonDays: config.TIME_RANGE_HORIZON_DAYS,
    },
    http: limitsFromEnv(config),
    ...(fragments === undefined ? {} : { fragments }),
  });
  await app.listen({ host: config.HOST, port: config.PORT });

  stopOnSignals(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    // Reverse order of start: drain in-flight requests first, then the clients they were using.
    await app.close();
    await lagProbe?.close();
    await cdc?.stop();
    await feed?.stop();
    await keys.stop();
    await clickhouse.close();
  });
}

runMain(main);
