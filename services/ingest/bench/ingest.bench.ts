/**
 * Sensor ingest throughput through HTTP against the raw COPY rate into the same table.
 * Not part of the test suite: `pnpm bench:ingest` prints the figures.
 *
 * The server runs as its own process (as in production), the load generator here; both share
 * the machine's cores, so the HTTP figure is what one box does end to end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { generateKeyringSpec } from '@takt/crypto';
import { ensureMigratedTemplate } from '@takt/db';
import { generateApiKey } from '@takt/http';
import { createTestDatabase, fetchRetryingLater, pgUrl, waitFor } from '@takt/testing';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const PORT = Number(process.env.BENCH_PORT ?? 3911);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const EQUIPMENT = 10;
const TAGS = ['temperature', 'spindle_speed', 'power'];
const base = `http://127.0.0.1:${PORT}`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const template = await ensureMigratedTemplate({ adminUrl: pgUrl('postgres') });
  const db = await createTestDatabase({ prefix: 'takt_bench', template: template.name });
  const admin = new pg.Client({ connectionString: db.adminUrl });
  await admin.connect();
  let server: ChildProcess | undefined;
  try {
    const tenantId = randomUUID();
    const key = generateApiKey();
    await admin.query("INSERT INTO tenant (id, code, name) VALUES ($1, 'bench', 'Bench')", [tenantId]);
    await admin.query(
      "INSERT INTO api_key (id, tenant_id, name, key_hash, scopes) VALUES ($1, $2, 'bench', $3, '{admin,ingest}')",
      [key.id, tenantId, key.hash],
    );
    server = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../src/main.ts', import.meta.url))],
      {
        env: {
          ...process.env,
          DATABASE_URL: db.urlFor('takt_app'),
          PORT: String(PORT),
          LOG_LEVEL: 'warn',
          TAKT_PII_KEYS: generateKeyringSpec(['k1']),
          PG_POOL_MAX: '8',
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    await waitFor(async () => (await fetch(`${base}/readyz`)).ok, {
      timeoutMs: 30_000,
      what: 'the ingest server',
    });
    const headers = { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' };
    const put = (path: string, body: unknown) =>
      fetchRetryingLater(`${base}${path}`, { method: 'PUT', headers, body: JSON.stringify(body) });
    await put('/v1/sites/s', { name: 'S', timeZone: 'UTC' });
    await put('/v1/lines/l', { name: 'L', siteCode: 's' });
    for (let e = 0; e < EQUIPMENT; e++) await put(`/v1/equipment/m${e}`, { name: `M${e}`, lineCode: 'l' });

    // Readings land in today's partition, one series per (equipment, tag), 1 ms apart.
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    let seq = 0;
    const body = (size: number) => {
      const records = new Array(size);
      for (let i = 0; i < size; i++) {
        const n = seq++;
        const series = n % (EQUIPMENT * TAGS.length);
        records[i] = {
          equipmentCode: `m${series % EQUIPMENT}`,
          tag: TAGS[Math.floor(series / EQUIPMENT)],
          ts: new Date(day + Math.floor(n / (EQUIPMENT * TAGS.length))).toISOString(),
          value: Math.round(Math.random() * 10_000) / 100,
        };
      }
      return JSON.stringify({ batchId: randomUUID(), records });
    };

    console.log(
      `sensor ingest through HTTP, ${CONCURRENCY} concurrent clients, ${EQUIPMENT} machines x ${TAGS.length} tags`,
    );
    const results: Record<number, number> = {};
    for (const [size, batches] of [
      [1_000, 300],
      [10_000, 40],
    ] as const) {
      const bodies = Array.from({ length: batches }, () => body(size));
      const latencies: number[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < bodies.length) {
            const payload = bodies[next++]!;
            const t0 = performance.now();
            const res = await fetchRetryingLater(`${base}/v1/sensor-batches`, {
              method: 'POST',
              headers,
              body: payload,
            });
            if (res.status !== 201) throw new Error(`batch failed: ${res.status} ${await res.text()}`);
            await res.arrayBuffer();
            latencies.push(performance.now() - t0);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      results[size] = (size * batches) / seconds;
      console.log(
        `  batch ${String(size).padStart(6)}: ${Math.round(results[size]).toLocaleString('en')} readings/s` +
          `  p50 ${percentile(latencies, 50).toFixed(1)} ms  p99 ${percentile(latencies, 99).toFixed(1)} ms` +
          `  (${batches} batches, ${seconds.toFixed(1)} s)`,
      );
    }

    // Raw COPY as the superuser (COPY is refused under forced RLS for the services' role).
    const rows = 200_000;
    const batchId = randomUUID();
    const { rows: eq } = await admin.query<{ id: string }>('SELECT id FROM dim_equipment ORDER BY code');
    function* csv() {
      for (let n = 0; n < rows; n++) {
        const series = n % (EQUIPMENT * 3);
        const ts = new Date(day + 43_200_000 + Math.floor(n / (EQUIPMENT * 3))).toISOString();
        yield `${tenantId},${eq[series % EQUIPMENT]!.id},copy_${Math.floor(series / EQUIPMENT)},${ts},${(n % 1000) / 10},good,${batchId}\n`;
      }
    }
    const t0 = performance.now();
    const stream = admin.query(
      copyFrom(
        'COPY fact_sensor_reading (tenant_id, equipment_id, tag, ts, value, quality, batch_id) FROM STDIN WITH (FORMAT csv)',
      ),
    );
    await pipeline(Readable.from(csv()), stream);
    const copyRate = rows / ((performance.now() - t0) / 1000);
    console.log(
      `  raw COPY      : ${Math.round(copyRate).toLocaleString('en')} rows/s (${rows.toLocaleString('en')} rows)`,
    );
    for (const size of [1_000, 10_000]) {
      console.log(`  HTTP/COPY at batch ${size}: ${((100 * results[size]!) / copyRate).toFixed(0)}%`);
    }
  } finally {
    if (server) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
    await admin.end();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
