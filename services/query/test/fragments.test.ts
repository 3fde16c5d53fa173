import { type Components, ZERO_COMPONENTS } from '@takt/domain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EquipmentSet, equipmentSet, FragmentCache } from '../src/fragments.js';

const TENANT = 't1';
const EQUIPMENT = ['e0', 'e1', 'e2', 'e3'];
const SETS: EquipmentSet[] = [['e0'], ['e1'], ['e0', 'e1'], ['e1', 'e2', 'e3'], EQUIPMENT].map((ids) =>
  equipmentSet(TENANT, ids),
);
const SLOTS = 8;

const pot = (value: number): Components => ({ ...ZERO_COMPONENTS, pot: value });

/** What ClickHouse holds: a version per equipment and slot, bumped by every projector write. */
class Truth {
  readonly versions = new Map<string, number>();
  write(equipmentId: string, from: number, to: number): void {
    for (let s = from; s < to; s++) {
      const key = `${equipmentId}|${s}`;
      this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
    }
  }
  /** A read's answer: distinct per state of the rows under the range. */
  read(set: EquipmentSet, from: number, to: number): number {
    let sum = 0;
    for (const id of set.equipmentIds)
      for (let s = from; s < to; s++)
        sum += (this.versions.get(`${id}|${s}`) ?? 0) * (s + 1) * (id.length + 7);
    return sum;
  }
}

// Few distinct ranges, so that fills, writes and reads meet often; some overlap without nesting.
const RANGES = [
  { from: 0, to: 2 },
  { from: 2, to: 4 },
  { from: 4, to: SLOTS },
  { from: 0, to: SLOTS },
  { from: 1, to: 2 },
  { from: 3, to: 6 },
];
const range = fc.constantFrom(...RANGES);

const op = fc.oneof(
  fc.record({ kind: fc.constant('fill' as const), set: fc.nat(SETS.length - 1), r: range }),
  fc.record({ kind: fc.constant('write' as const), e: fc.nat(EQUIPMENT.length - 1), r: range }),
  // A write that lands and is announced while a fill's read is in flight.
  fc.record({
    kind: fc.constant('racy' as const),
    set: fc.nat(SETS.length - 1),
    e: fc.nat(EQUIPMENT.length - 1),
    r: range,
    w: range,
  }),
  // A rebuild swaps in new tables and announces a flush, possibly while a fill's read is in flight.
  fc.record({ kind: fc.constant('rebuild' as const), set: fc.nat(SETS.length - 1), r: range }),
  fc.constant({ kind: 'toggle' as const }),
);

