import { ATTRIBUTES_LIMITS, TEXT_LIMITS } from '@takt/config';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boundedText,
  codePoints,
  count,
  finiteDouble,
  idealCycleTimeS,
  inspectAttributes,
  jsonbNumberBytes,
  stringProblem,
} from '../src/bounds.js';
import { batchOf, equipmentBody, maintenanceRecord, productBody } from '../src/schemas.js';

const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  r.success ? [] : (r.error?.issues ?? []).map((i) => ({ path: i.path.join('/'), message: i.message }));

/** PostgreSQL's jsonb text form, built the obvious (recursive) way, for small values. */
function pgText(v: unknown): string {
  if (typeof v === 'number') {
    const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(String(v));
    if (!m) return String(v);
    const digits = (m[2] ?? '') + (m[3] ?? '');
    const point = (m[2] ?? '').length + Number(m[4]);
    if (point >= digits.length) return `${m[1]}${digits}${'0'.repeat(point - digits.length)}`;
    if (point <= 0) return `${m[1]}0.${'0'.repeat(-point)}${digits}`;
    return `${m[1]}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  if (Array.isArray(v)) return `[${v.map(pgText).join(', ')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pgText(x)}`)
      .join(', ')}}`;
  return JSON.stringify(v);
}

describe('stringProblem', () => {
  it('accepts any well-formed text without NUL', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(stringProblem(s.replaceAll('\u0000', ''))).toBeNull();
      }),
    );
  });

  it('names NUL and lone surrogates wherever they are', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        fc.constantFrom('\u0000', '\ud800', '\udfff', '\udc00x'),
        (a, b, bad) => {
          expect(stringProblem(`${a}${bad}${b}`)).not.toBeNull();
        },
      ),
    );
  });

  it('refuses control characters in one-line text only', () => {
    expect(stringProblem('a\nb', 'line')).toMatch(/control/);
    expect(stringProblem('a\nb\tc\u0001', 'multiline')).toBeNull();
  });

  const lone = fc.constantFrom('\ud83d', '\ude00');
  it('counts code points like the string iterator does', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.oneof(lone, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) }),
        (s) => {
          expect(codePoints(s)).toBe([...s].length);
        },
      ),
    );
  });
});

describe('boundedText', () => {
  const notes = boundedText('notes', { min: 0 });
  const name = boundedText('name');

  it('accepts the maximum in code points, four-byte characters included, and not one more', () => {
    const max = TEXT_LIMITS.name.max;
    expect(name.safeParse('😀'.repeat(max)).success).toBe(true);
    expect(issues(name.safeParse('😀'.repeat(max + 1)))[0]?.message).toMatch(`at most ${max}`);
    expect(issues(name.safeParse(''))[0]?.message).toBe('must not be empty');
    expect(notes.safeParse('').success).toBe(true);
  });
});

describe('numbers', () => {
  it('counts are safe integers within integer, and -0 is 0', () => {
    for (const bad of [2 ** 53 + 1, 2 ** 63, 2 ** 31, -1, 0.5, Number.POSITIVE_INFINITY, Number.NaN])
      expect(count.safeParse(bad).success, String(bad)).toBe(false);
    expect(Object.is(count.parse(-0), 0)).toBe(true);
    expect(count.parse(2_147_483_647)).toBe(2_147_483_647);
  });

  it('the ideal cycle time is what numeric(18,6) with CHECK > 0 stores', () => {
    for (const bad of [1e-7, 1e-300, 0, -0, -1, 31_536_000.5, 2 ** 53 + 1, 1e308])
      expect(idealCycleTimeS.safeParse(bad).success, String(bad)).toBe(false);
    expect(idealCycleTimeS.parse(0.000001)).toBe('0.000001');
    expect(idealCycleTimeS.parse(1.23456789)).toBe('1.234568');
    fc.assert(
      fc.property(fc.double({ min: 0.000001, max: 31_536_000, noNaN: true }), (v) => {
        const stored = idealCycleTimeS.parse(v);
        expect(stored).toMatch(/^\d{1,8}\.\d{6}$/);
        expect(Number(stored)).toBeGreaterThan(0);
      }),
    );
  });

  it('sensor values are any finite double, with one zero', () => {
    expect(finiteDouble.safeParse(Number.POSITIVE_INFINITY).success).toBe(false);
    expect(Object.is(finiteDouble.parse(-0), 0)).toBe(true);
    expect(finiteDouble.parse(Number.MIN_VALUE)).toBe(Number.MIN_VALUE);
  });
});

