/**
 * Projector benchmark on the real local stack (`pnpm bench:projector`).
 *
 * 1. Throughput: a backlog of real CDC events (production counts, states and sensor readings posted
 *    through the ingest API, carried by a private Debezium connector) is applied by a projector process
 *    started afterwards; events/s = backlog / time from the first to the last applied event.
 * 2. Freshness: with the projector live and a background load running, probes post one production
 *    record each and time the ingest API's 201 until `oee_bucket_v1` shows it; p50 and p99.
 *
 * BENCH_EVENTS (default 200000) sizes the backlog, BENCH_PROBES (default 120) the probes,
 * BENCH_DEBEZIUM_POLL_MS sets the connector's poll.interval.ms (default: Debezium's 500).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { inList, sql } from '@takt/clickhouse';
import { waitFor } from '@takt/testing';
import type { TestTenant } from '../../ingest/test/harness.js';
import { type Pipeline, send, startPipeline } from '../test/harness.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const PROBES = Number(process.env.BENCH_PROBES ?? 120);
const EQUIPMENT = 20;
const DAY = Date.parse('2026-11-28T00:00:00Z');
const PORT = 40_000 + Math.floor(Math.random() * 20_000);

const iso = (ms: number) => new Date(ms).toISOString();
const log = (msg: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);

/** Sum of a metric's samples whose labels include all of `labels`, from the projector's /metrics. */
async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

function spawnProjector(p: Pipeline): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: {
      ...process.env,
      ...p.env({
        PORT: String(PORT),
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
        PROJECTOR_PARTITIONS_CONCURRENTLY: '8',
      }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Its log lines go to stderr, so stdout carries only the result.
  child.stdout?.pipe(process.stderr);
  return child;
}

async function endOffsets(p: Pipeline): Promise<number> {
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    let n = 0;
    for (const table of ['fact_production', 'fact_equipment_state', 'fact_sensor_reading', 'fact_shift']) {
      for (const o of await admin.fetchTopicOffsets(`${p.prefix}.public.${table}`)) n += Number(o.high);
    }
    return n;
  } finally {
    await admin.disconnect();
  }
}

async function seed(p: Pipeline, t: TestTenant): Promise<void> {
  const h = p.ingest;
  await send(h, t, 'PUT', '/v1/sites/s1', { name: 'Site', timeZone: 'UTC' });
  for (const l of ['L1', 'L2']) await send(h, t, 'PUT', `/v1/lines/${l}`, { name: l, siteCode: 's1' });
  for (let e = 0; e < EQUIPMENT; e++)
    await send(h, t, 'PUT', `/v1/equipment/eq-${e}`, {
      name: `Eq ${e}`,
      lineCode: e % 2 === 0 ? 'L1' : 'L2',
    });
  await send(h, t, 'PUT', '/v1/equipment/probe', { name: 'Probe', lineCode: 'L1' });
  await send(h, t, 'PUT', '/v1/products/p1', { name: 'P1', idealCycleTimeS: 20 });
  const shifts = [];
  for (let d = 0; d < 4; d++)
    for (const l of ['L1', 'L2'])
      shifts.push({
        id: randomUUID(),
        lineCode: l,
        name: 'Day',
        start: iso(DAY + d * 86_400_000),
        end: iso(DAY + (d + 1) * 86_400_000),
      });
  await send(h, t, 'POST', '/v1/shifts', { batchId: randomUUID(), records: shifts });
}

