import { createClickHouse } from '@takt/clickhouse';
import { createMetricsRegistry, limitsFromEnv } from '@takt/http';
import { createLogger, kafkaLog, runMain, stopOnSignals } from '@takt/log';
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
  const app = await buildApp({
    clickhouse,
    logger,
    metrics: createMetricsRegistry('query'),
    ...(lagProbe === undefined ? {} : { lagProbe }),
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    authCacheTtlMs: config.AUTH_CACHE_TTL_MS,
    plantCacheTtlMs: config.PLANT_CACHE_TTL_MS,
    resultCacheTtlMs: config.RESULT_CACHE_TTL_MS,
    http: limitsFromEnv(config),
    ...(fragments === undefined ? {} : { fragments }),
  });
  await app.listen({ host: config.HOST, port: config.PORT });

  stopOnSignals(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    // Reverse order of start: drain in-flight requests first, then the clients they were using.
    await app.close();
    await lagProbe?.close();
    await feed?.stop();
    await clickhouse.close();
  });
}

runMain(main);