describe('attributes', () => {
  it('sizes numbers as numeric prints them', () => {
    expect(jsonbNumberBytes(1e300)).toBe(301);
    expect(jsonbNumberBytes(1.5e-7)).toBe('0.00000015'.length);
    expect(jsonbNumberBytes(-1e21)).toBe(23);
    expect(jsonbNumberBytes(123.456)).toBe(7);
    expect(jsonbNumberBytes(Number.MIN_VALUE)).toBe(2 + 323 + 1);
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(jsonbNumberBytes(v)).toBe(pgText(v).length);
      }),
    );
  });

  it('sizes any small object exactly as its jsonb text form', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })), (obj) => {
        const { bytes, problems } = inspectAttributes(obj);
        expect(problems).toEqual([]);
        expect(bytes).toBe(Buffer.byteLength(pgText(obj)));
      }),
    );
  });

  it('stops at the depth limit without recursion, however deep the body', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const r = equipmentBody.safeParse({ name: 'x', lineCode: 'L1', attributes: deep });
    const found = issues(r);
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe(['attributes', ...Array(ATTRIBUTES_LIMITS.maxDepth).fill('a')].join('/'));
  });

  it('names NUL and lone surrogates in keys and values with escaped pointer segments', () => {
    const r = equipmentBody.safeParse({
      name: 'x',
      lineCode: 'L1',
      attributes: { 'a/b~c': 'x\u0000', list: ['ok', '\ud800'], 'k\u0000': 1, fine: { 'x\udc00': true } },
    });
    expect(issues(r).map((i) => i.path)).toEqual([
      'attributes/k\u0000',
      'attributes/a~1b~0c',
      'attributes/list/1',
      'attributes/fine/x\udc00',
    ]);
  });

  it('refuses more than the byte limit as stored, not as sent', () => {
    const limit = ATTRIBUTES_LIMITS.maxBytes;
    const exact = { s: 'x'.repeat(limit - '{"s": ""}'.length) };
    expect(inspectAttributes(exact)).toEqual({ bytes: limit, problems: [] });
    expect(inspectAttributes({ s: `${exact.s}x` }).problems[0]?.message).toMatch(`at most ${limit} bytes`);
    // 6,000 numbers of 6 characters as sent (36 KB) are 1.8 MB as numeric prints them.
    const numbers = { n: Array(6_000).fill(1e300) };
    expect(JSON.stringify(numbers).length).toBeLessThan(limit);
    expect(inspectAttributes(numbers).problems).toHaveLength(1);
    expect(inspectAttributes([]).problems[0]?.message).toBe('must be a JSON object');
  });
});

describe('schemas use the bounds', () => {
  it('rejects NUL in maintenance notes at its pointer', () => {
    const r = batchOf(maintenanceRecord).safeParse({
      batchId: '5b3cfa43-2f6c-4f57-b7a8-0f0a4d0f7f6e',
      records: [
        {
          id: '0d7c8a3e-4c47-4e0e-9d52-3b0d52f8a0a1',
          equipmentCode: 'e1',
          kind: 'corrective',
          start: '2026-11-30T08:00:00Z',
          notes: 'a\u0000b',
        },
      ],
    });
    expect(issues(r).map((i) => i.path)).toEqual(['records/0/notes']);
  });

  it('rejects an ideal cycle time the column would round to zero', () => {
    for (const v of [1e-7, 1e-300])
      expect(issues(productBody.safeParse({ name: 'p', idealCycleTimeS: v })).map((i) => i.path)).toEqual([
        'idealCycleTimeS',
      ]);
  });
});