/** About `events` CDC events: mostly production counts, one state per ten, and sensor readings. */
async function backlog(p: Pipeline, t: TestTenant, events: number): Promise<void> {
  const h = p.ingest;
  const perEquipment = Math.ceil(events / 2 / EQUIPMENT);
  let posted = 0;
  for (let e = 0; e < EQUIPMENT; e++) {
    for (let k = 0; k < perEquipment; k += 1000) {
      const n = Math.min(1000, perEquipment - k);
      const records = Array.from({ length: n }, (_, i) => ({
        equipmentCode: `eq-${e}`,
        productCode: 'p1',
        start: iso(DAY + (k + i) * 10_000),
        end: iso(DAY + (k + i + 1) * 10_000),
        total: 1 + (i % 3),
        good: 1,
      }));
      await send(h, t, 'POST', '/v1/production-counts', { batchId: randomUUID(), records });
      posted += n;
    }
    const states = Array.from({ length: Math.ceil(perEquipment / 10) }, (_, i) => ({
      id: randomUUID(),
      equipmentCode: `eq-${e}`,
      state: i % 3 === 2 ? 'stopped' : 'running',
      start: iso(DAY + i * 100_000),
      end: iso(DAY + (i + 1) * 100_000),
    }));
    for (let k = 0; k < states.length; k += 1000)
      await send(h, t, 'POST', '/v1/state-events', {
        batchId: randomUUID(),
        records: states.slice(k, k + 1000),
      });
    posted += states.length;
  }
  const now = Date.now() - 3_600_000;
  while (posted < events) {
    const n = Math.min(10_000, events - posted);
    const records = Array.from({ length: n }, (_, i) => ({
      equipmentCode: `eq-${i % EQUIPMENT}`,
      tag: `t${i % 7}`,
      ts: iso(now + posted + i),
      value: i % 100,
    }));
    await send(h, t, 'POST', '/v1/sensor-batches', { batchId: randomUUID(), records });
    posted += n;
  }
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  log('starting a private pipeline (Postgres clone, connector, topics, ClickHouse database)');
  // The connector runs with infra/connect/takt-postgres.json; BENCH_DEBEZIUM_POLL_MS overrides
  // Debezium's poll.interval.ms (500 ms by default), most of the way from the WAL to Kafka.
  const poll = process.env.BENCH_DEBEZIUM_POLL_MS;
  const p = await startPipeline({
    cdcPartitions: 4,
    dirtyPartitions: 4,
    ...(poll === undefined ? {} : { connector: { 'poll.interval.ms': poll } }),
  });
  let child: ChildProcess | undefined;
  try {
    const t = await p.ingest.tenant();
    await seed(p, t);
    log(`posting a backlog of ~${EVENTS} events through the ingest API`);
    const posting = Date.now();
    await backlog(p, t, EVENTS);
    log(`posted in ${((Date.now() - posting) / 1000).toFixed(1)} s; waiting for Debezium to publish them`);
    let stable = -1;
    await waitFor(
      async () => {
        const n = await endOffsets(p);
        const done = n === stable && n >= EVENTS;
        stable = n;
        return done;
      },
      { timeoutMs: 600_000, intervalMs: 2_000, what: 'the backlog in Kafka' },
    );
    const total = await endOffsets(p);
    log(`${total} fact events in Kafka; starting the projector`);

    child = spawnProjector(p);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${PORT}/healthz`)).ok, {
      timeoutMs: 60_000,
    }).catch(() => undefined);
    let first: number | undefined;
    let last = 0;
    let lastCount = 0;
    await waitFor(
      async () => {
        const n = await metric('takt_projector_events_applied_total').catch(() => 0);
        if (n > 0 && first === undefined) first = Date.now();
        if (n > lastCount) {
          last = Date.now();
          lastCount = n;
        }
        return n >= total;
      },
      { timeoutMs: 600_000, intervalMs: 250, what: 'the projector to apply the backlog' },
    );
    const seconds = (last - (first ?? last)) / 1000;
    const throughput = Math.round(lastCount / Math.max(seconds, 0.001));
    log(`applied ${lastCount} events in ${seconds.toFixed(1)} s: ${throughput} events/s`);
    await waitFor(async () => (await metric('takt_projector_consumer_lag', { stage: 'recompute' })) === 0, {
      timeoutMs: 300_000,
      intervalMs: 500,
      what: 'the recompute stage to drain',
    }).catch(() => undefined);

    log(`freshness: ${PROBES} probes under a background load`);
    let loading = true;
    const load = (async () => {
      let k = 0;
      while (loading) {
        const records = Array.from({ length: 200 }, (_, i) => ({
          equipmentCode: `eq-${(k + i) % EQUIPMENT}`,
          productCode: 'p1',
          start: iso(DAY + 86_400_000 + (k * 200 + i) * 1_000),
          end: iso(DAY + 86_400_000 + (k * 200 + i + 1) * 1_000),
          total: 1,
          good: 1,
        }));
        await send(p.ingest, t, 'POST', '/v1/production-counts', { batchId: randomUUID(), records });
        k++;
      }
      return k * 200;
    })();
    const latencies: number[] = [];
    const mirrorLatencies: number[] = [];
    const probeStart = Date.now();
    const [probeRow] = await p.ingest.sql<{ id: string }>(
      `SELECT id FROM dim_equipment WHERE tenant_id = $1 AND code = 'probe'`,
      [t.id],
    );
    const probeId = probeRow!.id;
    // One poller for every pending probe: polling per probe would load ClickHouse more than the pipeline.
    const pending = new Map<number, { created: number; mirrored: boolean; done: () => void }>();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const buckets = [...pending.keys()];
        if (buckets.length > 0) {
          const [mirrored, visible] = await Promise.all([
            p.ch.query<{ e: string }>(
              sql`SELECT DISTINCT end_ms - 60000 AS e FROM fact_production_v1
                   WHERE tenant_id = ${t.id} AND equipment_id = ${probeId} AND end_ms IN ${inList(buckets.map((b) => b + 60_000))}`,
            ),
            p.ch.query<{ b: string }>(
              sql`SELECT toUInt32(bucket_start) * 1000 AS b FROM oee_bucket_v1 FINAL
                   WHERE tenant_id = ${t.id} AND equipment_id = ${probeId} AND is_deleted = 0 AND pq = 7
                     AND bucket_start IN ${inList(buckets.map((b) => sql`toDateTime(${b / 1000}, 'UTC')`))}`,
            ),
          ]);
          const now = Date.now();
          for (const r of mirrored) {
            const probe = pending.get(Number(r.e));
            if (probe && !probe.mirrored) {
              probe.mirrored = true;
              mirrorLatencies.push(now - probe.created);
            }
          }
          for (const r of visible) {
            const probe = pending.get(Number(r.b));
            if (!probe) continue;
            latencies.push(now - probe.created);
            pending.delete(Number(r.b));
            probe.done();
          }
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const probe = async (k: number) => {
      const bucket = DAY + 2 * 86_400_000 + k * 900_000;
      await send(p.ingest, t, 'POST', '/v1/production-counts', {
        batchId: randomUUID(),
        records: [
          {
            equipmentCode: 'probe',
            productCode: 'p1',
            start: iso(bucket),
            end: iso(bucket + 60_000),
            total: 7,
            good: 7,
          },
        ],
      });
      // The clock starts at the 201.
      await new Promise<void>((done) => pending.set(bucket, { created: Date.now(), mirrored: false, done }));
    };
    const inflight: Promise<void>[] = [];
    for (let k = 0; k < PROBES; k++) {
      inflight.push(probe(k));
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(inflight);
    polling = false;
    await poller;
    loading = false;
    const loadRecords = await load;
    const sorted = [...latencies].sort((a, b) => a - b);
    const batchMs = async (stage: string) =>
      Math.round(
        ((await metric('takt_projector_batch_duration_seconds_sum', { stage })) /
          Math.max(1, await metric('takt_projector_batch_duration_seconds_count', { stage }))) *
          1000,
      );
    const meanBatchMs = { mirror: await batchMs('mirror'), recompute: await batchMs('recompute') };
    const loadRate = Math.round(loadRecords / ((Date.now() - probeStart) / 1000));
    const result = {
      backlogEvents: lastCount,
      throughputEventsPerSecond: throughput,
      freshnessMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) },
      mirrorFreshnessMs: (() => {
        const m = [...mirrorLatencies].sort((a, b) => a - b);
        return { p50: percentile(m, 0.5), p99: percentile(m, 0.99) };
      })(),
      meanBatchMs,
      backgroundLoadRecordsPerSecond: loadRate,
      debeziumPollIntervalMs: Number(poll ?? 500),
      probes: sorted.length,
      targets: { throughputEventsPerSecond: 20_000, p50Ms: 1_000, p99Ms: 3_000 },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child?.once('exit', r));
    }
    await p.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
