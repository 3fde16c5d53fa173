import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TABLES, type TableName } from '@takt/cdc';
import { sql } from '@takt/clickhouse';
import {
  type CapturedTable,
  KAFKA_MESSAGE_MARGIN,
  KAFKA_MESSAGE_MAX_BYTES,
  worstCaseEventBytes,
} from '@takt/config';
import { createLogger } from '@takt/log';
import {
  createTestDatabase,
  debeziumSource,
  deleteTopics,
  registerConnector,
  removeConnectorAndSlot,
  stack,
  type TestDatabase,
  waitFor,
  withAdmin,
} from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../audit/src/config.js';
import { migrateAudit } from '../../audit/src/migrate.js';
import { type AuditService, startAuditService } from '../../audit/src/service.js';
import type { TestTenant } from '../../ingest/test/harness.js';
import {
  LARGEST,
  largestAttributes,
  largestTenant,
  widest,
  writeLargestRows,
} from '../../ingest/test/largest.js';
import { type Pipeline, startPipeline } from './harness.js';

/*
 * The largest legal row of every captured table, created and then rewritten (so the update events
 * carry two full images), through the whole pipeline: ingest → PostgreSQL → Debezium → Kafka →
 * audit and projector. A second connector on the same database, with embedded schemas on, writes
 * the same changes to topics of its own, which are measured against the budget of docs/limits.md.
 */

let p: Pipeline;
let t: TestTenant;
let audit: AuditService;
let auditDb: TestDatabase;
const sized = () => `${p.prefix}_sized`;

async function startAudit(): Promise<AuditService> {
  auditDb = await createTestDatabase({ prefix: 'takt_audit_limits', owner: 'takt_audit_owner' });
  await migrateAudit(auditDb.urlFor('takt_audit_owner'));
  const keyFile = join(mkdtempSync(join(tmpdir(), 'takt-limits-')), 'signing-key.pem');
  writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const config = loadConfig({
    DATABASE_URL: auditDb.urlFor('takt_audit_writer'),
    API_KEYS_DATABASE_URL: p.ingest.db.urlFor('takt_app'),
    AUDIT_SIGNING_KEY_FILE: keyFile,
    KAFKA_BROKERS: stack().kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: p.prefix,
    AUDIT_GROUP_ID: `${p.prefix}-audit`,
    AUDIT_DLQ_TOPIC: `${p.prefix}.audit.dlq`,
    AUDIT_SESSION_TIMEOUT_MS: '6000',
    LOG_LEVEL: 'silent',
  });
  return startAuditService(config, createLogger({ service: 'audit', level: 'silent' }));
}

/** The same capture as the pipeline's connector, with schemas embedded in keys and values. */
async function startSizedConnector(): Promise<void> {
  await registerConnector(sized(), {
    ...debeziumSource({
      database: p.ingest.db.name,
      topicPrefix: sized(),
      publication: 'takt_publication',
      slot: sized(),
      tables: TABLES,
    }),
    'decimal.handling.mode': 'string',
    'time.precision.mode': 'adaptive_time_microseconds',
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'true',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'true',
    'topic.creation.default.replication.factor': '1',
    'topic.creation.default.partitions': '1',
  });
}

beforeAll(async () => {
  p = await startPipeline();
  audit = await startAudit();
  await p.startProjector();
  await startSizedConnector();
  t = await largestTenant(p.ingest);
  await writeLargestRows(p.ingest, t, 'a');
  await writeLargestRows(p.ingest, t, 'b');
}, 240_000);

afterAll(async () => {
  await audit?.stop().catch(() => undefined);
  if (p) {
    await removeConnectorAndSlot(sized(), sized());
    await deleteTopics(p.kafka, [
      ...TABLES.map((x) => `${sized()}.public.${x}`),
      `__debezium-heartbeat.${sized()}`,
    ]).catch(() => undefined);
    await p.close();
  }
  await auditDb?.drop().catch(() => undefined);
}, 120_000);

