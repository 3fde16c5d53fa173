import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Components, oeeRow, ratios, sumComponents, ZERO_COMPONENTS } from '../src/index.js';
import { hours, minutes } from './given.js';

const components = (c: Partial<Components>): Components => ({ ...ZERO_COMPONENTS, ...c });

/** Consistent components: PDOT and APT share POT, the quantities split PQ. */
const anyComponents: fc.Arbitrary<Components> = fc
  .record({
    pot: fc.nat(10_000),
    pdotShare: fc.double({ min: 0, max: 1, noNaN: true }),
    aptShare: fc.double({ min: 0, max: 1, noNaN: true }),
    gq: fc.nat(50),
    sq: fc.nat(50),
    rq: fc.nat(50),
    extra: fc.nat(5),
    ideal: fc.oneof(fc.constant(0), fc.nat(20_000), fc.double({ min: 0, max: 1e6, noNaN: true })),
  })
  .map(({ pot, pdotShare, aptShare, gq, sq, rq, extra, ideal }) => {
    const pdot = Math.floor(pot * pdotShare);
    return {
      pot,
      pdot,
      apt: Math.floor((pot - pdot) * aptShare),
      pq: gq + sq + rq + extra,
      gq,
      sq,
      rq,
      ideal,
    };
  });

describe('ratios (docs/oee.md §6)', () => {
  it('computes availability, performance, quality and OEE from the components', () => {
    expect(
      ratios(
        components({ pot: hours(8), pdot: hours(1), apt: hours(5.6), pq: 300, gq: 270, ideal: hours(4.2) }),
      ),
    ).toEqual({ availability: 0.8, performance: 0.75, quality: 0.9, oee: 0.8 * 0.75 * 0.9 });
  });

  it.each([
    ['no planned busy time', { pot: hours(1), pdot: hours(1) }, { availability: null, oee: null }],
    ['nothing planned at all', {}, { availability: null, performance: null, quality: null, oee: null }],
    ['down all shift', { pot: hours(8) }, { availability: 0, performance: null, quality: null, oee: 0 }],
    ['ran, produced nothing', { pot: hours(8), apt: hours(8) }, { performance: 0, quality: null, oee: 0 }],
    [
      'all scrap',
      { pot: hours(1), apt: hours(1), pq: 10, sq: 10, ideal: minutes(10) },
      { quality: 0, oee: 0 },
    ],
    [
      'too fast to be true',
      { pot: hours(1), apt: hours(1), pq: 10, gq: 10, ideal: hours(3) },
      { performance: 3, oee: 3 },
    ],
  ])('given %s', (_, given, expected) => {
    expect(ratios(components(given))).toMatchObject(expected);
  });

  it('reports OEE row durations in seconds with millisecond precision', () => {
    expect(
      oeeRow(
        components({ pot: 900_000, pdot: 60_001, apt: 700_123, pq: 7, gq: 5, sq: 1, rq: 1, ideal: 12_345.6 }),
      ),
    ).toEqual({
      plannedOperationS: 900,
      plannedDowntimeS: 60.001,
      plannedBusyS: 839.999,
      productionS: 700.123,
      unplannedDowntimeS: 139.876,
      produced: 7,
      good: 5,
      scrap: 1,
      rework: 1,
      idealS: 12.346,
      availability: 700_123 / 839_999,
      performance: 12_345.6 / 700_123,
      quality: 5 / 7,
      oee: (700_123 / 839_999) * (12_345.6 / 700_123) * (5 / 7),
    });
  });

  it('sums components field by field', () => {
    expect(sumComponents([components({ pot: 1, pq: 2 }), components({ pot: 3, ideal: 4 })])).toEqual(
      components({ pot: 4, pq: 2, ideal: 4 }),
    );
    expect(sumComponents([])).toEqual(ZERO_COMPONENTS);
  });

  it('never yields NaN; null exactly for a zero denominator, OEE null only when PBT = 0', () => {
    fc.assert(
      fc.property(anyComponents, (c) => {
        const r = ratios(c);
        const pbt = c.pot - c.pdot;
        expect({
          finiteOrNull: Object.values(r).every((value) => value === null || Number.isFinite(value)),
          availabilityNull: r.availability === null,
          performanceNull: r.performance === null,
          qualityNull: r.quality === null,
          oeeNull: r.oee === null,
          zeroWhenNothingRanOrWasMade: r.oee === 0 || !(pbt > 0 && (c.apt === 0 || c.pq === 0)),
        }).toEqual({
          finiteOrNull: true,
          availabilityNull: pbt === 0,
          performanceNull: c.apt === 0,
          qualityNull: c.pq === 0,
          oeeNull: pbt === 0,
          zeroWhenNothingRanOrWasMade: true,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('rolls up by summing components, not by averaging ratios', () => {
    const good = components({ pot: hours(8), apt: hours(8), pq: 480, gq: 480, ideal: hours(8) });
    const idle = components({ pot: hours(1) });
    expect(ratios(sumComponents([good, idle])).oee).toBeCloseTo(8 / 9, 12);
  });
});
