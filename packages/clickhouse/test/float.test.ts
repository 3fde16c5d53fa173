import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactFloat } from '../src/float.js';

/** The doubles right below and above `x`: what an inexact decimal reader may produce instead of it. */
function neighbours(x: number): [number, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  const step = (delta: bigint) => {
    view.setBigInt64(0, bits + (x >= 0 ? delta : -delta));
    return view.getFloat64(0);
  };
  return [step(-1n), step(1n)];
}

/** A decimal of at most 15 significant digits, as a machine would post it. */
const decimal = fc
  .tuple(fc.bigInt({ min: -(10n ** 15n) + 1n, max: 10n ** 15n - 1n }), fc.integer({ min: -20, max: 20 }))
  .map(([digits, exponent]) => Number(`${digits}e${exponent}`))
  .filter((x) => x !== 0);

describe('exactFloat', () => {
  it('gives back the written decimal from it or either neighbouring double', () => {
    fc.assert(
      fc.property(decimal, (x) => {
        expect(exactFloat(x)).toBe(x);
        for (const near of neighbours(x)) expect(exactFloat(near)).toBe(x);
      }),
      { numRuns: 5_000 },
    );
  });

  it('moves any other double by less than 5e-15 of itself', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }), (x) => {
        expect(Math.abs(exactFloat(x) - x)).toBeLessThanOrEqual(Math.abs(x) * 5e-15);
      }),
    );
  });

  it('what ClickHouse 18.16 made of 7.69', () => {
    expect(exactFloat(7.6899999999999995)).toBe(7.69);
    expect(exactFloat(0)).toBe(0);
    expect(exactFloat(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });
});
