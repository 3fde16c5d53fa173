import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  date,
  dateTime,
  ident,
  inList,
  join,
  quoteString,
  raw,
  Sql,
  type SqlValue,
  SqlValueError,
  sql,
  uuid,
} from '../src/index.js';

/** A reference reader of ClickHouse string literals, to check quoting without a server. */
function readLiteral(text: string): string {
  expect(text.startsWith("'") && text.endsWith("'")).toBe(true);
  const named: Record<string, string> = {
    n: '\n',
    t: '\t',
    '0': '\0',
    r: '\r',
    b: '\b',
    f: '\f',
    "'": "'",
    '\\': '\\',
  };
  let out = '';
  for (let i = 1; i < text.length - 1; i++) {
    const ch = text[i]!;
    if (ch === "'") throw new Error(`unescaped quote at ${i}`);
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = text[++i]!;
    if (next === 'x') {
      out += String.fromCharCode(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const value = named[next];
      if (value === undefined) throw new Error(`unexpected escape \\${next}`);
      out += value;
    }
  }
  return out;
}

function bindError(fn: () => unknown): SqlValueError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SqlValueError);
    expect((err as SqlValueError).code).toBe('TAKT_SQL_VALUE_INVALID');
    return err as SqlValueError;
  }
  throw new Error('expected a SqlValueError');
}

describe('strings', () => {
  it.each([
    ['plain', "'plain'"],
    ["it's", "'it\\'s'"],
    ['back\\slash', "'back\\\\slash'"],
    ['a\nb\tc\rd', "'a\\nb\\tc\\rd'"],
    ['nul\0byte', "'nul\\0byte'"],
    ['\b\f', "'\\b\\f'"],
    ['\x01\x1b\x1f', "'\\x01\\x1B\\x1F'"],
    ['\x7f', "'\x7f'"],
    ['Nováková 東京 🏭', "'Nováková 東京 🏭'"],
    ["'; DROP TABLE x; --", "'\\'; DROP TABLE x; --'"],
    ["\\'", "'\\\\\\''"],
    ['', "''"],
  ])('%j → %s', (input, expected) => {
    expect(quoteString(input)).toBe(expected);
    expect(sql`${input}`.text).toBe(expected);
  });

  it('round-trips through the literal grammar for any string', () => {
    const hostile = fc.constantFrom(
      "'",
      '\\',
      '\0',
      '\n',
      '\r',
      "\\'",
      "''",
      '--',
      '/*',
      '*/',
      ';',
      '`',
      '"',
      '\u2028',
    );
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: 'binary-ascii' }),
      fc.array(fc.oneof(hostile, fc.string()), { maxLength: 12 }).map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, (s) => {
        const literal = quoteString(s);
        expect(readLiteral(literal)).toBe(s);
        // Nothing after the literal can be swallowed by a line comment or continue the statement.
        // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting they are all escaped.
        expect(literal).not.toMatch(/[\x00-\x1f]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses lone surrogates, which would reach the server as U+FFFD', () => {
    expect(bindError(() => sql`${'a\uD800b'}`).message).toMatch(
      /\$\{0\}: string contains a lone UTF-16 surrogate/,
    );
    expect(quoteString('\uD83C\uDFED')).toBe("'🏭'");
  });
});

