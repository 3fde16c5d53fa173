import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptedRange,
  checkInstant,
  DEFAULT_TIME_RANGE_POLICY,
  describeRange,
  isAccepted,
  REPRESENTABLE,
  rangeViolations,
} from '../src/index.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-07T03:00:00Z');
const policy = DEFAULT_TIME_RANGE_POLICY;

describe('accepted time range', () => {
  it('spans now - retention .. now + horizon, both ends included', () => {
    const range = acceptedRange(NOW, policy);
    expect(range).toEqual({ oldest: NOW - 400 * DAY, newest: NOW + 7 * DAY });
    expect(checkInstant(range.oldest, range)).toBe('ok');
    expect(checkInstant(range.newest, range)).toBe('ok');
    expect(checkInstant(range.oldest - 1, range)).toBe('too-old');
    expect(checkInstant(range.newest + 1, range)).toBe('too-new');
  });

  it('refuses what ClickHouse cannot hold, even with a clock far off', () => {
    expect(isAccepted(Date.parse('9999-12-31T23:59:59Z'), acceptedRange(NOW, policy))).toBe(false);
    expect(isAccepted(Date.parse('0001-01-01T00:00:00Z'), acceptedRange(NOW, policy))).toBe(false);
    const future = acceptedRange(Date.parse('2105-12-30T00:00:00Z'), policy);
    expect(future.newest).toBe(REPRESENTABLE.newest);
    expect(checkInstant(Date.parse('2106-01-01T00:00:00Z'), future)).toBe('too-new');
    const past = acceptedRange(Date.parse('1970-02-01T00:00:00Z'), policy);
    expect(past.oldest).toBe(0);
    expect(checkInstant(-1, past)).toBe('too-old');
  });

  it('without a retention reaches back to what ClickHouse holds', () => {
    const range = acceptedRange(NOW, { retentionDays: null, horizonDays: 7 });
    expect(range).toEqual({ oldest: 0, newest: NOW + 7 * DAY });
    expect(describeRange(range, { retentionDays: null, horizonDays: 7 })).toContain(
      'between 1970-01-01 and now + 7 days',
    );
  });

  it('refuses NaN', () => {
    expect(checkInstant(Number.NaN, acceptedRange(NOW, policy))).toBe('too-old');
  });

  it('names each bad instant with the rule, in order, up to the limit', () => {
    const range = acceptedRange(NOW, policy);
    const found = rangeViolations(
      [
        { pointer: '/records/0/ts', at: NOW },
        { pointer: '/records/1/ts', at: Date.parse('9999-01-01T00:00:00Z') },
        { pointer: '/records/2/start', at: NOW - 401 * DAY },
      ],
      range,
      policy,
    );
    expect(found.map((v) => v.pointer)).toEqual(['/records/1/ts', '/records/2/start']);
    expect(found[0]!.detail).toMatch(/^9999-01-01T00:00:00.000Z is further ahead than the horizon: /);
    expect(found[1]!.detail).toMatch(/older than the retention/);
    expect(found[0]!.detail).toContain(describeRange(range, policy));
    expect(describeRange(range, policy)).toContain('now - 400 days and now + 7 days');
    const many = Array.from({ length: 500 }, (_, i) => ({ pointer: `/records/${i}/ts`, at: -i - 1 }));
    expect(rangeViolations(many, range, policy, 10)).toHaveLength(10);
  });
});

describe('accepted time range, properties', () => {
  const clock = fc.integer({ min: Date.parse('1960-01-01'), max: Date.parse('2200-01-01') });
  const days = fc.integer({ min: 0, max: 5000 });
  const instant = fc.integer({ min: -8.64e15, max: 8.64e15 });

  it('an accepted instant is representable and within the policy of the clock', () => {
    fc.assert(
      fc.property(clock, days, days, instant, (now, retentionDays, horizonDays, at) => {
        const p = { retentionDays, horizonDays };
        const range = acceptedRange(now, p);
        if (!isAccepted(at, range)) return;
        expect(at).toBeGreaterThanOrEqual(REPRESENTABLE.oldest);
        expect(at).toBeLessThanOrEqual(REPRESENTABLE.newest);
        expect(at).toBeGreaterThanOrEqual(now - retentionDays * DAY);
        expect(at).toBeLessThanOrEqual(now + horizonDays * DAY);
      }),
    );
  });

  it('a representable instant within the policy is accepted', () => {
    fc.assert(
      fc.property(clock, days, days, fc.double({ min: 0, max: 1, noNaN: true }), (now, r, h, f) => {
        const lo = Math.max(REPRESENTABLE.oldest, now - r * DAY);
        const hi = Math.min(REPRESENTABLE.newest, now + h * DAY);
        fc.pre(lo <= hi);
        const at = Math.floor(lo + (hi - lo) * f);
        expect(isAccepted(at, acceptedRange(now, { retentionDays: r, horizonDays: h }))).toBe(true);
      }),
    );
  });

  it('rangeViolations reports exactly the refused instants', () => {
    fc.assert(
      fc.property(clock, fc.array(instant, { maxLength: 30 }), (now, ats) => {
        const range = acceptedRange(now, policy);
        const named = ats.map((at, i) => ({ pointer: `/records/${i}/ts`, at }));
        const found = rangeViolations(named, range, policy, 1000).map((v) => v.pointer);
        expect(found).toEqual(named.filter((n) => !isAccepted(n.at, range)).map((n) => n.pointer));
      }),
    );
  });
});
