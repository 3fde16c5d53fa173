import { readFileSync } from 'node:fs';
import { type ClickHouse, createClickHouse, sql } from '@takt/clickhouse';
import { createMetricsRegistry } from '@takt/http';
import { createLogger, type Logger } from '@takt/log';
import {
  createTestClickHouseDatabase,
  deleteTopics,
  registerConnector,
  removeConnectorAndSlot,
  stack,
  type TestClickHouseDatabase,
  testKafka,
  topicPrefix,
  waitFor,
} from '@takt/testing';
import type { Kafka } from 'kafkajs';
import { type IngestHarness, startIngest, type TestTenant } from '../../ingest/test/harness.js';
import { createProjectorMetrics } from '../src/metrics.js';
import { cdcTopics, createProjector, type Projector, type ProjectorSettings } from '../src/projector.js';

const CAPTURED = JSON.parse(
  readFileSync(new URL('../../../infra/connect/takt-postgres.json', import.meta.url), 'utf8'),
) as { config: Record<string, string> };

export interface Pipeline {
  readonly prefix: string;
  /** This pipeline's own Debezium connector and replication slot. */
  readonly connector: string;
  readonly slot: string;
  readonly ingest: IngestHarness;
  readonly chDb: TestClickHouseDatabase;
  readonly ch: ClickHouse;
  readonly kafka: Kafka;
  readonly settings: ProjectorSettings;
  /** The environment a projector child process needs for this pipeline. */
  env(extra?: Record<string, string>): Record<string, string>;
  startProjector(
    overrides?: Partial<ProjectorSettings>,
    deps?: { ch?: ClickHouse; logger?: Logger },
  ): Promise<Projector>;
  close(): Promise<void>;
}

/**
 * A private pipeline: a Postgres clone behind the real ingest app, its own Debezium connector, slot
 * and topic prefix, its own ClickHouse database, consumer groups and dirty topic.
 */
