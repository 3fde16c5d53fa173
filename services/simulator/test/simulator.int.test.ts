import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type IngestHarness, startIngest, type TestTenant } from '@takt/ingest/test/harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBatches } from '../src/batches.js';
import { Simulator } from '../src/model.js';
import { buildPlant } from '../src/plant.js';
import { DAY, HOUR } from '../src/time.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

let h: IngestHarness;
let t: TestTenant;
let url: string;

beforeAll(async () => {
  h = await startIngest();
  t = await h.tenant();
  // Real HTTP: the simulator's client, retries and all, against the real ingest app on a random port.
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
});
afterAll(() => h?.close());

interface Summary {
  generated: Record<string, number>;
  posted: Record<string, number>;
  batches: { created: number; replayed: number };
  retries: number;
}

function simulate(
  args: string[],
  opts: { tenant?: TestTenant; started?: (stop: () => void) => void } = {},
): Promise<{ code: number | null; summary: Summary | undefined; stderr: string }> {
  const tenant = opts.tenant ?? t;
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'node_modules/.bin/tsx'), ['src/cli.ts', ...args], {
      cwd: root,
      env: {
        ...process.env,
        TAKT_INGEST_URL: url,
        TAKT_ADMIN_KEY: tenant.keys.admin,
        TAKT_INGEST_KEY: tenant.keys.ingest,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    opts.started?.(() => child.kill('SIGINT'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, summary: stdout ? (JSON.parse(stdout) as Summary) : undefined, stderr });
    });
  });
}

const counts = async () => {
  const tables = {
    shifts: 'fact_shift',
    states: 'fact_equipment_state',
    production: 'fact_production',
    maintenance: 'fact_maintenance',
    sensors: 'fact_sensor_reading',
    batches: 'ingest_batch',
  };
  const out: Record<string, number> = {};
  for (const [kind, table] of Object.entries(tables)) {
    const [row] = await h.sql<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = $1`, [
      t.id,
    ]);
    out[kind] = Number(row?.n);
  }
  return out;
};

// The last weekday morning before today: inside the sensor table's daily partitions, and both
// the Berlin and the Kolkata line are in a shift.
function recentWeekday(): number {
  let day = Math.floor(Date.now() / DAY) * DAY - DAY;
  while ([0, 6].includes(new Date(day).getUTCDay())) day -= DAY;
  return day + 3 * HOUR;
}

describe('simulator against the ingest service', () => {
  it('posts a small plant, re-posts it as replays only, and stores exactly what it generated', async () => {
    const from = recentWeekday();
    const to = from + 6 * HOUR;
    const args = [
      '--machines=3',
      '--lines=2',
      '--seed=int',
      `--from=${new Date(from).toISOString()}`,
      `--to=${new Date(to).toISOString()}`,
      '--chunk=1h',
      '--quiet',
    ];

    const first = await simulate(args);
    expect(first.code, first.stderr).toBe(0);
    if (!first.summary) throw new Error('no summary');
    expect(first.summary.batches.replayed).toBe(0);
    expect(first.summary.batches.created).toBeGreaterThan(10);
    expect(first.summary.posted).toEqual(first.summary.generated);
    const after = await counts();

    // What the generator says, chunk by chunk as the run did it: the expected rows and batches.
    const sim = new Simulator({
      plant: buildPlant({ machines: 3, lines: 2, seed: 'int' }),
      seed: 'int',
      sensorIntervalMs: 10_000,
    });
    const ids = {
      shifts: new Set<string>(),
      states: new Set<string>(),
      production: new Set<string>(),
      maintenance: new Set<string>(),
    };
    let sensors = 0;
    let batches = 0;
    for (let c = from; c < to; c += HOUR) {
      const facts = sim.generate({ from: c, to: c + HOUR, asOf: to, carryIn: c === from ? 'all' : 'none' });
      for (const k of ['shifts', 'states', 'production', 'maintenance'] as const)
        for (const r of facts[k]) ids[k].add(r.id);
      sensors += facts.sensors.length;
      batches += toBatches(facts, { seed: 'int', chunk: `${c}-${c + HOUR}-${to}`, lanes: 4 }).length;
    }
    expect(after).toEqual({
      shifts: ids.shifts.size,
      states: ids.states.size,
      production: ids.production.size,
      maintenance: ids.maintenance.size,
      sensors,
      batches,
    });
    expect(first.summary.batches.created).toBe(batches);
    expect(after.states).toBeGreaterThan(20);
    expect(after.production).toBeGreaterThan(20);
    expect(sensors).toBe(3 * 3 * 2160);
    const [open] = await h.sql<{ n: string }>(
      'SELECT count(*) AS n FROM fact_equipment_state WHERE tenant_id = $1 AND end_at IS NULL',
      [t.id],
    );
    expect(Number(open?.n)).toBe(3);

    const second = await simulate(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.summary?.batches).toEqual({ created: 0, replayed: batches });
    expect(await counts()).toEqual(after);
  });

  it('catches up paced by --speed, follows the wall clock, and stops cleanly on SIGINT', async () => {
    const live = await h.tenant();
    let stop = () => {};
    const args = [
      '--machines=2',
      '--lines=2',
      '--seed=live',
      '--from=-20m',
      '--live',
      '--speed=300',
      '--tick=1s',
      '--quiet',
    ];
    const running = simulate(args, {
      tenant: live,
      started: (s) => {
        stop = s;
      },
    });
    // Caught up once a reading of the last few seconds is stored; the deadline keeps a hang visible.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [row] = await h.sql<{ n: string }>(
        "SELECT count(*) AS n FROM fact_sensor_reading WHERE tenant_id = $1 AND ts > now() - interval '15 seconds'",
        [live.id],
      );
      if (Number(row?.n) > 0) break;
      if (Date.now() > deadline) throw new Error('the live run never caught up with the wall clock');
      await new Promise((r) => setTimeout(r, 500));
    }
    stop();
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(run.summary?.batches.replayed).toBe(0);
    const [states] = await h.sql<{ n: string }>(
      'SELECT count(DISTINCT equipment_id) AS n FROM fact_equipment_state WHERE tenant_id = $1',
      [live.id],
    );
    expect(Number(states?.n)).toBe(2);
  });

  it('stops with exit 1 and the problem when the service rejects a request', async () => {
    const run = await simulate(['--machines=1', '--lines=1', '--from=-1h', '--admin-key=nope', '--quiet']);
    expect(run.code).toBe(1);
    expect(run.summary).toBeUndefined();
    expect(run.stderr).toContain('answered 401');
  });
});
