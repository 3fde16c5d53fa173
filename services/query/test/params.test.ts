import { DEFAULT_TIME_RANGE_POLICY } from '@takt/domain';
import { TaktError } from '@takt/http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptedAt, parseIds, parseInstant, parseWindow } from '../src/params.js';
import { paretoOf } from '../src/pareto.js';

const problem = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof TaktError)
      return { code: err.code, errors: err.options.errors, extra: err.options.extra };
    throw err;
  }
  throw new Error('expected a TaktError');
};

describe('parseInstant', () => {
  it('reads RFC 3339 with Z or an offset, truncating below the millisecond', () => {
    expect(parseInstant('2026-03-29T01:00:00Z')).toBe(Date.UTC(2026, 2, 29, 1));
    expect(parseInstant('2026-03-29T06:30:00+05:30')).toBe(Date.UTC(2026, 2, 29, 1));
    expect(parseInstant('2026-03-28T20:00:00-05:00')).toBe(Date.UTC(2026, 2, 29, 1));
    expect(parseInstant('2026-03-29T01:00:00.123987Z')).toBe(Date.UTC(2026, 2, 29, 1) + 123);
  });

  it('rejects what is not a real instant with an offset', () => {
    for (const bad of [
      '2026-03-29',
      '2026-03-29T01:00Z',
      '2026-03-29T01:00:00',
      '2026-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:00:60Z',
      '2026-01-01T00:00:00+24:00',
      ' 2026-01-01T00:00:00Z',
    ])
      expect(parseInstant(bad)).toBeNull();
  });

  it('round-trips every toISOString', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        expect(parseInstant(new Date(ms).toISOString())).toBe(ms);
      }),
    );
  });
});

const NOW = Date.parse('2026-04-01T00:00:00Z');
const ACCEPT = acceptedAt(NOW, DEFAULT_TIME_RANGE_POLICY);

describe('parseWindow', () => {
  it('names each parameter at its pointer', () => {
    expect(problem(() => parseWindow('x', 'y', 'day', ACCEPT)).errors?.map((e) => e.pointer)).toEqual([
      '/query/from',
      '/query/to',
    ]);
    expect(
      problem(() => parseWindow('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'day', ACCEPT)).errors?.[0]
        ?.pointer,
    ).toBe('/query/to');
    expect(
      problem(() => parseWindow('2026-01-01T00:00:00Z', '2026-01-09T00:00:00Z', '15m', ACCEPT)).extra,
    ).toEqual({
      limitDays: 7,
    });
  });

  it('refuses windows outside the accepted time range, naming the bound and the rule', () => {
    const beyond = problem(() =>
      parseWindow('2105-12-01T00:00:00Z', '2106-01-01T00:00:00Z', 'month', ACCEPT),
    );
    expect(beyond.errors?.map((e) => e.pointer)).toEqual(['/query/from', '/query/to']);
    expect(beyond.errors?.[1]?.detail).toMatch(/between now - 400 days and now \+ 7 days/);
    const ahead = problem(() => parseWindow('2026-04-01T00:00:00Z', '2026-04-08T00:15:00Z', 'day', ACCEPT));
    expect(ahead.errors?.map((e) => e.pointer)).toEqual(['/query/to']);
    const old = problem(() => parseWindow('2025-02-01T00:00:00Z', '2025-02-02T00:00:00Z', 'day', ACCEPT));
    expect(old.errors?.map((e) => e.pointer)).toEqual(['/query/from', '/query/to']);
    expect(parseWindow('2025-02-25T00:00:00Z', '2026-04-08T00:00:00Z', 'week', ACCEPT)).toEqual({
      start: Date.parse('2025-02-25T00:00:00Z'),
      end: Date.parse('2026-04-08T00:00:00Z'),
    });
  });

  it('never lets through a window ClickHouse cannot represent, whatever the clock', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_400_000_000_000 }),
        fc.integer({ min: 0, max: 253_402_300_799 }),
        fc.integer({ min: 1, max: 4_000 }),
        (now, startS, quarters) => {
          const start = Math.floor(startS / 900) * 900_000;
          const end = start + quarters * 900_000;
          if (end > 253_402_300_799_000) return;
          const accept = acceptedAt(now, DEFAULT_TIME_RANGE_POLICY);
          try {
            const w = parseWindow(
              new Date(start).toISOString(),
              new Date(end).toISOString(),
              'total',
              accept,
            );
            expect(w.start).toBeGreaterThanOrEqual(0);
            expect(w.end).toBeLessThan(Date.UTC(2106, 0, 1));
          } catch (err) {
            expect(err).toBeInstanceOf(TaktError);
            expect((err as TaktError).status).toBe(400);
          }
        },
      ),
    );
  });
});

describe('parseIds', () => {
  it('keeps the first of duplicates in order and trims', () => {
    expect(parseIds('b, a,b')).toEqual(['b', 'a']);
  });
  it('rejects empty lists, bad codes and too many ids', () => {
    expect(problem(() => parseIds('')).code).toBe('TAKT_VALIDATION');
    expect(problem(() => parseIds('a,')).errors?.[0]?.detail).toMatch(/not a code/);
    expect(problem(() => parseIds(Array.from({ length: 101 }, (_, k) => `e${k}`).join(','))).extra).toEqual({
      limit: 100,
    });
  });
});

describe('paretoOf', () => {
  it('sorts longest first and accumulates the share to 1', () => {
    const rows = paretoOf([
      { reasonCode: 'A', reasonName: 'a', planned: false, durationMs: 1_000, occurrences: 1 },
      { reasonCode: null, reasonName: null, planned: false, durationMs: 3_000, occurrences: 2 },
      { reasonCode: 'B', reasonName: 'b', planned: true, durationMs: 0, occurrences: 0 },
    ]);
    expect(rows.map((r) => [r.reasonCode, r.durationS, r.cumulativeShare])).toEqual([
      [null, 3, 0.75],
      ['A', 1, 1],
    ]);
  });
});
