/**
 * `pnpm bench:query`: the query service under load against a ClickHouse database of its own holding a year
 * of 15-minute component rows for 100 machines (10 lines of 10, one Berlin site), inserted directly.
 * The service runs as its own process (as in production); autocannon drives it with 100 connections.
 * Three configurations, each over both scenarios:
 *  - ClickHouse only: no fragment cache, no answer cache: every request reads ClickHouse;
 *  - fragments: 3,000 distinct windows once each from an empty cache (cold), then again for the
 *    duration (warm), then warm while the projector's topic announces 20 rewritten machine-days a second;
 *  - answers: the 1 s answer cache alone, 100 distinct requests (a plant dashboard).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createClient } from '@clickhouse/client';
import { generateApiKey } from '@takt/http';
import { stack, type TestDatabase, withAdmin } from '@takt/testing';
import autocannon from 'autocannon';
import { Kafka, logLevel } from 'kafkajs';
import { CONTRACT_DDL } from '../test/ddl.js';
import { createKeysDatabase } from '../test/harness.js';

const DATABASE = process.env.BENCH_DATABASE ?? 'takt_bench_query';
const PORT = Number(process.env.BENCH_PORT ?? 3902);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 100;
const MACHINES = 100;
const YEAR_START = Date.UTC(2025, 0, 1) / 1000;
const BUCKETS = 365 * 96;
const TENANT = '00000000-0000-4000-8000-000000000001';
const APPLIED_TOPIC = 'takt.bench.query.applied';
const ANNOUNCEMENTS_PER_S = 20;

const s = stack();
const adminCh = createClient({
  url: s.clickhouseUrl,
  username: s.clickhouseUser,
  password: s.clickhousePassword,
});

async function seed(): Promise<void> {
  const exists = await (
    await adminCh.query({
      query: `SELECT count() AS result FROM system.databases WHERE name = '${DATABASE}'`,
      format: 'JSONEachRow',
    })
  ).json<{
    result: string;
  }>();
  const expected = MACHINES * BUCKETS;
  let rows = 0;
  if (Number(exists[0]?.result) === 1 && process.env.BENCH_RESEED !== '1') {
    const counted = await (
      await adminCh.query({
        query: `SELECT count() AS n FROM ${DATABASE}.oee_bucket_v1`,
        format: 'JSONEachRow',
      })
    ).json<{ n: string }>();
    rows = Number(counted[0]?.n ?? 0);
  }
  if (rows !== expected) {
    console.log(`seeding ${DATABASE}: ${expected.toLocaleString('en')} component rows …`);
    const started = Date.now();
    await adminCh.command({ query: `DROP DATABASE IF EXISTS ${DATABASE}` });
    await adminCh.command({ query: `CREATE DATABASE ${DATABASE}` });
    const db = createClient({
      url: s.clickhouseUrl,
      username: s.clickhouseUser,
      password: s.clickhousePassword,
      database: DATABASE,
    });
    for (const ddl of CONTRACT_DDL) await db.command({ query: ddl });
    await db.insert({
      table: 'dim_site_v1',
      values: [
        {
          tenant_id: TENANT,
          id: 'site',
          code: 'BER',
          name: 'Berlin',
          time_zone: 'Europe/Berlin',
          deleted_at_ms: 0,
          lsn: 1,
          is_deleted: 0,
        },
      ],
      format: 'JSONEachRow',
    });
    await db.insert({
      table: 'dim_line_v1',
      values: Array.from({ length: 10 }, (_, l) => ({
        tenant_id: TENANT,
        id: `l${l}`,
        code: `L${l}`,
        name: `Line ${l}`,
        site_id: 'site',
        deleted_at_ms: 0,
        lsn: 1,
        is_deleted: 0,
      })),
      format: 'JSONEachRow',
    });
    await db.insert({
      table: 'dim_equipment_v1',
      values: Array.from({ length: MACHINES }, (_, e) => ({
        tenant_id: TENANT,
        id: `e${e}`,
        code: `M${e}`,
        name: `Machine ${e}`,
        line_id: `l${Math.floor(e / 10)}`,
        deleted_at_ms: 0,
        lsn: 1,
        is_deleted: 0,
      })),
      format: 'JSONEachRow',
    });
    // Three 8-hour shifts a day around the clock; components vary by bucket so sums are not trivial.
    await db.command({
      query: `INSERT INTO oee_bucket_v1
        SELECT '${TENANT}', concat('e', toString(n % ${MACHINES})), toDateTime(${YEAR_START} + intDiv(n, ${MACHINES}) * 900, 'UTC'),
          concat('s', toString(intDiv(n % ${MACHINES}, 10)), '-', toString(intDiv(intDiv(n, ${MACHINES}), 32))),
          900000, if(n % 11 = 0, 120000, 0), 600000 + (n % 5) * 30000, n % 20, n % 20 - n % 3, n % 3, 0,
          toFloat64((n % 20) * 30000), 1, 0
        FROM (SELECT number AS n FROM numbers(${expected}))`,
      clickhouse_settings: { max_insert_block_size: '1048576' },
    });
    await db.close();
    console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** The bench tenant's read key, in a takt database of its own where the service checks it. */
