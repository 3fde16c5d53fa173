import { createMetricsRegistry, type TaktApp } from '@takt/http';
import { createLogger } from '@takt/log';
import {
  type CdcWatcher,
  createCdcWatcher,
  markDeadLettersHandled,
  registerCdcMetrics,
  unhandledDeadLetters,
} from '@takt/pipeline';
import { stack, waitFor, withAdmin } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaLagProbe, type LagProbe } from '../../query/src/freshness.js';
import { type QueryHarness, startQuery, type TestTenant } from '../../query/test/harness.js';
import { buildApp } from '../src/app.js';
import { type Pipeline, startPipeline } from './harness.js';

// Small enough that one oversized row fails the task with RecordTooLargeException, as in production
// when a row outgrows the producer's max.request.size; every ordinary change fits.
const MAX_REQUEST_BYTES = 65_536;
const FLIP_LIMIT_MS = 30_000;

async function connect(method: string, path: string, body?: unknown): Promise<number> {
  const res = await fetch(`${stack().connectUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.text();
  return res.status;
}

describe('a stalled CDC source shows in /v1/freshness, /readyz and /metrics', () => {
  let p: Pipeline;
  let watcher: CdcWatcher;
  let probe: LagProbe;
  let q: QueryHarness;
  let t: TestTenant;
  let projectorApp: TaktApp;
  let connectorConfig: Record<string, string>;

  beforeAll(async () => {
    p = await startPipeline({
      connector: { 'producer.override.max.request.size': String(MAX_REQUEST_BYTES) },
    });
    const projector = await p.startProjector();
    const logger = createLogger({ service: 'projector', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    watcher = createCdcWatcher({
      connectUrl: stack().connectUrl,
      connector: p.connector,
      slot: p.slot,
      monitorDatabaseUrl: p.ingest.db.urlFor('takt_app'),
      kafkaBrokers: stack().kafkaBrokers,
      clientId: 'cdc-health-test',
      deadLetterTopics: [p.settings.deadLetterTopic],
      handledGroup: `${p.prefix}-dead-letters-handled`,
      heartbeatMaxAgeMs: 10_000,
      retainedWalMaxBytes: 1024 ** 3,
      intervalMs: 1_000,
      logger,
    });
    await watcher.start();
    probe = kafkaLagProbe({
      brokers: stack().kafkaBrokers,
      topicPrefix: p.prefix,
      mirrorGroup: p.settings.mirrorGroup,
      recomputeGroup: p.settings.recomputeGroup,
      dirtyTopic: p.settings.dirtyTopic,
    });
    q = await startQuery({ lagProbe: probe, cdc: watcher });
    t = await q.tenant();
    const registry = createMetricsRegistry('projector');
    registerCdcMetrics(registry, watcher);
    projectorApp = await buildApp({
      logger,
      metrics: registry,
      readiness: { pipeline: projector.ready, cdc: watcher.ready },
    });
    const res = await fetch(`${stack().connectUrl}/connectors/${p.connector}/config`);
    connectorConfig = (await res.json()) as Record<string, string>;
  });
  afterAll(async () => {
    await projectorApp?.close();
    await q?.close();
    await probe?.close();
    await watcher?.stop();
    await p?.close();
  });

  const freshness = async () => {
    const res = await q.app.inject({ url: '/v1/freshness', headers: t.auth() });
    expect(res.statusCode).toBe(200);
    return res.json() as { caughtUp: boolean; lagMs: number | null; reasons: string[] };
  };
  const caughtUp = (what: string, timeoutMs = 90_000) =>
    waitFor(async () => (await freshness()).caughtUp, { timeoutMs, intervalMs: 250, what });

  it('a failed task: caughtUp false with task_failed within 30 s and /readyz 503; both recover', async () => {
    await caughtUp('the pipeline to catch up before the failure');
    expect((await projectorApp.inject('/readyz')).statusCode).toBe(200);

    const failedAt = Date.now();
    await withAdmin(p.ingest.db.name, (c) =>
      c.query(
        "INSERT INTO tenant (id, code, name) VALUES (gen_random_uuid(), 'oversized', repeat('x', $1))",
        [4 * MAX_REQUEST_BYTES],
      ),
    );
    const stale = await waitFor(
      async () => {
        const f = await freshness();
        return f.reasons.includes('task_failed') ? f : undefined;
      },
      { timeoutMs: FLIP_LIMIT_MS, intervalMs: 100, what: 'freshness to report task_failed' },
    );
    const flipMs = Date.now() - failedAt;
    console.info(`freshness flipped to caughtUp:false (${stale.reasons.join(', ')}) in ${flipMs} ms`);
    expect(flipMs).toBeLessThan(FLIP_LIMIT_MS);
    expect(stale.caughtUp).toBe(false);

    const ready = await projectorApp.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.cdc).toBe('unhealthy');
    expect(ready.json().reasons.cdc).toContain('task_failed');
    const connector = watcher.latest()?.connector;
    expect(connector?.kind === 'status' && connector.tasks[0]?.error).toMatch(/RecordTooLarge|too large/i);
    await waitFor(async () => (await freshness()).reasons.includes('slot_inactive'), {
      timeoutMs: 15_000,
      what: 'the slot to be reported inactive',
    });
    const metrics = (await q.app.inject('/metrics')).body;
    expect(metrics).toMatch(/takt_cdc_connector_up\{[^}]*\} 0/);
    expect(metrics).toMatch(/takt_cdc_task_state\{[^}]*task="0"[^}]*state="FAILED"[^}]*\} 1/);
    expect(metrics).toMatch(/takt_cdc_unhealthy_reason\{[^}]*reason="task_failed"[^}]*\} 1/);
    expect(metrics).toMatch(/takt_cdc_slot_retained_wal_bytes\{[^}]*\} \d+/);
    expect(metrics).toMatch(/takt_cdc_heartbeat_age_seconds\{[^}]*\} [\d.e+-]+/);

    // What an operator does: fix the cause, then restart the failed task.
    const { 'producer.override.max.request.size': _, ...fixed } = connectorConfig;
    expect(await connect('PUT', `/connectors/${p.connector}/config`, fixed)).toBeLessThan(300);
    expect(
      await connect('POST', `/connectors/${p.connector}/restart?includeTasks=true&onlyFailed=true`),
    ).toBeLessThan(300);
    const restartedAt = Date.now();
    await caughtUp('freshness to recover after the restart', 60_000);
    const recoveryMs = Date.now() - restartedAt;
    console.info(`freshness back to caughtUp:true ${recoveryMs} ms after the task restart`);
    expect(recoveryMs).toBeLessThan(FLIP_LIMIT_MS);
    await waitFor(async () => (await projectorApp.inject('/readyz')).statusCode === 200, {
      timeoutMs: 10_000,
      what: '/readyz to recover',
    });
  });

  it('a paused connector: connector_not_running within 30 s, then caught up again on resume', async () => {
    await caughtUp('the pipeline to be caught up');
    const pausedAt = Date.now();
    expect(await connect('PUT', `/connectors/${p.connector}/pause`)).toBeLessThan(300);
    const stale = await waitFor(
      async () => {
        const f = await freshness();
        return f.reasons.includes('connector_not_running') ? f : undefined;
      },
      { timeoutMs: FLIP_LIMIT_MS, intervalMs: 100, what: 'freshness to report the pause' },
    );
    console.info(`pause seen as ${stale.reasons.join(', ')} in ${Date.now() - pausedAt} ms`);
    expect((await projectorApp.inject('/readyz')).statusCode).toBe(503);
    expect(await connect('PUT', `/connectors/${p.connector}/resume`)).toBeLessThan(300);
    await caughtUp('freshness to recover after the resume', 60_000);
    expect((await projectorApp.inject('/readyz')).statusCode).toBe(200);
  });

  it('an undecodable message goes to the dead-letter topic; freshness waits until it is marked handled', async () => {
    await caughtUp('the pipeline to be caught up');
    const topic = `${p.prefix}.public.fact_production`;
    const producer = p.kafka.producer();
    await producer.connect();
    const [sent] = await producer.send({
      topic,
      messages: [{ key: '{"id":"00000000-0000-0000-0000-000000000001"}', value: '{"not": "an envelope"' }],
    });
    await producer.disconnect();

    const dlq = p.settings.deadLetterTopic;
    const dead = await readOne(p, dlq);
    expect(dead.key?.toString()).toBe('{"id":"00000000-0000-0000-0000-000000000001"}');
    expect(dead.value?.toString()).toBe('{"not": "an envelope"');
    expect(dead.headers).toEqual({
      'takt-source-topic': topic,
      'takt-source-partition': String(sent?.partition),
      'takt-source-offset': sent?.baseOffset,
      'takt-reason': 'value is not JSON',
      'takt-consumer': 'projector-mirror',
    });
    const stale = await waitFor(
      async () => {
        const f = await freshness();
        return f.reasons.includes('dead_letters') ? f : undefined;
      },
      { timeoutMs: 15_000, what: 'freshness to report the dead letter' },
    );
    expect(stale.reasons).toEqual(['dead_letters']);
    // A dead letter is an operator's to-do, not an outage of the projector.
    expect((await projectorApp.inject('/readyz')).statusCode).toBe(200);
    expect((await q.app.inject('/metrics')).body).toMatch(
      new RegExp(`takt_cdc_dead_letters_unhandled\\{[^}]*topic="${dlq.replaceAll('.', '\\.')}"[^}]*\\} 1`),
    );

    // What an operator does (`cli dead-letters --mark-handled`): read them, then mark them handled.
    const group = `${p.prefix}-dead-letters-handled`;
    expect(await unhandledDeadLetters(p.kafka, dlq, group)).toEqual([
      {
        partition: 0,
        offset: '0',
        key: '{"id":"00000000-0000-0000-0000-000000000001"}',
        origin: {
          topic,
          partition: sent?.partition,
          offset: sent?.baseOffset,
          reason: 'value is not JSON',
          consumer: 'projector-mirror',
        },
      },
    ]);
    await markDeadLettersHandled(p.kafka, dlq, group);
    expect(await unhandledDeadLetters(p.kafka, dlq, group)).toEqual([]);
    await caughtUp('freshness to be caught up once the dead letter is handled', 15_000);
  });
});

interface Read {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

async function readOne(p: Pipeline, topic: string): Promise<Read> {
  const consumer = p.kafka.consumer({ groupId: `${p.prefix}-dlq-reader-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let got: Read | undefined;
  await consumer.run({
    eachMessage: async ({ message }) => {
      got ??= {
        key: message.key,
        value: message.value,
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
      };
    },
  });
  try {
    return await waitFor(() => got, { timeoutMs: 30_000, what: `a message on ${topic}` });
  } finally {
    await consumer.disconnect();
  }
}
