import { createHash } from 'node:crypto';
import type { FactKind, Facts } from './model.js';
import { hash32 } from './prng.js';

/** How facts become ingest batches (docs/api.md §2.2): endpoint, item limit, batch id, ordering lane. */

export const ENDPOINTS: Record<FactKind, { path: string; limit: number }> = {
  shifts: { path: '/v1/shifts', limit: 1_000 },
  states: { path: '/v1/state-events', limit: 1_000 },
  production: { path: '/v1/production-counts', limit: 1_000 },
  maintenance: { path: '/v1/maintenance-events', limit: 1_000 },
  sensors: { path: '/v1/sensor-batches', limit: 10_000 },
};

/**
 * Kinds whose records must reach the server in order per equipment: a state closes the one
 * before it, and a maintenance event posted open is later re-posted closed. Their batches run
 * one after another per lane; every other batch may run in parallel with anything.
 */
const ORDERED: ReadonlySet<FactKind> = new Set(['states', 'maintenance']);

export interface Batch {
  kind: FactKind;
  path: string;
  batchId: string;
  records: readonly object[];
  /** Batches of one lane are posted one at a time, in submission order. */
  lane?: string;
}

export interface BatchOptions {
  seed: string;
  /** Names the generated range, e.g. its bounds: part of every batch id. */
  chunk: string;
  lanes: number;
  limits?: Partial<Record<FactKind, number>>;
}

/**
 * A batch id from the seed, kind, chunk and the exact body, shaped like a UUID v4. The body is
 * part of it because a live run posts partial ranges: the same chunk with more records in it is
 * another batch, which must not reuse an id (409); an identical body gets the identical id, so a
 * retry or a re-run answers 200 and writes nothing.
 */
export function batchIdOf(
  seed: string,
  kind: FactKind,
  chunk: string,
  part: number,
  records: readonly object[],
): string {
  const body = createHash('sha256').update(JSON.stringify(records)).digest('hex');
  const h = createHash('sha256')
    .update(`${seed}\u0000${kind}\u0000${chunk}\u0000${part}\u0000${body}`)
    .digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x40;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const laneOf = (kind: FactKind, equipmentCode: string, lanes: number) =>
  `${kind}:${hash32('lane', equipmentCode) % Math.max(1, lanes)}`;

/** Splits one range's facts into batches, in the order they should be submitted. */
export function toBatches(facts: Facts, opts: BatchOptions): Batch[] {
  const out: Batch[] = [];
  const kinds: FactKind[] = ['shifts', 'states', 'maintenance', 'production', 'sensors'];
  for (const kind of kinds) {
    const { path } = ENDPOINTS[kind];
    const limit = opts.limits?.[kind] ?? ENDPOINTS[kind].limit;
    const records: readonly object[] = facts[kind];
    if (records.length === 0) continue;
    const groups = new Map<string | undefined, object[]>();
    for (const r of records) {
      const lane = ORDERED.has(kind)
        ? laneOf(kind, (r as { equipmentCode: string }).equipmentCode, opts.lanes)
        : undefined;
      const g = groups.get(lane);
      if (g) g.push(r);
      else groups.set(lane, [r]);
    }
    let part = 0;
    for (const [lane, group] of groups) {
      for (let i = 0; i < group.length; i += limit) {
        const slice = group.slice(i, i + limit);
        out.push({
          kind,
          path,
          batchId: batchIdOf(opts.seed, kind, opts.chunk, part++, slice),
          records: slice,
          ...(lane ? { lane } : {}),
        });
      }
    }
  }
  return out;
}
