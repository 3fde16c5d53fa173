/**
 * `pnpm bench:audit` (not part of the test suite; needs the local stack): append rate from Kafka
 * at steady state, verify rate, and the replay latency of a 10,000-event stream.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createMetricsRegistry } from '@takt/http';
import { createLogger } from '@takt/log';
import {
  createTestDatabase,
  createTopics,
  deleteTopics,
  testKafka,
  topicPrefix,
  waitFor,
} from '@takt/testing';
import pg from 'pg';
import { GENESIS_HASH } from '../src/canonical.js';
import { signerFromPem, TrustedKeys } from '../src/checkpoint.js';
import { AuditConsumer, auditedTopics } from '../src/consumer.js';
import { ChainVerifier } from '../src/event.js';
import { migrateAudit } from '../src/migrate.js';
import { AuditStore } from '../src/store.js';
import { verifyRange } from '../src/verify.js';

const N = Number(process.env.BENCH_EVENTS ?? 50_000);
const prefix = topicPrefix();
const topic = `${prefix}.public.dim_equipment`;
const fixture = JSON.parse(
  readFileSync(new URL('../../../packages/cdc/test/fixtures/dim_equipment.json', import.meta.url), 'utf8'),
) as { key: string; value: string }[];
const template = JSON.parse(fixture[1]!.value) as {
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  source: Record<string, unknown>;
};
const tenantId = randomUUID();

const kafka = testKafka();
const db = await createTestDatabase({ prefix: 'takt_audit_bench', owner: 'takt_audit_owner' });
await migrateAudit(db.urlFor('takt_audit_owner'));
const pool = new pg.Pool({ connectionString: db.urlFor('takt_audit_writer'), max: 4 });
const signer = signerFromPem(
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
);
const store = new AuditStore(pool, signer, { everyEvents: 1_000, everyMs: 60_000 });
const consumer = new AuditConsumer({
  kafka,
  store,
  logger: createLogger({ service: 'audit-bench', level: 'silent' }),
  metrics: createMetricsRegistry('audit-bench'),
  groupId: `${prefix}-bench`,
  prefix,
  dlqTopic: `${prefix}.audit.dlq`,
  chunkMessages: 1_000,
  sessionTimeoutMs: 30_000,
});

try {
  await createTopics(kafka, [topic]);
  const producer = kafka.producer();
  await producer.connect();
  // One equipment updated N times: one stream of N versions, the worst case for the version lookup.
  for (let i = 0; i < N; i += 500) {
    const messages = [];
    for (let j = i; j < Math.min(N, i + 500); j++) {
      const after = { ...template.after, tenant_id: tenantId, name: `Press ${j}` };
      const before = { ...template.before, tenant_id: tenantId, name: `Press ${j - 1}` };
      const source = { ...template.source, lsn: 1_000_000 + j, txId: 10_000 + j };
      messages.push({ key: fixture[1]!.key, value: JSON.stringify({ ...template, before, after, source }) });
    }
    await producer.send({ topic, messages });
  }
  await producer.disconnect();

  const t0 = performance.now();
  await consumer.start();
  await waitFor(async () => (await store.lastPosition(tenantId)) >= N, {
    timeoutMs: 600_000,
    intervalMs: 200,
    what: `${N} appended events`,
  });
  const appendS = (performance.now() - t0) / 1000;
  await consumer.stop();

  // Verify from the database (what GET /v1/audit/verify does) and in memory (the hashing alone).
  const t1 = performance.now();
  const verdict = await verifyRange({
    tenantId,
    fromPosition: 1,
    toPosition: N,
    prevHash: GENESIS_HASH,
    pages: store.range(tenantId, 1, N),
    checkpoints: await store.checkpoints(tenantId, 1, N),
    trusted: TrustedKeys.fromPem(signer.publicKeyPem),
  });
  const verifyDbS = (performance.now() - t1) / 1000;
  // The tail after the last checkpoint is unsigned (status unverified); only a failure is an error.
  if (verdict.status === 'failed') throw new Error(`verify failed: ${JSON.stringify(verdict)}`);
  const events = [];
  for await (const page of store.range(tenantId, 1, N)) events.push(...page);
  const t2 = performance.now();
  const v = new ChainVerifier(GENESIS_HASH, 1);
  for (const e of events) v.push(e);
  const verifyMemS = (performance.now() - t2) / 1000;

  const replays: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t3 = performance.now();
    const s = await store.stream(tenantId, 'equipment', 'press-01', 1, 10_000);
    replays.push(performance.now() - t3);
    if (s.length !== 10_000) throw new Error(`replay returned ${s.length}`);
  }
  replays.sort((a, b) => a - b);

  console.log(
    JSON.stringify(
      {
        events: N,
        appendEventsPerS: Math.round(N / appendS),
        verifyFromDbEventsPerS: Math.round(N / verifyDbS),
        verifyInMemoryEventsPerS: Math.round(N / verifyMemS),
        replay10kStreamMs: { median: Math.round(replays[2]!), best: Math.round(replays[0]!) },
      },
      null,
      2,
    ),
  );
} finally {
  await pool.end();
  await db.drop();
  await deleteTopics(kafka, [topic, ...auditedTopics(prefix), `${prefix}.audit.dlq`]).catch(() => undefined);
}
process.exit(0);