async function seedKey(keysDb: TestDatabase): Promise<string> {
  const key = generateApiKey();
  await withAdmin(keysDb.name, async (c) => {
    await c.query("INSERT INTO tenant (id, code, name) VALUES ($1, 'bench', 'Bench')", [TENANT]);
    await c.query(
      "INSERT INTO api_key (id, tenant_id, name, key_hash, scopes) VALUES ($1, $2, 'bench', $3, '{read}')",
      [key.id, TENANT, key.hash],
    );
  });
  return key.key;
}

let keysDatabaseUrl = '';

async function startService(env: Record<string, string>): Promise<ChildProcess> {
  const dir = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(`${dir}node_modules/.bin/tsx`, ['src/main.ts'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PORT: String(PORT),
      LOG_LEVEL: 'warn',
      CLICKHOUSE_URL: s.clickhouseUrl,
      CLICKHOUSE_USER: s.clickhouseUser,
      CLICKHOUSE_PASSWORD: s.clickhousePassword,
      CLICKHOUSE_DATABASE: DATABASE,
      FRESHNESS_KAFKA: 'false',
      KAFKA_BROKERS: s.kafkaBrokers.join(','),
      KAFKA_APPLIED_TOPIC: APPLIED_TOPIC,
      API_KEYS_DATABASE_URL: keysDatabaseUrl,
      // autocannon cannot honour Retry-After, and the bench measures capacity, not the limiter
      // or load shedding.
      RATE_LIMIT_PER_IP: '0',
      RATE_LIMIT_PER_KEY: '0',
      PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    },
  });
  for (let k = 0; k < 100; k++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/readyz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  child.kill('SIGTERM');
  throw new Error('the query service did not become ready');
}