describe('numbers', () => {
  it.each([
    [0, '0'],
    [-0, '0'],
    [42, '42'],
    [-1, '(-1)'],
    [1.5, '1.5'],
    [-1.5, '(-1.5)'],
    [0.1, '0.1'],
    [1e-7, '1e-7'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [Number.MIN_SAFE_INTEGER, '(-9007199254740991)'],
    [2 ** 53, '9.007199254740992e+15'],
    [1e21, '1e+21'],
    [-1e300, '(-1e+300)'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [2.2250738585072014e-308, '2.2250738585072014e-308'],
    [5e-324, '(1 * 2.2250738585072014e-308 / 4503599627370496)'],
    [-2.225073858507201e-308, '(-4503599627370495 * 2.2250738585072014e-308 / 4503599627370496)'],
  ])('%d → %s', (n, expected) => {
    expect(sql`${n}`.text).toBe(expected);
  });

  it('keeps a negative value from forming a comment', () => {
    expect(sql`SELECT 5 -${-1}`.text).toBe('SELECT 5 -(-1)');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses %d', (n) => {
    expect(bindError(() => sql`${n}`).message).toMatch(/not a finite number/);
  });

  it('renders every finite double as a literal that denotes it', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const text = sql`${n}`.text;
        const m = /^\((-?\d+) \* 2\.2250738585072014e-308 \/ 4503599627370496\)$/.exec(text);
        const value = m
          ? (Number(m[1]) * 2.2250738585072014e-308) / 4503599627370496
          : Number(text.replace(/^\((.*)\)$/, '$1'));
        expect(value).toBe(n === 0 ? 0 : n);
      }),
      { numRuns: 2000 },
    );
  });

  it('renders bigints across Int64 and UInt64, and no further', () => {
    expect(sql`${18446744073709551615n}`.text).toBe('18446744073709551615');
    expect(sql`${-9223372036854775808n}`.text).toBe('(-9223372036854775808)');
    expect(sql`${0n}`.text).toBe('0');
    expect(bindError(() => sql`${18446744073709551616n}`).message).toMatch(/Int64\.\.UInt64/);
    expect(bindError(() => sql`${-9223372036854775809n}`).message).toMatch(/Int64\.\.UInt64/);
  });
});

describe('other values', () => {
  it('renders booleans, NULL and arrays', () => {
    expect(sql`${true}, ${false}, ${null}`.text).toBe('1, 0, NULL');
    expect(sql`${[1, 'a', null, [2, -3]]}`.text).toBe("[1, 'a', NULL, [2, (-3)]]");
    expect(sql`${[]}`.text).toBe('[]');
    expect(sql`${[dateTime(0), uuid('123E4567-E89B-12D3-A456-426614174000')]}`.text).toBe(
      "[toDateTime(0, 'UTC'), toUUID('123e4567-e89b-12d3-a456-426614174000')]",
    );
  });

  it.each([
    [undefined, /\$\{0\}: undefined \(use null for NULL\)/],
    [{ a: 1 }, /\$\{0\}: an object \(\[object Object\]\)/],
    [new Date(0), /\$\{0\}: a Date \(wrap it in dateTime\(\) or date\(\)\)/],
    [Symbol('s'), /\$\{0\}: a symbol/],
    [() => 1, /\$\{0\}: a function/],
    [new Map(), /an object \(\[object Map\]\)/],
    [Buffer.from('x'), /an object/],
  ])('refuses %s', (value, pattern) => {
    expect(bindError(() => sql`${value as unknown as SqlValue}`).message).toMatch(pattern);
  });

  it('names the position of a bad value inside an array', () => {
    expect(bindError(() => sql`${1} ${[1, [2, Number.NaN]]}`).message).toMatch(
      /^cannot bind \$\{1\}\[1\]\[1\]: NaN is not a finite number$/,
    );
  });
});

