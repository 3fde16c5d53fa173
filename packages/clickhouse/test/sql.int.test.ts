import { stack } from '@takt/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createClickHouse,
  date,
  dateTime,
  ident,
  inList,
  join,
  type SqlValue,
  sql,
  uuid,
} from '../src/index.js';

// What matters is what the real server parses: each property renders a batch of literals,
// sends them in one SELECT and compares what comes back with what went in.
const s = stack();
const ch = createClickHouse({
  url: s.clickhouseUrl,
  username: s.clickhouseUser,
  password: s.clickhousePassword,
});
afterAll(() => ch.close());

type Row = Record<string, unknown>;

async function selectAll(exprs: readonly SqlValue[]): Promise<Row> {
  const columns = join(exprs.map((e, i) => sql`${e} AS ${ident(`v${i}`)}`));
  const rows = await ch.query<Row>(sql`SELECT ${columns}`);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

const hostile = fc.constantFrom(
  "'",
  "''",
  '\\',
  "\\'",
  '\0',
  '\n',
  '\r',
  '\t',
  '\b',
  '\f',
  '\x01',
  '\x1b',
  '\x7f',
  '--',
  '/*',
  '*/',
  ';',
  '`',
  '"',
  '?',
  '{x:String}',
  "'; DROP TABLE x; --",
  '\\x41',
  '\\0',
  '\u00e9',
  'e\u0301',
  '\u2028',
  '\uFEFF',
  '東京',
  '🏭',
);
const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'binary-ascii' }),
  fc.string({ unit: 'grapheme' }),
  fc.array(fc.oneof(hostile, fc.string()), { maxLength: 10 }).map((parts) => parts.join('')),
);

const utf8Hex = (v: string) => Buffer.from(v, 'utf8').toString('hex').toUpperCase();

describe('literals against the real ClickHouse', () => {
  it('strings come back exactly, byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 25 }), async (values) => {
        const row = await selectAll(values.flatMap((v) => [v, sql`hex(${v})`]));
        values.forEach((v, i) => {
          expect(row[`v${2 * i}`]).toBe(v);
          expect(row[`v${2 * i + 1}`]).toBe(utf8Hex(v));
        });
      }),
      { numRuns: 200 },
    );
  });

  it('every byte below 0x20 and every named escape round-trips', async () => {
    const all = Array.from({ length: 0x80 }, (_, c) => String.fromCharCode(c));
    const row = await selectAll(all.map((c) => sql`hex(${c})`));
    for (const [i, c] of all.entries()) expect(row[`v${i}`]).toBe(utf8Hex(c));
  });

  it('an injection attempt stays a value', async () => {
    const attack = "x' AS v0, 1 AS pwned FROM system.one; DROP TABLE x; --";
    const row = await selectAll([attack]);
    expect(row).toEqual({ v0: attack });
  });

  it('a long literal round-trips; past max_query_size (256 KiB on 18.16) it fails, never truncates', async () => {
    const long = "'\\\n".repeat(20_000);
    expect(await selectAll([long])).toEqual({ v0: long });
    const err = await ch.query(sql`SELECT ${'x'.repeat(300_000)} AS v`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 62, retriable: false });
  });

  it('doubles are parsed to the exact same bits', async () => {
    const bits = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(n === 0 ? 0 : n);
      return b.toString('hex').toUpperCase();
    };
    const special = fc.constantFrom(
      5e-324,
      -5e-324,
      2.225073858507201e-308,
      2.2250738585072014e-308,
      Number.MAX_VALUE,
      2 ** 53,
      2 ** 64,
      0.1,
      -0,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(special, fc.double({ noNaN: true, noDefaultInfinity: true })), {
          minLength: 1,
          maxLength: 40,
        }),
        async (values) => {
          // reinterpretAsString drops trailing zero bytes, so pad back to 8.
          const row = await selectAll(values.map((v) => sql`hex(reinterpretAsString(toFloat64(${v})))`));
          for (const [i, v] of values.entries()) expect(String(row[`v${i}`]).padEnd(16, '0')).toBe(bits(v));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('safe integers and bigints keep every digit', async () => {
    const int = fc.oneof(
      fc.maxSafeInteger(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
      fc.constantFrom(-(2n ** 63n), 2n ** 64n - 1n, 2n ** 63n, -1, 0),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(int, { minLength: 1, maxLength: 40 }), async (values) => {
        const row = await selectAll(values.map((v) => sql`toString(${v})`));
        for (const [i, v] of values.entries()) expect(row[`v${i}`]).toBe(String(v));
      }),
      { numRuns: 50 },
    );
  });

  it('a negative value after a minus is arithmetic, not a comment', async () => {
    const rows = await ch.query<{ v: number }>(sql`SELECT 5 -${-1} AS v`);
    expect(rows).toEqual([{ v: 6 }]);
  });

  it('dateTime, date and uuid mean what they say', async () => {
    const ms = fc.integer({ min: 1000, max: Date.UTC(2105, 11, 31, 23, 59, 59, 999) });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(ms, fc.uuid()), { minLength: 1, maxLength: 20 }), async (values) => {
        const row = await selectAll(
          values.flatMap(([t, id]) => [
            sql`toUInt32(${dateTime(t)})`,
            sql`toString(${dateTime(new Date(t))})`,
            sql`toUInt16(${date(t)})`,
            sql`toString(${uuid(id.toUpperCase())})`,
          ]),
        );
        values.forEach(([t, id], i) => {
          expect(Number(row[`v${4 * i}`])).toBe(Math.floor(t / 1000));
          expect(row[`v${4 * i + 1}`]).toBe(new Date(t).toISOString().slice(0, 19).replace('T', ' '));
          expect(Number(row[`v${4 * i + 2}`])).toBe(Math.floor(t / 86_400_000));
          expect(row[`v${4 * i + 3}`]).toBe(id.toLowerCase());
        });
      }),
      { numRuns: 50 },
    );
  });

  it('arrays, NULL, booleans and IN lists', async () => {
    const row = await selectAll([
      ['a', "b'", null],
      [[1, -2], []],
      null,
      true,
      sql`${'b'} IN ${inList(['a', 'b'])}`,
      sql`${3} IN ${inList([1, 2])}`,
    ]);
    expect(row).toEqual({ v0: ['a', "b'", null], v1: [[1, -2], []], v2: null, v3: 1, v4: 1, v5: 0 });
  });
});