async function stopService(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface Scenario {
  name: string;
  path: (k: number) => string;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const DAY_S = 86_400;
const SCENARIOS: Scenario[] = [
  {
    name: 'equipment/day, 30 days',
    // Windows end on local midnights, spread over the year and the 100 machines.
    path: (k) => {
      const end = YEAR_START + (60 + (k % 300)) * DAY_S - 3600;
      return `/v1/oee?scope=equipment&ids=M${k % MACHINES}&granularity=day&from=${iso(end - 30 * DAY_S)}&to=${iso(end)}`;
    },
  },
  {
    name: 'line/hour, 7 days',
    path: (k) => {
      const end = YEAR_START + (60 + (k % 300)) * DAY_S - 3600;
      return `/v1/oee?scope=line&ids=L${k % 10}&granularity=hour&from=${iso(end - 7 * DAY_S)}&to=${iso(end)}`;
    },
  },
];

async function run(scenario: Scenario, key: string, distinct: number, amount?: number) {
  let k = 0;
  return autocannon({
    url: `http://127.0.0.1:${PORT}`,
    connections: CONNECTIONS,
    ...(amount === undefined ? { duration: DURATION_S } : { amount }),
    headers: { authorization: `Bearer ${key}` },
    requests: [{ setupRequest: (req) => ({ ...req, path: scenario.path(k++ % distinct) }) }],
  });
}

async function fragmentCacheLive(): Promise<boolean> {
  const metrics = await (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text();
  return /takt_query_fragment_cache\{[^}]*stat="live"[^}]*\} 1/.test(metrics);
}

/** Rewritten machine-days announced at a steady rate, as a projector applying late corrections would. */
function announcer(kafka: Kafka): { stop(): Promise<number> } {
  const producer = kafka.producer();
  let sent = 0;
  let stopped = false;
  const done = (async () => {
    await producer.connect();
    while (!stopped) {
      const e = Math.floor(Math.random() * MACHINES);
      const day = YEAR_START * 1000 + Math.floor(Math.random() * 365) * DAY_S * 1000;
      await producer.send({
        topic: APPLIED_TOPIC,
        messages: [
          {
            value: JSON.stringify({
              tenantId: TENANT,
              equipmentId: `e${e}`,
              fromMs: day,
              toMs: day + DAY_S * 1000,
            }),
          },
        ],
      });
      sent++;
      await sleep(1000 / ANNOUNCEMENTS_PER_S);
    }
    await producer.disconnect();
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return sent;
    },
  };
}

const line = (label: string, r: autocannon.Result) =>
  `${label.padEnd(58)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${String(r.latency.p50).padStart(4)} ms  p99 ${String(r.latency.p99).padStart(4)} ms  (${r.requests.total} requests, non-2xx ${r.non2xx}, errors ${r.errors})`;

async function main(): Promise<void> {
  await seed();
  const keysDb = await createKeysDatabase();
  keysDatabaseUrl = keysDb.urlFor('takt_app');
  const key = await seedKey(keysDb);
  const kafka = new Kafka({
    clientId: 'takt-bench-query',
    brokers: s.kafkaBrokers,
    logLevel: logLevel.ERROR,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: APPLIED_TOPIC, numPartitions: 4 }] });
  await admin.disconnect();
  const rows: string[] = [];
  const report = (label: string, r: autocannon.Result) => {
    const text = line(label, r);
    console.log(text);
    rows.push(text);
  };

  let service = await startService({ FRAGMENT_CACHE_MAX: '0', RESULT_CACHE_TTL_MS: '0' });
  try {
    for (const scenario of SCENARIOS) {
      // Warm-up: JIT, connection pools, ClickHouse marks cache.
      await run(scenario, key, 3_000).catch(() => undefined);
      report(`${scenario.name}, ClickHouse only, 3000 distinct`, await run(scenario, key, 3_000));
    }
  } finally {
    await stopService(service);
  }

  service = await startService({ RESULT_CACHE_TTL_MS: '0' });
  try {
    for (let k = 0; k < 100 && !(await fragmentCacheLive()); k++) await sleep(200);
    if (!(await fragmentCacheLive())) throw new Error('the fragment cache did not go live (is Kafka up?)');
    for (const scenario of SCENARIOS) {
      report(`${scenario.name}, fragments cold, 3000 distinct once`, await run(scenario, key, 3_000, 3_000));
      report(`${scenario.name}, fragments warm, 3000 distinct`, await run(scenario, key, 3_000));
      const announcing = announcer(kafka);
      const r = await run(scenario, key, 3_000);
      const sent = await announcing.stop();
      report(`${scenario.name}, fragments warm + ${(sent / DURATION_S).toFixed(0)} rewrites/s`, r);
    }
  } finally {
    await stopService(service);
  }

  service = await startService({ FRAGMENT_CACHE_MAX: '0', RESULT_CACHE_TTL_MS: '1000' });
  try {
    for (const scenario of SCENARIOS) {
      await run(scenario, key, 100).catch(() => undefined);
      report(`${scenario.name}, answers cached 1 s, 100 distinct`, await run(scenario, key, 100));
    }
  } finally {
    await stopService(service);
  }
  await admin.connect();
  await admin.deleteTopics({ topics: [APPLIED_TOPIC] }).catch(() => undefined);
  await admin.disconnect();
  await adminCh.close();
  await keysDb.drop();
  console.log(
    `\n${CONNECTIONS} connections, ${DURATION_S} s per timed run; requests cycle over the distinct set\n${rows.join('\n')}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
