import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TABLES } from '@takt/cdc';
import { createLogger } from '@takt/log';
import {
  createTestDatabase,
  deleteTopics,
  registerConnector,
  removeConnectorAndSlot,
  stack,
  type TestDatabase,
  testKafka,
  topicPrefix,
  withAdmin,
} from '@takt/testing';
import { type IngestHarness, startIngest } from '../../ingest/test/harness.js';
import { type AuditConfig, loadConfig } from '../src/config.js';
import { auditedTopics } from '../src/consumer.js';
import { migrateAudit } from '../src/migrate.js';
import { type AuditService, startAuditService } from '../src/service.js';

const CAPTURED = JSON.parse(
  readFileSync(new URL('../../../infra/connect/takt-postgres.json', import.meta.url), 'utf8'),
) as { config: Record<string, string> };

export interface Pipeline {
  ingest: IngestHarness;
  auditDb: TestDatabase;
  prefix: string;
  /** Environment for the audit service of this pipeline (in-process or as a child process). */
  env: Record<string, string>;
  config(extra?: Record<string, string>): AuditConfig;
  startConnector(): Promise<void>;
  startAudit(extra?: Record<string, string>): Promise<AuditService>;
  auditSql<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * The real chain for one test file: a takt database cloned from the migrated template (with its
 * publication) behind the ingest app, a connector and slot of its own with a unique topic prefix,
 * an audit database migrated by its owner role, and a signing key in a temp folder.
 */
export async function startPipeline(): Promise<Pipeline> {
  const ingest = await startIngest();
  const auditDb = await createTestDatabase({ prefix: 'takt_audit_test', owner: 'takt_audit_owner' });
  await migrateAudit(auditDb.urlFor('takt_audit_owner'));
  const prefix = topicPrefix();
  const connector = `audit-${prefix}`;
  const slot = prefix;
  const dir = mkdtempSync(join(tmpdir(), 'takt-audit-'));
  const keyFile = join(dir, 'signing-key.pem');
  writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const env: Record<string, string> = {
    DATABASE_URL: auditDb.urlFor('takt_audit_writer'),
    API_KEYS_DATABASE_URL: ingest.db.urlFor('takt_app'),
    AUDIT_SIGNING_KEY_FILE: keyFile,
    KAFKA_BROKERS: stack().kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    AUDIT_GROUP_ID: `${prefix}-audit`,
    AUDIT_DLQ_TOPIC: `${prefix}.audit.dlq`,
    AUDIT_CHECKPOINT_EVERY_EVENTS: '5',
    AUDIT_CHECKPOINT_EVERY_MS: '2000',
    AUDIT_SESSION_TIMEOUT_MS: '6000',
    CDC_CONNECT_URL: stack().connectUrl,
    CDC_CONNECTOR: connector,
    CDC_SLOT: slot,
    CDC_MONITOR_DATABASE_URL: ingest.db.urlFor('takt_app'),
    CDC_DEAD_LETTERS_HANDLED_GROUP: `${prefix}-dead-letters-handled`,
    CDC_WATCH_INTERVAL_MS: '1000',
    LOG_LEVEL: 'silent',
    // A test machine's event loop lags for seconds under load: shedding would only add flakes.
    PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0',
  };
  const services: AuditService[] = [];
  let connectorStarted = false;
  const auditSql = <T>(text: string, values: unknown[] = []) =>
    withAdmin(auditDb.name, async (c) => (await c.query(text, values)).rows as T[]);

  return {
    ingest,
    auditDb,
    prefix,
    env,
    auditSql,
    config: (extra = {}) => loadConfig({ ...env, ...extra }),
    async startConnector() {
      connectorStarted = true;
      await registerConnector(connector, {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        'plugin.name': 'pgoutput',
        'database.hostname': stack().pgHost,
        'database.port': String(stack().pgPort),
        'database.user': stack().pgSuperuser,
        'database.password': 'unused-with-trust-auth',
        'database.dbname': ingest.db.name,
        'topic.prefix': prefix,
        'publication.name': 'takt_publication',
        'publication.autocreate.mode': 'disabled',
        'slot.name': slot,
        'table.include.list': TABLES.map((t) => `public.${t}`).join(','),
        'snapshot.mode': 'initial',
        'heartbeat.interval.ms': '1000',
        'heartbeat.action.query': CAPTURED.config['heartbeat.action.query'] ?? '',
        'decimal.handling.mode': 'string',
        'time.precision.mode': 'adaptive_time_microseconds',
        'tombstones.on.delete': 'true',
        'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'key.converter.schemas.enable': 'false',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter.schemas.enable': 'false',
        'topic.creation.default.replication.factor': '1',
        'topic.creation.default.partitions': '1',
      });
    },
    async startAudit(extra = {}) {
      const s = await startAuditService(
        loadConfig({ ...env, ...extra }),
        createLogger({ service: 'audit', level: 'silent' }),
      );
      services.push(s);
      return s;
    },
    async close() {
      for (const s of services.reverse()) await s.stop().catch(() => undefined);
      if (connectorStarted) {
        await removeConnectorAndSlot(connector, slot);
      }
      await ingest.close();
      await auditDb.drop();
      const kafka = testKafka();
      await deleteTopics(kafka, [
        ...TABLES.map((t) => `${prefix}.public.${t}`),
        ...auditedTopics(prefix),
        `__debezium-heartbeat.${prefix}`,
        `${prefix}.audit.dlq`,
      ]).catch(() => undefined);
    },
  };
}