/** Audited entities: master data by code, facts by id, at version 2 (created, then rewritten). */
const AUDITED: [string, string][] = [
  ['site', LARGEST.site],
  ['line', LARGEST.line],
  ['equipment', LARGEST.equipment],
  ['product', LARGEST.product],
  ['shift', LARGEST.shiftId],
  ['state', LARGEST.stateId],
  ['production', LARGEST.productionId],
  ['maintenance', LARGEST.maintenanceId],
];

describe('the largest legal rows travel the whole pipeline', () => {
  it('appear as audit events with both images whole', async () => {
    const events = await waitFor(
      async () => {
        const rows = await auditRows();
        return AUDITED.every(([type, id]) =>
          rows.some((r) => r.entity_type === type && r.entity_id === id && r.version >= 2),
        )
          ? rows
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, what: 'audit events of the largest rows' },
    );
    const update = events.find((e) => e.entity_type === 'equipment' && e.version === 2);
    expect(update?.op).toBe('update');
    expect(update?.before?.attributes).toEqual(largestAttributes('a'));
    expect(update?.after?.attributes).toEqual(largestAttributes('b'));
    expect(update?.after?.name).toBe(widest('name', 'b'));
    const notes = events.find((e) => e.entity_type === 'maintenance' && e.version === 2)?.after?.notes;
    expect(notes).toBe('\u0002'.repeat(4000));
    expect(events.some((e) => e.entity_type === 'ingest_batch')).toBe(true);
    // The equipment event reached the log through Kafka; no message went to the dead-letter topic.
    expect(await deadLetters()).toBe(0);
  });

  it('appear in their ClickHouse mirrors', async () => {
    const name = widest('name', 'b');
    const checks: [string, ReturnType<typeof sql>][] = [
      [
        'dim_site_v1',
        sql`SELECT count() AS n FROM dim_site_v1 FINAL WHERE tenant_id = ${t.id} AND code = ${LARGEST.site} AND name = ${name}`,
      ],
      [
        'dim_line_v1',
        sql`SELECT count() AS n FROM dim_line_v1 FINAL WHERE tenant_id = ${t.id} AND code = ${LARGEST.line} AND name = ${name}`,
      ],
      [
        'dim_equipment_v1',
        sql`SELECT count() AS n FROM dim_equipment_v1 FINAL WHERE tenant_id = ${t.id} AND code = ${LARGEST.equipment} AND name = ${name}`,
      ],
      [
        'dim_product_v1',
        sql`SELECT count() AS n FROM dim_product_v1 FINAL WHERE tenant_id = ${t.id} AND code = ${LARGEST.product} AND ideal_cycle_time_s = 31536000`,
      ],
      [
        'dim_downtime_reason_v1',
        sql`SELECT count() AS n FROM dim_downtime_reason_v1 FINAL WHERE tenant_id = ${t.id} AND code = ${LARGEST.reason} AND name = ${name}`,
      ],
      [
        'fact_shift_v1',
        sql`SELECT count() AS n FROM fact_shift_v1 FINAL WHERE tenant_id = ${t.id} AND id = ${LARGEST.shiftId} AND name = ${name}`,
      ],
      [
        'fact_equipment_state_v1',
        sql`SELECT count() AS n FROM fact_equipment_state_v1 FINAL WHERE tenant_id = ${t.id} AND id = ${LARGEST.stateId}`,
      ],
      [
        'fact_production_v1',
        sql`SELECT count() AS n FROM fact_production_v1 FINAL WHERE tenant_id = ${t.id} AND id = ${LARGEST.productionId} AND total = 2147483647`,
      ],
      [
        'fact_maintenance_v1',
        sql`SELECT count() AS n FROM fact_maintenance_v1 FINAL WHERE tenant_id = ${t.id} AND id = ${LARGEST.maintenanceId}`,
      ],
      [
        'sensor_reading_v1',
        sql`SELECT count() AS n FROM sensor_reading_v1 FINAL WHERE tenant_id = ${t.id} AND tag = ${LARGEST.tag} AND value = ${Number.MAX_VALUE}`,
      ],
    ];
    for (const [table, query] of checks) {
      await waitFor(async () => Number((await p.ch.query<{ n: string }>(query))[0]?.n) >= 1, {
        timeoutMs: 60_000,
        intervalMs: 500,
        what: `the largest row in ${table}`,
      });
    }
  });

  it('stay within their budget and far below the Kafka ceiling, schemas included', async () => {
    const captured = TABLES.filter((x) => x !== 'debezium_heartbeat');
    const largest = await largestMessages(`${sized()}.public.`, captured);
    for (const table of captured) {
      const bytes = largest.get(table) ?? 0;
      expect(bytes, `no change event of ${table}`).toBeGreaterThan(0);
      expect(bytes, table).toBeLessThanOrEqual(worstCaseEventBytes(table as CapturedTable));
      expect(bytes * KAFKA_MESSAGE_MARGIN, table).toBeLessThanOrEqual(KAFKA_MESSAGE_MAX_BYTES);
    }
    // Both tasks are still running: nothing these rows produced stopped the capture.
    for (const name of [`projector-${p.prefix}`, sized()])
      expect(await taskStates(name), name).toEqual(['RUNNING']);
    console.info(
      `largest change events (bytes, schemas embedded): ${JSON.stringify(Object.fromEntries(largest))}`,
    );
  });
});

