import { readFileSync } from 'node:fs';
import { startApiKeyStore } from '@takt/api-keys';
import { createMetricsRegistry, limitsFromEnv, type TaktApp } from '@takt/http';
import { kafkaLog, type Logger } from '@takt/log';
import { cdcWatcherOptions, createCdcWatcher, registerCdcMetrics } from '@takt/pipeline';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { buildApp } from './app.js';
import { type Signer, SigningKeyError, signerFromPem, TrustedKeys } from './checkpoint.js';
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

/**
 * The keys GET /v1/audit/verify trusts. With a trusted-keys file the active key must be in it, so
 * the file alone says what verifies, and a rotation that forgot to add the new key fails at start.
 */
export function trustedKeysOf(config: AuditConfig, signer: Signer): TrustedKeys {
  if (!config.AUDIT_TRUSTED_KEYS_FILE) return TrustedKeys.fromPem(signer.publicKeyPem);
  const trusted = TrustedKeys.fromPem(readFileSync(config.AUDIT_TRUSTED_KEYS_FILE, 'utf8'));
  if (!trusted.lookup(signer.publicKeyPem))
    throw new SigningKeyError(
      `the public key of AUDIT_SIGNING_KEY_FILE is not in AUDIT_TRUSTED_KEYS_FILE (${config.AUDIT_TRUSTED_KEYS_FILE})`,
    );
  return trusted;
}

export async function startAuditService(config: AuditConfig, logger: Logger): Promise<AuditService> {
  if (config.AUDIT_OWNER_DATABASE_URL) await migrateAudit(config.AUDIT_OWNER_DATABASE_URL);
  const signer = signerFromPem(readFileSync(config.AUDIT_SIGNING_KEY_FILE, 'utf8'));
  const trusted = trustedKeysOf(config, signer);
  const auditPool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.PG_POOL_MAX,
    statement_timeout: config.PG_STATEMENT_TIMEOUT_MS,
    application_name: 'takt-audit',
  });
  auditPool.on('error', (err) => logger.error({ err }, 'postgres pool error'));

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
  // The source's health (docs/cdc-health.md): a failed connector leaves the consumer running but idle,
  // and kafkajs keeps retrying through a Kafka outage, so neither shows in the consumer's own state.
  const watchOptions = cdcWatcherOptions(config, {
    clientId: config.KAFKA_CLIENT_ID ?? 'takt-audit',
    deadLetterTopics: [config.AUDIT_DLQ_TOPIC],
    logger,
  });
  const watcher = watchOptions && createCdcWatcher(watchOptions);
  if (watcher) registerCdcMetrics(metrics, watcher);
  else logger.warn('CDC_WATCH is off: a stalled connector or Kafka outage will not show in /readyz');
  const keys = await startApiKeyStore({
    service: 'audit',
    connectionString: config.API_KEYS_DATABASE_URL,
    settings: config,
    logger,
    metrics,
  });
  const app = await buildApp({
    store,
    logger,
    metrics,
    publicKeyPem: signer.publicKeyPem,
    trusted,
    http: limitsFromEnv(config),
    resolveKey: keys.resolve,
    readiness: {
      audit_db: async () => {
        await auditPool.query('SELECT 1');
      },
      api_keys: () => keys.ping(),
      kafka_consumer: async () => {
        if (!consumer.isRunning) throw new Error('consumer not running');
      },
      ...(watcher ? { cdc: watcher.ready } : {}),
    },
  });
  await watcher?.start();
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
      await watcher?.stop();
      await keys.stop();
      await auditPool.end();
    },
  };
}