describe('FragmentCache', () => {
  it('never answers what ClickHouse no longer holds, whatever the order of fills, writes and announcements', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const cache = new FragmentCache<Components>({ maxFragments: 20, maxAgeMs: 60_000 });
        cache.enable();
        const truth = new Truth();
        const fill = (set: EquipmentSet, from: number, to: number, during?: () => void) => {
          const token = cache.begin();
          const value = truth.read(set, from, to);
          during?.();
          cache.put(set, token, [{ start: from, end: to, value: pot(value) }]);
        };
        for (const o of ops) {
          switch (o.kind) {
            case 'fill':
              fill(SETS[o.set]!, o.r.from, o.r.to);
              break;
            case 'write':
              truth.write(EQUIPMENT[o.e]!, o.r.from, o.r.to);
              cache.invalidate(TENANT, EQUIPMENT[o.e]!, o.r.from, o.r.to);
              break;
            case 'racy':
              fill(SETS[o.set]!, o.r.from, o.r.to, () => {
                truth.write(EQUIPMENT[o.e]!, o.w.from, o.w.to);
                cache.invalidate(TENANT, EQUIPMENT[o.e]!, o.w.from, o.w.to);
              });
              break;
            case 'rebuild':
              fill(SETS[o.set]!, o.r.from, o.r.to, () => {
                for (const id of EQUIPMENT) truth.write(id, 0, SLOTS);
                cache.flush();
              });
              break;
            case 'toggle':
              if (cache.live) cache.disable();
              else cache.enable();
              break;
          }
          expect(cache.stats().fragments).toBeLessThanOrEqual(20);
          for (const set of SETS)
            for (const r of RANGES) {
              const got = cache.get(set, r.from, r.to);
              if (got !== undefined) expect(got.pot).toBe(truth.read(set, r.from, r.to));
            }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a fill and answers it until a write under it is announced', () => {
    const cache = new FragmentCache<Components>({ maxFragments: 100, maxAgeMs: 60_000 });
    cache.enable();
    const line = equipmentSet(TENANT, ['e1', 'e0']);
    expect(equipmentSet(TENANT, ['e0', 'e1']).key).toBe(line.key);
    expect(
      cache.put(line, cache.begin(), [
        { start: 0, end: 10, value: pot(1) },
        { start: 10, end: 20, value: pot(2) },
      ]),
    ).toBe(true);
    expect(cache.get(line, 10, 20)?.pot).toBe(2);
    // Same start, another end (a bucket clipped by another window): another fragment, kept beside it.
    expect(cache.get(line, 10, 15)).toBeUndefined();
    cache.put(line, cache.begin(), [{ start: 10, end: 15, value: pot(3) }]);
    expect(cache.get(line, 10, 15)?.pot).toBe(3);
    expect(cache.get(line, 10, 20)?.pot).toBe(2);
    cache.invalidate(TENANT, 'e0', 12, 13);
    expect(cache.get(line, 10, 20)).toBeUndefined();
    expect(cache.get(line, 10, 15)).toBeUndefined();
    expect(cache.get(line, 0, 10)?.pot).toBe(1);
    // Another tenant's equipment of the same id is another equipment.
    cache.invalidate('t2', 'e0', 0, 10);
    expect(cache.get(line, 0, 10)?.pot).toBe(1);
  });

  it('keeps a fill that raced announcements elsewhere in time, not one that raced a write under it', () => {
    const cache = new FragmentCache<Components>({ maxFragments: 100, maxAgeMs: 60_000 });
    cache.enable();
    const line = equipmentSet(TENANT, ['e0', 'e1']);
    // An open state re-marked at the live edge while last week is being read.
    let token = cache.begin();
    cache.invalidate(TENANT, 'e1', 100, 110);
    expect(cache.put(line, token, [{ start: 0, end: 10, value: pot(1) }])).toBe(true);
    expect(cache.get(line, 0, 10)?.pot).toBe(1);
    // Touching ranges do not overlap: [10, 20) and [20, 30).
    token = cache.begin();
    cache.invalidate(TENANT, 'e0', 20, 30);
    expect(cache.put(line, token, [{ start: 10, end: 20, value: pot(2) }])).toBe(true);
    token = cache.begin();
    cache.invalidate(TENANT, 'e0', 5, 6);
    expect(
      cache.put(line, token, [
        { start: 30, end: 40, value: pot(3) },
        { start: 0, end: 10, value: pot(4) },
      ]),
    ).toBe(false);
    // More announcements than are kept: the forgotten ones might have overlapped.
    token = cache.begin();
    for (let i = 0; i < 17; i++) cache.invalidate(TENANT, 'e1', 1_000 + i, 1_001 + i);
    expect(cache.put(line, token, [{ start: 40, end: 50, value: pot(5) }])).toBe(false);
    expect(cache.put(line, cache.begin(), [{ start: 40, end: 50, value: pot(5) }])).toBe(true);
  });

  it('keeps nothing while the feed is down, nor fills that began before it came back', () => {
    const cache = new FragmentCache<Components>({ maxFragments: 100, maxAgeMs: 60_000 });
    const set = SETS[0]!;
    expect(cache.put(set, cache.begin(), [{ start: 0, end: 1, value: pot(1) }])).toBe(false);
    const before = cache.begin();
    cache.enable();
    expect(cache.put(set, before, [{ start: 0, end: 1, value: pot(1) }])).toBe(false);
    expect(cache.put(set, cache.begin(), [{ start: 0, end: 1, value: pot(1) }])).toBe(true);
    cache.disable();
    expect(cache.get(set, 0, 1)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ live: false, fragments: 0, sets: 0 });
  });

  it('reads a fragment again once it is older than the maximum age', () => {
    let now = 1_000;
    const cache = new FragmentCache<Components>({ maxFragments: 100, maxAgeMs: 500, clock: () => now });
    cache.enable();
    cache.put(SETS[0]!, cache.begin(), [{ start: 0, end: 1, value: pot(1) }]);
    now += 500;
    expect(cache.get(SETS[0]!, 0, 1)?.pot).toBe(1);
    now += 1;
    expect(cache.get(SETS[0]!, 0, 1)).toBeUndefined();
  });

  it('drops the sets stored longest ago when full', () => {
    const cache = new FragmentCache<Components>({ maxFragments: 10, maxAgeMs: 60_000 });
    cache.enable();
    const fragments = (n: number) =>
      Array.from({ length: n }, (_, k) => ({ start: k, end: k + 1, value: pot(k) }));
    cache.put(SETS[0]!, cache.begin(), fragments(4));
    cache.put(SETS[1]!, cache.begin(), fragments(4));
    cache.put(SETS[2]!, cache.begin(), fragments(4));
    expect(cache.get(SETS[0]!, 0, 1)).toBeUndefined();
    expect(cache.get(SETS[2]!, 3, 4)?.pot).toBe(3);
    expect(cache.stats().fragments).toBeLessThanOrEqual(9);
  });
});
