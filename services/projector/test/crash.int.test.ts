import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { waitFor } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../ingest/test/harness.js';
import { expectedBuckets } from './expected.js';
import { type Pipeline, send, startPipeline, storedBuckets } from './harness.js';
import { DAY, factSteps, seedMasterData } from './scenario.js';

const WHOLE = { start: DAY - 2 * 86_400_000, end: DAY + 2 * 86_400_000 };
const PREVIOUS = DAY - 86_400_000;

function spawnProjector(p: Pipeline, port: number): ChildProcess {
  // node itself, not the tsx wrapper: SIGKILL must hit the process that consumes, not a parent of it.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...process.env, ...p.env({ PORT: String(port) }) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

// A projector killed with SIGKILL in the middle of a stream, then restarted, ends with exactly the
// buckets an uninterrupted run gives: offsets are committed only after the writes they cover.
describe('projector: SIGKILL mid-stream', () => {
  let p: Pipeline;
  let t: TestTenant;
  let child: ChildProcess | undefined;
  const port = 40_000 + Math.floor(Math.random() * 20_000);

  beforeAll(async () => {
    p = await startPipeline();
    t = await p.ingest.tenant();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child?.once('exit', r));
    }
    await p?.close();
  });

  it('restarts into identical buckets', async () => {
    child = spawnProjector(p, port);
    await waitFor(() => healthy(port), { timeoutMs: 30_000, what: 'the projector to be ready' });
    await seedMasterData(p.ingest, t);
    await send(p.ingest, t, 'POST', '/v1/shifts', {
      batchId: randomUUID(),
      records: [
        {
          id: randomUUID(),
          lineCode: 'L1',
          name: 'Day',
          start: new Date(PREVIOUS).toISOString(),
          end: new Date(DAY).toISOString(),
        },
      ],
    });
    // A burst of one-minute production records keeps the projector busy when it is killed.
    const bulk = async (code: string, from: number, count: number) => {
      const records = Array.from({ length: count }, (_, k) => ({
        equipmentCode: code,
        productCode: k % 2 === 0 ? 'bracket' : 'hinge',
        start: new Date(from + k * 60_000).toISOString(),
        end: new Date(from + (k + 1) * 60_000).toISOString(),
        total: 2 + (k % 3),
        good: 2,
      }));
      await send(p.ingest, t, 'POST', '/v1/production-counts', { batchId: randomUUID(), records });
    };
    const steps = factSteps(p.ingest, t);
    const half = Math.floor(steps.length / 2);
    for (const step of steps.slice(0, half)) await step();
    await bulk('press-01', PREVIOUS, 700);
    await bulk('press-02', PREVIOUS, 700);
    await waitFor(async () => (await storedBuckets(p.ch, t.id)).length > 0, {
      timeoutMs: 30_000,
      what: 'the first buckets',
    });
    const more = bulk('press-01', PREVIOUS + 700 * 60_000, 700).then(() =>
      bulk('press-02', PREVIOUS + 700 * 60_000, 700),
    );
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    await more;
    for (const step of steps.slice(half)) await step();

    child = spawnProjector(p, port);
    let last: unknown;
    const expected = await expectedBuckets(p.ingest, t.id, WHOLE, Date.now());
    await waitFor(
      async () => {
        const stored = await storedBuckets(p.ch, t.id);
        last = stored;
        return JSON.stringify(stored) === JSON.stringify(expected);
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'buckets after the restart to equal the domain' },
    ).catch(() => undefined);
    expect(last).toEqual(expected);
    expect(expected.length).toBeGreaterThan(100);
  });
});
