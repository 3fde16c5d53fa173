import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Batch, batchIdOf, toBatches } from '../src/batches.js';
import {
  backoffMs,
  Dispatcher,
  type FetchLike,
  IngestClient,
  IngestRejected,
  IngestUnavailable,
} from '../src/client.js';
import { Simulator } from '../src/model.js';
import { buildPlant } from '../src/plant.js';
import { shiftsNeverOverlap } from './shifts.js';

const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const batch = (n = 1): Batch => ({
  kind: 'sensors',
  path: '/v1/sensor-batches',
  batchId: '00000000-0000-4000-8000-000000000000',
  records: Array.from({ length: n }, (_, i) => ({ i })),
});

describe('IngestClient', () => {
  it('retries network errors, 5xx and 429 with the same body, then succeeds', async () => {
    const bodies: string[] = [];
    const answers: (() => Response)[] = [
      () => {
        throw new TypeError('fetch failed');
      },
      () => json(503, { type: 'x' }),
      () => json(429, { type: 'y' }, { 'retry-after': '0' }),
      () => json(201, { batchId: 'b', accepted: 1 }),
    ];
    const fetch: FetchLike = async (_url, init) => {
      bodies.push(String(init.body));
      return answers.shift()!();
    };
    const retries: string[] = [];
    const client = new IngestClient({
      baseUrl: 'http://x/',
      ingestKey: 'k',
      retry: fast,
      fetch,
      onRetry: (r) => retries.push(r.reason),
    });
    expect(await client.postBatch(batch())).toEqual({ status: 201, accepted: 1 });
    expect(new Set(bodies).size).toBe(1);
    expect(retries).toEqual(['TypeError: fetch failed', 'HTTP 503', 'HTTP 429']);
  });

  it('waits at least as long as Retry-After says on 429 and 503, in seconds or as a date', async () => {
    const answers = [
      () => json(429, { type: 'y' }, { 'retry-after': '1' }),
      () => json(503, { type: 'x' }, { 'retry-after': new Date(Date.now() + 2_000).toUTCString() }),
      () => json(201, { batchId: 'b', accepted: 1 }),
    ];
    const delays: number[] = [];
    const client = new IngestClient({
      baseUrl: 'http://x',
      ingestKey: 'k',
      retry: fast,
      fetch: async () => answers.shift()!(),
      onRetry: (r) => delays.push(r.delayMs),
    });
    const started = Date.now();
    expect(await client.postBatch(batch())).toEqual({ status: 201, accepted: 1 });
    expect(delays[0]).toBe(1000);
    // HTTP dates have whole seconds: 2 s ahead is between 1 and 2 s away.
    expect(delays[1]).toBeGreaterThan(fast.maxDelayMs);
    expect(delays[1]).toBeLessThanOrEqual(2_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000 + delays[1]! - 10);
  });

  it('never retries a 4xx: it is a bug, reported with the problem', async () => {
    let calls = 0;
    const problem = { type: 'https://takt.dev/problems/validation', errors: [{ pointer: '/records/0/ts' }] };
    const client = new IngestClient({
      baseUrl: 'http://x',
      ingestKey: 'k',
      retry: fast,
      fetch: async () => {
        calls++;
        return json(400, problem);
      },
    });
    const err = await client.postBatch(batch()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestRejected);
    expect((err as IngestRejected).problem).toEqual(problem);
    expect((err as IngestRejected).message).toContain('/records/0/ts');
    expect(calls).toBe(1);
  });

  it('gives up after the last attempt', async () => {
    const client = new IngestClient({
      baseUrl: 'http://x',
      ingestKey: 'k',
      retry: fast,
      fetch: async () => json(502, {}),
    });
    await expect(client.postBatch(batch())).rejects.toBeInstanceOf(IngestUnavailable);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(policy, a, () => 0.999999))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffMs(policy, 3, () => 0)).toBe(0);
  });
});