export async function startPipeline(
  opts: { cdcPartitions?: number; dirtyPartitions?: number; connector?: Record<string, string> } = {},
): Promise<Pipeline> {
  const prefix = topicPrefix();
  const connector = `projector-${prefix}`;
  const slot = prefix;
  const kafka = testKafka();
  const ingest = await startIngest();
  const dirtyTopic = `${prefix}.projector.dirty`;
  const appliedTopic = `${prefix}.projector.applied`;
  const deadLetterTopic = `${prefix}.projector.dlq`;
  const topics = [...cdcTopics(prefix), dirtyTopic, appliedTopic, deadLetterTopic];
  await makeTopics(kafka, cdcTopics(prefix), opts.cdcPartitions ?? 2);
  await makeTopics(kafka, [dirtyTopic, appliedTopic], opts.dirtyPartitions ?? 3);
  const s = stack();
  await registerConnector(connector, {
    ...CAPTURED.config,
    'database.hostname': s.pgHost,
    'database.port': String(s.pgPort),
    'database.user': s.pgSuperuser,
    'database.password': 'unused-with-trust-auth',
    'database.dbname': ingest.db.name,
    'topic.prefix': prefix,
    'slot.name': slot,
    'heartbeat.interval.ms': '1000',
    ...opts.connector,
  });
  const chDb = await createTestClickHouseDatabase('takt_projector');
  const ch = createClickHouse({
    url: s.clickhouseUrl,
    username: s.clickhouseUser,
    password: s.clickhousePassword,
    database: chDb.name,
  });
  const settings: ProjectorSettings = {
    topicPrefix: prefix,
    dirtyTopic,
    appliedTopic,
    mirrorGroup: `${prefix}-mirror`,
    recomputeGroup: `${prefix}-recompute`,
    deadLetterTopic,
    stages: 'both',
    openStateIntervalMs: 5_000,
    retry: { minMs: 200, maxMs: 2_000 },
    partitionsConcurrently: 4,
    sessionTimeoutMs: 10_000,
    topicWaitMs: 30_000,
    migrateOnStart: true,
  };
  const running: Projector[] = [];
  return {
    prefix,
    connector,
    slot,
    ingest,
    chDb,
    ch,
    kafka,
    settings,
    env: (extra = {}) => ({
      KAFKA_BROKERS: s.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      CLICKHOUSE_URL: s.clickhouseUrl,
      CLICKHOUSE_USER: s.clickhouseUser,
      CLICKHOUSE_PASSWORD: s.clickhousePassword,
      CLICKHOUSE_DATABASE: chDb.name,
      PROJECTOR_DIRTY_TOPIC: dirtyTopic,
      PROJECTOR_APPLIED_TOPIC: appliedTopic,
      PROJECTOR_MIRROR_GROUP: settings.mirrorGroup,
      PROJECTOR_RECOMPUTE_GROUP: settings.recomputeGroup,
      PROJECTOR_DLQ_TOPIC: deadLetterTopic,
      CDC_CONNECT_URL: s.connectUrl,
      CDC_CONNECTOR: connector,
      CDC_SLOT: slot,
      CDC_MONITOR_DATABASE_URL: ingest.db.urlFor('takt_app'),
      CDC_DEAD_LETTERS_HANDLED_GROUP: `${prefix}-dead-letters-handled`,
      CDC_WATCH_INTERVAL_MS: '1000',
      PROJECTOR_OPEN_STATE_INTERVAL_MS: String(settings.openStateIntervalMs),
      KAFKA_SESSION_TIMEOUT_MS: String(settings.sessionTimeoutMs),
      LOG_LEVEL: 'warn',
      ...extra,
    }),
    async startProjector(overrides = {}, deps = {}) {
      const registry = createMetricsRegistry('projector');
      const projector = createProjector({
        settings: { ...settings, ...overrides },
        ch: deps.ch ?? ch,
        kafka,
        logger:
          deps.logger ??
          createLogger({ service: 'projector', level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
        metrics: createProjectorMetrics(registry),
        clock: Date.now,
      });
      await projector.start();
      running.push(projector);
      return projector;
    },
    async close() {
      for (const p of running.reverse()) await p.stop().catch(() => undefined);
      await removeConnectorAndSlot(connector, slot);
      await ingest.close().catch(() => undefined);
      await ch.close().catch(() => undefined);
      await chDb.drop().catch(() => undefined);
      const admin = kafka.admin();
      await admin.connect();
      const all = (await admin.listTopics()).filter(
        (t) => t.startsWith(`${prefix}.`) || t === `__debezium-heartbeat.${prefix}`,
      );
      await admin.disconnect();
      await deleteTopics(kafka, [...new Set([...topics, ...all])]).catch(() => undefined);
    },
  };
}

/**
 * Creates topics and waits until every partition has a leader. The admin's own waitForLeaders gives
 * up on UNKNOWN_TOPIC_OR_PARTITION, which a freshly created topic can still answer on Kafka 4.
 */
export async function makeTopics(kafka: Kafka, topics: string[], partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    });
    await waitFor(
      async () => {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        return meta.every(
          (m) => m.partitions.length === partitions && m.partitions.every((x) => x.leader >= 0),
        );
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'topic leaders' },
    );
  } finally {
    await admin.disconnect();
  }
}

export async function send(
  h: IngestHarness,
  t: TestTenant,
  method: 'PUT' | 'POST',
  url: string,
  payload: Record<string, unknown>,
  scope: 'admin' | 'ingest' = method === 'PUT' ? 'admin' : 'ingest',
): Promise<void> {
  const res = await h.app.inject({ method, url, headers: t.auth(scope), payload });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
}

export interface StoredBucket {
  equipment_id: string;
  b: number;
  shift_id: string;
  pot_ms: number;
  pdot_ms: number;
  apt_ms: number;
  pq: number;
  gq: number;
  sq: number;
  rq: number;
  ideal_ms: number;
}

/** The live oee rows of a tenant, in a stable order, numbers as numbers. */
export async function storedBuckets(ch: ClickHouse, tenantId: string): Promise<StoredBucket[]> {
  const rows = await ch.query<Record<string, string | number>>(
    sql`SELECT equipment_id, toUInt32(bucket_start) * 1000 AS b, shift_id, pot_ms, pdot_ms, apt_ms, pq, gq, sq, rq, ideal_ms
          FROM oee_bucket_v1 FINAL WHERE tenant_id = ${tenantId} AND is_deleted = 0
         ORDER BY equipment_id, b, shift_id`,
  );
  return rows.map((r) => ({
    equipment_id: String(r.equipment_id),
    b: Number(r.b),
    shift_id: String(r.shift_id),
    pot_ms: Number(r.pot_ms),
    pdot_ms: Number(r.pdot_ms),
    apt_ms: Number(r.apt_ms),
    pq: Number(r.pq),
    gq: Number(r.gq),
    sq: Number(r.sq),
    rq: Number(r.rq),
    ideal_ms: Number(r.ideal_ms),
  }));
}
