import { createClickHouse } from '@takt/clickhouse';
import { createMetricsRegistry } from '@takt/http';
import { createLogger, kafkaLog, runMain, stopOnSignals } from '@takt/log';
import { cdcWatcherOptions, createCdcWatcher, registerCdcMetrics } from '@takt/pipeline';
import { Kafka, logLevel } from 'kafkajs';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createProjectorMetrics } from './metrics.js';
import { createProjector } from './projector.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: 'projector', level: config.LOG_LEVEL });
  const registry = createMetricsRegistry('projector');
  const ch = createClickHouse({
    url: config.CLICKHOUSE_URL,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    database: config.CLICKHOUSE_DATABASE,
    requestTimeoutMs: config.CLICKHOUSE_REQUEST_TIMEOUT_MS,
    application: 'takt-projector',
  });
  const adminCh = createClickHouse({
    url: config.CLICKHOUSE_URL,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    requestTimeoutMs: config.CLICKHOUSE_REQUEST_TIMEOUT_MS,
    application: 'takt-projector',
  });
  const kafka = new Kafka({
    clientId: config.KAFKA_CLIENT_ID ?? 'takt-projector',
    brokers: config.KAFKA_BROKERS,
    logLevel: logLevel.WARN,
    logCreator: kafkaLog(logger),
  });
  const projector = createProjector({
    settings: {
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      dirtyTopic: config.PROJECTOR_DIRTY_TOPIC,
      ...(config.PROJECTOR_APPLIED_TOPIC ? { appliedTopic: config.PROJECTOR_APPLIED_TOPIC } : {}),
      mirrorGroup: config.PROJECTOR_MIRROR_GROUP,
      deadLetterTopic: config.PROJECTOR_DLQ_TOPIC,
      recomputeGroup: config.PROJECTOR_RECOMPUTE_GROUP,
      stages: config.PROJECTOR_STAGES,
      openStateIntervalMs: config.PROJECTOR_OPEN_STATE_INTERVAL_MS,
      retry: { minMs: config.PROJECTOR_RETRY_MIN_MS, maxMs: config.PROJECTOR_RETRY_MAX_MS },
      partitionsConcurrently: config.PROJECTOR_PARTITIONS_CONCURRENTLY,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      topicWaitMs: config.PROJECTOR_TOPIC_WAIT_MS,
      migrateOnStart: config.PROJECTOR_MIGRATE_ON_START,
    },
    ch,
    adminCh,
    kafka,
    logger,
    metrics: createProjectorMetrics(registry),
    clock: Date.now,
  });
  const watchOptions = cdcWatcherOptions(config, {
    clientId: config.KAFKA_CLIENT_ID ?? 'takt-projector',
    deadLetterTopics: [config.PROJECTOR_DLQ_TOPIC],
    logger,
  });
  const watcher = watchOptions && createCdcWatcher(watchOptions);
  if (watcher) registerCdcMetrics(registry, watcher);
  else logger.warn('CDC_WATCH is off: a stalled connector will not show in /readyz');
  const app = await buildApp({
    logger,
    metrics: registry,
    readiness: { pipeline: projector.ready, ...(watcher ? { cdc: watcher.ready } : {}) },
  });
  await watcher?.start();
  await app.listen({ host: config.HOST, port: config.PORT });
  await projector.start();

  stopOnSignals(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    // Reverse order of start: stop consuming (uncommitted work replays on the next start), then the
    // HTTP frame, then the ClickHouse client the stages wrote through.
    await projector.stop();
    await app.close();
    await watcher?.stop();
    await ch.close();
    await adminCh.close();
  });
}

runMain(main);
