/**
 * `pnpm bench:query`: the query service under load against a ClickHouse database of its own holding a year
 * of 15-minute component rows for 100 machines (10 lines of 10, one Berlin site), inserted directly.
 * The service runs as its own process (as in production); autocannon drives it with 100 connections.
 * Each scenario runs twice: with the short answer cache off (every request reads ClickHouse) and on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createClient } from '@clickhouse/client';
import { generateApiKey } from '@takt/http';
import { stack } from '@takt/testing';
import autocannon from 'autocannon';
import { CONTRACT_DDL } from '../test/ddl.js';

const DATABASE = process.env.BENCH_DATABASE ?? 'takt_bench_query';
const PORT = Number(process.env.BENCH_PORT ?? 3902);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 100;
const MACHINES = 100;
const YEAR_START = Date.UTC(2025, 0, 1) / 1000;
const BUCKETS = 365 * 96;
const TENANT = '00000000-0000-4000-8000-000000000001';

const s = stack();
const admin = createClient({
  url: s.clickhouseUrl,
  username: s.clickhouseUser,
  password: s.clickhousePassword,
});

async function seed(): Promise<string> {
  const key = generateApiKey();
  const exists = await (
    await admin.query({
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
      await admin.query({
        query: `SELECT count() AS n FROM ${DATABASE}.oee_bucket_v1`,
        format: 'JSONEachRow',
      })
    ).json<{ n: string }>();
    rows = Number(counted[0]?.n ?? 0);
  }
  if (rows !== expected) {
    console.log(`seeding ${DATABASE}: ${expected.toLocaleString('en')} component rows …`);
    const started = Date.now();
    await admin.command({ query: `DROP DATABASE IF EXISTS ${DATABASE}` });
    await admin.command({ query: `CREATE DATABASE ${DATABASE}` });
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
  await admin.insert({
    table: `${DATABASE}.api_key_v1`,
    values: [
      {
        tenant_id: TENANT,
        id: key.id,
        key_hash: key.hash,
        scopes: ['read'],
        revoked_at_ms: 0,
        lsn: 1,
        is_deleted: 0,
      },
    ],
    format: 'JSONEachRow',
  });
  return key.key;
}

async function startService(resultCacheTtlMs: number): Promise<ChildProcess> {
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
      RESULT_CACHE_TTL_MS: String(resultCacheTtlMs),
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

async function run(scenario: Scenario, key: string, distinct: number) {
  let k = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${PORT}`,
    connections: CONNECTIONS,
    duration: DURATION_S,
    headers: { authorization: `Bearer ${key}` },
    requests: [{ setupRequest: (req) => ({ ...req, path: scenario.path(k++ % distinct) }) }],
  });
  return result;
}

async function main(): Promise<void> {
  const key = await seed();
  const rows: string[] = [];
  for (const cacheTtl of [0, 1_000]) {
    const service = await startService(cacheTtl);
    try {
      for (const scenario of SCENARIOS) {
        // Warm-up: JIT, connection pools, ClickHouse marks cache.
        // Uncached: 3,000 distinct requests, every one reads ClickHouse. Cached: a plant dashboard, 100 views.
        const distinct = cacheTtl === 0 ? 3_000 : 100;
        await run(scenario, key, distinct).catch(() => undefined);
        const r = await run(scenario, key, distinct);
        const line = `${scenario.name.padEnd(24)} cache ${cacheTtl === 0 ? 'off, 3000 distinct ' : `${cacheTtl} ms, 100 distinct`}  ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${String(r.latency.p50).padStart(4)} ms  p99 ${String(r.latency.p99).padStart(4)} ms  non-2xx ${r.non2xx}  errors ${r.errors}`;
        console.log(line);
        rows.push(line);
      }
    } finally {
      await stopService(service);
    }
  }
  await admin.close();
  console.log(
    `\n${CONNECTIONS} connections, ${DURATION_S} s per run, requests cycled over the distinct set\n${rows.join('\n')}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
