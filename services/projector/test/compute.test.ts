import { BUCKET_MS, computeComponents, type Shift } from '@takt/domain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downtimeRows, oeeRows, type StateFact } from '../src/compute.js';

const H = 3_600_000;
const T0 = Date.parse('2026-11-30T06:00:00Z');
const shift = (id: string, owner: 'line' | 'equipment', start: number, end: number): Shift => ({
  id,
  name: id,
  owner,
  start: T0 + start,
  end: T0 + end,
});

const arbitraryFacts = fc
  .record({
    shifts: fc.array(
      fc.record({
        start: fc.integer({ min: 0, max: 8 * H }),
        len: fc.integer({ min: 1, max: 4 * H }),
        own: fc.boolean(),
      }),
      { maxLength: 3 },
    ),
    states: fc.array(
      fc.record({
        start: fc.integer({ min: -H, max: 10 * H }),
        len: fc.option(fc.integer({ min: 1, max: 3 * H }), { nil: null }),
        state: fc.constantFrom('running', 'stopped', 'planned_stop'),
        reason: fc.constantFrom('', 'r1', 'r2'),
      }),
      { maxLength: 6 },
    ),
    now: fc.integer({ min: 0, max: 12 * H }),
  })
  .map(({ shifts, states, now }) => {
    // One owner's shifts never overlap: keep the first of each overlapping pair per owner.
    const kept: Shift[] = [];
    shifts.forEach((s, k) => {
      const candidate = shift(`s${k}`, s.own ? 'equipment' : 'line', s.start, s.start + s.len);
      if (
        !kept.some((o) => o.owner === candidate.owner && o.start < candidate.end && candidate.start < o.end)
      )
        kept.push(candidate);
    });
    // States of an equipment never overlap either: each starts after the previous one ended.
    const sorted = [...states].sort((a, b) => a.start - b.start);
    const facts: StateFact[] = [];
    let cursor = Number.NEGATIVE_INFINITY;
    for (const s of sorted) {
      const start = T0 + s.start;
      if (start < cursor) continue;
      const end = s.len === null ? null : start + s.len;
      facts.push({ state: s.state, reasonId: s.state === 'running' ? '' : s.reason, start, end });
      cursor = end ?? Number.POSITIVE_INFINITY;
    }
    return { shifts: kept, states: facts, production: [], now: T0 + now };
  });

const RANGE = { start: T0 - 2 * H, end: T0 + 14 * H };

describe('oeeRows', () => {
  it('equals computeComponents bucket by bucket', () => {
    fc.assert(
      fc.property(arbitraryFacts, (input) => {
        const rows = oeeRows(input, RANGE);
        const byBucket = [];
        for (let b = RANGE.start; b < RANGE.end; b += BUCKET_MS) {
          byBucket.push(
            ...computeComponents({
              ...input,
              states: input.states.map((s) => ({ state: s.state as 'running', start: s.start, end: s.end })),
              bucket: { start: b, end: b + BUCKET_MS },
            }),
          );
        }
        expect(rows).toEqual(byBucket);
      }),
    );
  });
});

describe('downtimeRows', () => {
  it('splits exactly PBT − APT as unplanned and PDOT as planned, per bucket and shift', () => {
    fc.assert(
      fc.property(arbitraryFacts, (input) => {
        const oee = oeeRows(input, RANGE);
        const down = downtimeRows(input, RANGE);
        for (const row of oee) {
          const mine = down.filter((d) => d.bucketStart === row.bucketStart && d.shiftId === row.shiftId);
          const planned = mine.filter((d) => d.planned).reduce((a, d) => a + d.durationMs, 0);
          const unplanned = mine.filter((d) => !d.planned).reduce((a, d) => a + d.durationMs, 0);
          expect(planned).toBe(row.pdot);
          expect(unplanned).toBe(row.pot - row.pdot - row.apt);
        }
        // No downtime outside POT.
        for (const d of down)
          expect(oee.some((r) => r.bucketStart === d.bucketStart && r.shiftId === d.shiftId)).toBe(true);
      }),
    );
  });

  it('needs only the states overlapping a range and the instant before it', () => {
    fc.assert(
      fc.property(
        arbitraryFacts,
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 16 }),
        (input, at, len) => {
          const range = { start: RANGE.start + at * BUCKET_MS, end: RANGE.start + (at + len) * BUCKET_MS };
          const whole = downtimeRows(input, RANGE).filter(
            (r) => r.bucketStart >= range.start && r.bucketStart < range.end,
          );
          const states = input.states.filter(
            (s) => s.start < range.end && (s.end === null || s.end > range.start - 1),
          );
          expect(downtimeRows({ ...input, states }, range)).toEqual(whole);
        },
      ),
    );
  });

  it('counts an occurrence once, in the bucket where it starts inside POT, and a gap as unplanned', () => {
    const input = {
      shifts: [shift('early', 'line', 0, 2 * H)],
      states: [
        { state: 'running', reasonId: '', start: T0, end: T0 + 10 * 60_000 },
        { state: 'stopped', reasonId: 'jam', start: T0 + 10 * 60_000, end: T0 + 40 * 60_000 },
        { state: 'running', reasonId: '', start: T0 + 40 * 60_000, end: T0 + H },
      ],
      production: [],
      now: T0 + 10 * H,
    };
    const rows = downtimeRows(input, { start: T0, end: T0 + 2 * H });
    const jam = rows.filter((r) => r.reasonId === 'jam');
    expect(jam.map((r) => [r.bucketStart - T0, r.durationMs, r.occurrences])).toEqual([
      [0, 5 * 60_000, 1],
      [15 * 60_000, 15 * 60_000, 0],
      [30 * 60_000, 10 * 60_000, 0],
    ]);
    const gap = rows.filter((r) => r.reasonId === '');
    expect(gap.reduce((a, r) => a + r.durationMs, 0)).toBe(H);
    expect(gap.reduce((a, r) => a + r.occurrences, 0)).toBe(1);
  });
});