async function taskStates(connector: string): Promise<string[]> {
  const res = await fetch(`${stack().connectUrl}/connectors/${encodeURIComponent(connector)}/status`);
  const status = (await res.json()) as { tasks: { state: string }[] };
  return status.tasks.map((x) => x.state);
}

interface AuditRow {
  entity_type: string;
  entity_id: string;
  version: number;
  op: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

async function auditRows(): Promise<AuditRow[]> {
  return withAdmin(auditDb.name, async (c) => {
    const r = await c.query<AuditRow>(
      'SELECT entity_type, entity_id, version::int AS version, op, before, after FROM audit_event WHERE tenant_id = $1',
      [t.id],
    );
    return r.rows;
  });
}

async function deadLetters(): Promise<number> {
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(`${p.prefix}.audit.dlq`)) return 0;
    const offsets = await admin.fetchTopicOffsets(`${p.prefix}.audit.dlq`);
    return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads the sized connector's topics from the start and keeps the largest value per table, until
 * both rounds of changes of every captured table have arrived.
 */
async function largestMessages(
  topicHead: string,
  tables: readonly TableName[],
): Promise<Map<TableName, number>> {
  const topics = tables.map((x) => `${topicHead}${x}`);
  const admin = p.kafka.admin();
  await admin.connect();
  await waitFor(
    async () => {
      const existing = new Set(await admin.listTopics());
      return topics.every((x) => existing.has(x));
    },
    { timeoutMs: 60_000, what: 'the sized connector to create its topics' },
  );
  await admin.disconnect();
  const largest = new Map<TableName, number>();
  const count = new Map<TableName, number>();
  const consumer = p.kafka.consumer({
    groupId: `${topicHead}measure`,
    maxBytesPerPartition: KAFKA_MESSAGE_MAX_BYTES,
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const table = topic.slice(topicHead.length) as TableName;
      largest.set(table, Math.max(largest.get(table) ?? 0, message.value?.length ?? 0));
      count.set(table, (count.get(table) ?? 0) + 1);
    },
  });
  try {
    await waitFor(
      // Every row was written twice (api keys: two rows), and each round posted five batches.
      async () => tables.every((x) => (count.get(x) ?? 0) >= 2) && (count.get('ingest_batch') ?? 0) >= 10,
      {
        timeoutMs: 90_000,
        what: 'both rounds of changes on the sized topics',
      },
    );
  } finally {
    await consumer.disconnect();
  }
  return largest;
}
