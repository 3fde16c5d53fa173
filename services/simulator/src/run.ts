import { setTimeout as delay } from 'node:timers/promises';
import { toBatches } from './batches.js';
import { type BatchAnswer, Dispatcher, type DispatchStats } from './client.js';
import { type CarryIn, countFacts, FACT_KINDS, type FactKind, type Simulator } from './model.js';
import type { Plant } from './plant.js';

/** The run loop: master data, then range after range of facts through the dispatcher, then (live) follow the clock. */

export interface RunTarget {
  putMasterData(plant: Plant): Promise<void>;
  postBatch(batch: Parameters<Dispatcher['submit']>[0]): Promise<BatchAnswer>;
}

export interface RunOptions {
  simulator: Simulator;
  target: RunTarget;
  masterData: boolean;
  from: number;
  /** Where a run that is not live stops. */
  to: number;
  live: boolean;
  /** Simulated time per wall time; without it the run goes as fast as the ingest service takes it. */
  speed?: number;
  chunkMs: number;
  tickMs: number;
  concurrency: number;
  now?: () => number;
  signal?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
}

export interface RunProgress {
  phase: 'master-data' | 'backfill' | 'live' | 'done';
  from: number;
  simTime: number;
  to: number | undefined;
  generated: Record<FactKind, number>;
  posted: DispatchStats;
  elapsedMs: number;
}

export interface RunSummary {
  from: string;
  asOf: string;
  generated: Record<FactKind, number>;
  posted: Record<FactKind, number>;
  batches: { created: number; replayed: number };
  elapsedMs: number;
}

const zero = (): Record<FactKind, number> => ({
  shifts: 0,
  states: 0,
  production: 0,
  maintenance: 0,
  sensors: 0,
});

export async function run(opts: RunOptions): Promise<RunSummary> {
  const now = opts.now ?? Date.now;
  const started = now();
  const generated = zero();
  const dispatcher = new Dispatcher((b) => opts.target.postBatch(b), opts.concurrency);
  let phase: RunProgress['phase'] = 'master-data';
  let cursor = opts.from;
  const progress = () =>
    opts.onProgress?.({
      phase,
      from: opts.from,
      simTime: cursor,
      to: opts.live ? undefined : opts.to,
      generated,
      posted: dispatcher.stats,
      elapsedMs: now() - started,
    });

  progress();
  if (opts.masterData) await opts.target.putMasterData(opts.simulator.plant);

  // The simulated clock: paced by --speed, never past the wall clock, never past --to.
  const simNow = () => {
    const wall = now();
    const paced = opts.speed ? opts.from + (wall - started) * opts.speed : Number.POSITIVE_INFINITY;
    return Math.min(wall, paced, opts.live ? Number.POSITIVE_INFINITY : opts.to);
  };

  let posted: { postedAsOf: number; deferred: boolean } | undefined;
  phase = 'backfill';
  while (!opts.signal?.aborted) {
    const asOf = Math.floor(simNow());
    if (asOf > cursor) {
      // At the wall clock (or the end of the run) an open interval is the truth and is posted
      // open; behind it, the interval is held back until a later pass sees it closed.
      const atEdge = asOf >= now() - opts.tickMs || asOf >= (opts.live ? Number.POSITIVE_INFINITY : opts.to);
      let carryIn: CarryIn = posted ?? 'all';
      for (let from = cursor; from < asOf && !opts.signal?.aborted; ) {
        const to = Math.min(from + opts.chunkMs, asOf);
        const facts = opts.simulator.generate({ from, to, asOf, carryIn, open: atEdge ? 'post' : 'defer' });
        const counts = countFacts(facts);
        for (const k of FACT_KINDS) generated[k] += counts[k];
        for (const b of toBatches(facts, {
          seed: opts.simulator.seed,
          chunk: `${from}-${to}-${asOf}`,
          lanes: opts.concurrency,
        })) {
          dispatcher.submit(b);
        }
        // Generation runs ahead of posting by a few batches per slot, no more: memory stays flat.
        await dispatcher.waitBelow(opts.concurrency * 3);
        if (dispatcher.failure) break;
        carryIn = 'none';
        from = to;
        cursor = to;
        progress();
      }
      if (dispatcher.failure) break;
      posted = { postedAsOf: cursor, deferred: !atEdge };
    }
    if (!opts.live && cursor >= opts.to) break;
    if (opts.live && cursor >= now() - opts.tickMs) phase = 'live';
    progress();
    try {
      await delay(opts.tickMs, undefined, opts.signal ? { signal: opts.signal } : undefined);
    } catch {
      break;
    }
  }
  await dispatcher.drain();
  if (dispatcher.failure) throw dispatcher.failure;
  phase = 'done';
  progress();
  return {
    from: new Date(opts.from).toISOString(),
    asOf: new Date(cursor).toISOString(),
    generated,
    posted: { ...dispatcher.stats.records },
    batches: { ...dispatcher.stats.batches },
    elapsedMs: now() - started,
  };
}