describe('Dispatcher', () => {
  it('keeps a lane in order, never runs more than the limit, and runs other lanes in parallel', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', undefined), fc.integer({ min: 0, max: 3 })), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 4 }),
        async (jobs, limit) => {
          let active = 0;
          let peak = 0;
          const done: string[] = [];
          const d = new Dispatcher(async (b) => {
            active++;
            peak = Math.max(peak, active);
            await new Promise((r) => setTimeout(r, Number(b.batchId.split(':')[1])));
            active--;
            done.push(b.batchId);
            return { status: 201, accepted: b.records.length };
          }, limit);
          jobs.forEach(([lane, ms], i) => {
            d.submit({ ...batch(), batchId: `${lane ?? '-'}${i}:${ms}`, ...(lane ? { lane } : {}) });
          });
          await d.drain();
          expect(peak).toBeLessThanOrEqual(limit);
          expect(done).toHaveLength(jobs.length);
          for (const lane of ['a', 'b', 'c']) {
            const order = done
              .filter((id) => id.startsWith(lane))
              .map((id) => Number(id.slice(1).split(':')[0]));
            expect(order).toEqual([...order].sort((x, y) => x - y));
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('stops sending after the first failure', async () => {
    let sent = 0;
    const d = new Dispatcher(async () => {
      sent++;
      throw new Error('boom');
    }, 1);
    for (let i = 0; i < 5; i++) d.submit({ ...batch(), lane: 'x' });
    await d.drain();
    expect(sent).toBe(1);
    expect(d.failure?.message).toBe('boom');
  });
});

describe('batches', () => {
  const sim = new Simulator({
    plant: buildPlant({ machines: 5, lines: 2, seed: 'b' }),
    seed: 'b',
    sensorIntervalMs: 1000,
  });
  const from = Date.parse('2026-11-30T06:00:00Z');
  const facts = sim.generate({ from, to: from + 3_600_000, carryIn: 'all' });
  const batches = toBatches(facts, { seed: 'b', chunk: 'c1', lanes: 3, limits: { states: 50 } });

  it('respects the item limits, keeps every record once, and one equipment in one lane, in order', () => {
    for (const b of batches)
      expect(b.records.length).toBeLessThanOrEqual(b.kind === 'sensors' ? 10_000 : 1_000);
    expect(batches.filter((b) => b.kind === 'states').every((b) => b.records.length <= 50)).toBe(true);
    expect(batches.filter((b) => b.kind === 'sensors').reduce((a, b) => a + b.records.length, 0)).toBe(
      facts.sensors.length,
    );
    const states = batches.filter((b) => b.kind === 'states');
    const lanes = new Map<string, Set<string>>();
    for (const b of states) {
      for (const r of b.records as { equipmentCode: string }[]) {
        lanes.set(r.equipmentCode, (lanes.get(r.equipmentCode) ?? new Set()).add(b.lane ?? ''));
      }
    }
    expect([...lanes.values()].every((s) => s.size === 1)).toBe(true);
    const posted = states.flatMap((b) => b.records as { id: string; equipmentCode: string }[]);
    for (const code of lanes.keys()) {
      expect(posted.filter((r) => r.equipmentCode === code).map((r) => r.id)).toEqual(
        facts.states.filter((r) => r.equipmentCode === code).map((r) => r.id),
      );
    }
  });

  it('derives batch ids from seed, kind, chunk and body: stable, v4-shaped, distinct', () => {
    const again = toBatches(facts, { seed: 'b', chunk: 'c1', lanes: 3, limits: { states: 50 } });
    expect(again.map((b) => b.batchId)).toEqual(batches.map((b) => b.batchId));
    expect(new Set(batches.map((b) => b.batchId)).size).toBe(batches.length);
    for (const b of batches)
      expect(b.batchId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const records = [{ a: 1 }];
    expect(batchIdOf('b', 'states', 'c1', 0, records)).not.toBe(
      batchIdOf('b', 'states', 'c1', 0, [{ a: 2 }]),
    );
    expect(batchIdOf('b', 'states', 'c1', 0, records)).not.toBe(batchIdOf('c', 'states', 'c1', 0, records));
  });

  it('gives shifts of one owner that never overlap', () => {
    expect(shiftsNeverOverlap(facts.shifts)).toBe(true);
  });
});
