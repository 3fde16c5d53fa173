/**
 * Backfills days × machines into a test instance of the ingest service (its own cloned database)
 * and reports the wall time and facts per simulated machine-day.
 *   pnpm --filter @takt/simulator bench -- --machines 20 --days 7
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startIngest } from '@takt/ingest/test/harness.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    machines: { type: 'string', default: '20' },
    lines: { type: 'string', default: '4' },
    days: { type: 'string', default: '7' },
    'sensor-interval': { type: 'string', default: '10s' },
  },
});
const machines = Number(values.machines);
const days = Number(values.days);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const h = await startIngest();
try {
  const t = await h.tenant();
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const to = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const started = performance.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    // A process of its own, as in production: generation must not steal the service's event loop.
    const child = spawn(
      join(root, 'node_modules/.bin/tsx'),
      [
        'src/cli.ts',
        `--machines=${machines}`,
        `--lines=${values.lines}`,
        `--from=${new Date(to - days * 86_400_000).toISOString()}`,
        `--to=${new Date(to).toISOString()}`,
        `--sensor-interval=${values['sensor-interval']}`,
        '--seed=bench',
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          TAKT_INGEST_URL: url,
          TAKT_ADMIN_KEY: t.keys.admin,
          TAKT_INGEST_KEY: t.keys.ingest,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`simulator exited ${code}`))));
  });
  const seconds = (performance.now() - started) / 1000;
  const summary = JSON.parse(stdout) as { posted: Record<string, number> };
  const machineDays = machines * days;
  const total = Object.values(summary.posted).reduce((a, b) => a + b, 0);
  console.log(
    JSON.stringify(
      {
        machines,
        days,
        seconds: Math.round(seconds),
        records: total,
        recordsPerSecond: Math.round(total / seconds),
        perMachineDay: Object.fromEntries(
          Object.entries(summary.posted).map(([k, v]) => [k, Math.round((v / machineDays) * 10) / 10]),
        ),
      },
      null,
      2,
    ),
  );
} finally {
  await h.close();
}