describe('typed wrappers', () => {
  it('dateTime takes epoch milliseconds or a Date, floored to seconds, in UTC', () => {
    expect(dateTime(Date.UTC(2024, 0, 2, 3, 4, 5, 999)).text).toBe("toDateTime(1704164645, 'UTC')");
    expect(dateTime(new Date('2024-01-02T03:04:05.999Z')).text).toBe("toDateTime(1704164645, 'UTC')");
    expect(dateTime(0).text).toBe("toDateTime(0, 'UTC')");
    expect(dateTime(Date.UTC(2105, 11, 31, 23, 59, 59)).text).toBe("toDateTime(4291747199, 'UTC')");
    for (const bad of [-1, Date.UTC(2106, 0, 1), Number.NaN, new Date('nope')]) {
      expect(() => dateTime(bad)).toThrow(SqlValueError);
    }
  });

  it('date takes YYYY-MM-DD, epoch milliseconds or a Date (its UTC day)', () => {
    expect(date('2024-02-29').text).toBe("toDate('2024-02-29')");
    expect(date(Date.UTC(2024, 1, 29, 23, 59)).text).toBe("toDate('2024-02-29')");
    expect(date(new Date('2024-03-01T00:30:00+02:00')).text).toBe("toDate('2024-02-29')");
    for (const bad of [
      '2023-02-29',
      '2024-13-01',
      '2024-1-01',
      "2024-01-01'",
      '1969-12-31',
      '2106-01-01',
      -1,
      1e20,
    ]) {
      expect(() => date(bad)).toThrow(SqlValueError);
    }
  });

  it('uuid validates and lowercases', () => {
    expect(uuid('123E4567-E89B-12D3-A456-426614174000').text).toBe(
      "toUUID('123e4567-e89b-12d3-a456-426614174000')",
    );
    for (const bad of [
      '',
      '123e4567e89b12d3a456426614174000',
      "123e4567-e89b-12d3-a456-42661417400'",
      'x'.repeat(36),
    ]) {
      expect(() => uuid(bad)).toThrow(/uuid\(\): expected 8-4-4-4-12/);
    }
  });

  it('ident validates and backquotes, several parts qualify', () => {
    expect(ident('oee_bucket_v2').text).toBe('`oee_bucket_v2`');
    expect(ident('takt', 'fact_shift').text).toBe('`takt`.`fact_shift`');
    for (const bad of ['', '1abc', 'a b', 'a`b', 'a.b', 'a-b', "x'; DROP", 'é']) {
      expect(() => ident(bad)).toThrow(/invalid identifier/);
    }
    expect(() => ident()).toThrow(SqlValueError);
  });

  it('inList renders a parenthesized list for IN and refuses an empty one', () => {
    expect(sql`x IN ${inList([1, 'a', -2])}`.text).toBe("x IN (1, 'a', (-2))");
    expect(() => inList([])).toThrow(/empty list/);
    expect(bindError(() => inList([1, undefined as unknown as SqlValue])).message).toMatch(
      /inList\[1\]: undefined/,
    );
  });
});

describe('composition', () => {
  it('nests fragments without re-escaping them', () => {
    const where = sql`tenant_id = ${"o'neil"} AND ts >= ${dateTime(0)}`;
    expect(sql`SELECT * FROM ${ident('t')} WHERE ${where} LIMIT ${10}`.text).toBe(
      "SELECT * FROM `t` WHERE tenant_id = 'o\\'neil' AND ts >= toDateTime(0, 'UTC') LIMIT 10",
    );
  });

  it('joins values and fragments', () => {
    expect(join([1, 'b', ident('c')]).text).toBe("1, 'b', `c`");
    expect(join([sql`a = ${1}`, sql`b = ${'x'}`], ' AND ').text).toBe("a = 1 AND b = 'x'");
    expect(join([1, 2], raw(' + ')).text).toBe('1 + 2');
    expect(join([]).text).toBe('');
    expect(() => join([undefined as unknown as SqlValue])).toThrow(/join\[0\]: undefined/);
  });

  it('raw passes trusted constants through', () => {
    const direction = Math.random() > 2 ? 'ASC' : 'DESC';
    expect(sql`ORDER BY ts ${raw(direction)}`.text).toBe('ORDER BY ts DESC');
    const input: string = 'x; DROP TABLE t';
    // @ts-expect-error raw() refuses a value typed string: only constants.
    expect(raw(input).text).toBe(input);
    // @ts-expect-error nor as a join separator.
    expect(join([1, 2], input).text).toBe(`1${input}2`);
  });

  it('keeps template text as written and stringifies to its text', () => {
    expect(sql`SELECT 'a\\b'`.text).toBe("SELECT 'a\\b'");
    expect(String(sql`SELECT ${1}`)).toBe('SELECT 1');
    expect(sql`SELECT 1`).toBeInstanceOf(Sql);
  });

  it('cannot be forged or called as a plain function', () => {
    expect(() => new Sql('DROP TABLE t', Symbol('trusted sql'))).toThrow(SqlValueError);
    expect(() => sql(['SELECT ', ''] as unknown as TemplateStringsArray, 'x')).toThrow(/tagged template/);
    expect(Object.isFrozen(sql`x`)).toBe(true);
    expect(() => sql`SELECT '\x'`).toThrow(/invalid escape/);
  });
});
