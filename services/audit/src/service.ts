import { readFileSync } from 'node:fs';
import { cachedResolver, createMetricsRegistry, limitsFromEnv, type TaktApp } from '@takt/http';
import { kafkaLog, type Logger } from '@takt/log';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { buildApp } from './app.js';
import { databaseKeyResolver } from './auth.js';
import { signerFromPem } from './checkpoint.js';
import type { AuditConfig } from './config.js';
import { AuditConsumer } from './consumer.js';
import { migrateAudit } from './migrate.js';
import { AuditStore } from './store.js';

/** The running service: owns start() and stop() of every client, so main.ts and tests share the wiring. */
export interface AuditService {
  app: TaktApp;
  consumer: AuditConsumer;
  store: AuditStore;
  stop(): Promise<void>;
}

export async function startAuditService(config: AuditConfig, logger: Logger): Promise<AuditService> {
  if (config.AUDIT_OWNER_DATABASE_URL) await migrateAudit(config.AUDIT_OWNER_DATABASE_URL);
  const signer = signerFromPem(readFileSync(config.AUDIT_SIGNING_KEY_FILE, 'utf8'));
  const auditPool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.PG_POOL_MAX,
    statement_timeout: config.PG_STATEMENT_TIMEOUT_MS,
    application_name: 'takt-audit',
  });
  const taktPool = new pg.Pool({
    connectionString: config.TAKT_DATABASE_URL,
    max: 4,
    application_name: 'takt-audit-auth',
  });
  for (const pool of [auditPool, taktPool])
    pool.on('error', (err) => logger.error({ err }, 'postgres pool error'));

  let appends = 0;
  const fault = /^kill-(before|after)-commit:(\d+)$/.exec(config.AUDIT_FAULT ?? '');
  const store = new AuditStore(
    auditPool,
    signer,
    { everyEvents: config.AUDIT_CHECKPOINT_EVERY_EVENTS, everyMs: config.AUDIT_CHECKPOINT_EVERY_MS },
    fault
      ? {
          // Counted per append, killed at the n-th: right before its COMMIT, or as soon as COMMIT is
          // answered (before the consumer appends more: a timer here let further chunks slip in).
          [fault[1] === 'before' ? 'beforeCommit' : 'afterCommit']: () => {
            appends += 1;
            if (appends >= Number(fault[2])) process.kill(process.pid, 'SIGKILL');
          },
        }
      : {},
  );
  const metrics = createMetricsRegistry('audit');
  const kafka = new Kafka({
    clientId: config.KAFKA_CLIENT_ID ?? 'takt-audit',
    brokers: config.KAFKA_BROKERS,
    logLevel: logLevel.WARN,
    logCreator: kafkaLog(logger),
  });
  const consumer = new AuditConsumer({
    kafka,
    store,
    logger,
    metrics,
    groupId: config.AUDIT_GROUP_ID,
    prefix: config.KAFKA_TOPIC_PREFIX,
    dlqTopic: config.AUDIT_DLQ_TOPIC,
    chunkMessages: config.AUDIT_CHUNK_MESSAGES,
    sessionTimeoutMs: config.AUDIT_SESSION_TIMEOUT_MS,
  });
  const resolveKey = databaseKeyResolver(taktPool);
  const app = await buildApp({
    store,
    logger,
    metrics,
    publicKeyPem: signer.publicKeyPem,
    http: limitsFromEnv(config),
    resolveKey:
      config.AUTH_CACHE_TTL_MS === 0 ? resolveKey : cachedResolver(resolveKey, config.AUTH_CACHE_TTL_MS),
    readiness: {
      audit_db: async () => {
        await auditPool.query('SELECT 1');
      },
      takt_db: async () => {
        await taktPool.query('SELECT 1');
      },
      kafka_consumer: async () => {
        if (!consumer.isRunning) throw new Error('consumer not running');
      },
    },
  });
  await consumer.start();
  const timer = setInterval(
    () =>
      void store
        .checkpointIdleChains()
        .catch((err: unknown) => logger.error({ err }, 'checkpoint of idle chains failed')),
    Math.max(1_000, Math.floor(config.AUDIT_CHECKPOINT_EVERY_MS / 2)),
  );
  timer.unref();

  return {
    app,
    consumer,
    store,
    async stop() {
      // Reverse order of start: no new checkpoints, no new batches (the one in flight commits or
      // rolls back), no new requests, and only then the pools both of them use.
      clearInterval(timer);
      await consumer.stop();
      await app.close();
      await auditPool.end();
      await taktPool.end();
    },
  };
}
