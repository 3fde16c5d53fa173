/**
 * The one place where values become SQL text. ClickHouse 18.16 has no query parameters, so
 * every bound value is rendered here as a literal; nothing else may concatenate input into SQL.
 *
 *   sql`SELECT count() FROM ${ident('oee_bucket_v2')} WHERE tenant_id = ${tenantId}
 *       AND bucket >= ${dateTime(from)} AND equipment_id IN ${inList(ids)}`
 */

export class SqlValueError extends Error {
  readonly code = 'TAKT_SQL_VALUE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'SqlValueError';
  }
}

const TRUSTED = Symbol('trusted sql');

/** SQL text whose every interpolated value went through this module. */
export class Sql {
  readonly text: string;
  constructor(text: string, token: symbol) {
    if (token !== TRUSTED) {
      throw new SqlValueError(
        'Sql is made by sql``, raw(), ident(), join(), inList() and the typed wrappers',
      );
    }
    this.text = text;
    Object.freeze(this);
  }
  toString(): string {
    return this.text;
  }
}

export type SqlValue = string | number | bigint | boolean | null | Sql | readonly SqlValue[];

const trusted = (text: string): Sql => new Sql(text, TRUSTED);

// ClickHouse's string literal grammar: backslash escapes, `\xHH` for any byte. Everything else,
// including non-ASCII, goes through as UTF-8. Measured on 18.16: all of these round-trip.
const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '\n': '\\n',
  '\t': '\\t',
  '\0': '\\0',
  '\r': '\\r',
  '\b': '\\b',
  '\f': '\\f',
};
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is escaped.
const NEEDS_ESCAPE = /[\\'\x00-\x1f]/g;
// Node would send a lone surrogate as U+FFFD, so the server would see a different string.
const LONE_SURROGATE = /\p{Surrogate}/u;

export function quoteString(value: string): string {
  if (LONE_SURROGATE.test(value)) throw new SqlValueError('string contains a lone UTF-16 surrogate');
  const body = value.replace(
    NEEDS_ESCAPE,
    (ch) => NAMED_ESCAPES[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`,
  );
  return `'${body}'`;
}

const MIN_NORMAL = 2.2250738585072014e-308;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

// Negative literals are parenthesized: `x -${-1}` would otherwise render `x --1`, a comment.
const signed = (text: string, negative: boolean): string => (negative ? `(${text})` : text);

function renderNumber(n: number): string {
  if (!Number.isFinite(n)) throw new SqlValueError(`${n} is not a finite number`);
  // -0 usually comes from Math.round(-0.2) meant as an integer; '-0.' would be a Float64 literal.
  if (n === 0) return '0';
  if (Number.isSafeInteger(n)) return signed(String(n), n < 0);
  if (Math.abs(n) < MIN_NORMAL) {
    // 18.16 rejects subnormal literals (syntax error), so build the value exactly: n = m·2^-1022 / 2^52.
    const m = n * 2 ** 1022 * 2 ** 52;
    return `(${m} * 2.2250738585072014e-308 / 4503599627370496)`;
  }
  // Beyond 2^53 a number is a float whatever it looks like; the exponent keeps ClickHouse from
  // reading it as UInt64 (or failing above 2^64). Use bigint for exact 64-bit integers.
  const text = Number.isInteger(n) ? n.toExponential() : String(n);
  return signed(text, n < 0);
}

function renderBigint(n: bigint): string {
  if (n < INT64_MIN || n > UINT64_MAX) throw new SqlValueError('bigint outside Int64..UInt64');
  return signed(n.toString(), n < 0n);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined (use null for NULL)';
  if (value instanceof Date) return 'a Date (wrap it in dateTime() or date())';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return `a ${typeof value}`;
}

function render(value: unknown, at: string): string {
  try {
    switch (typeof value) {
      case 'string':
        return quoteString(value);
      case 'number':
        return renderNumber(value);
      case 'bigint':
        return renderBigint(value);
      case 'boolean':
        return value ? '1' : '0';
    }
    if (value === null) return 'NULL';
    if (value instanceof Sql) return value.text;
    if (Array.isArray(value)) return `[${value.map((v, i) => render(v, `${at}[${i}]`)).join(', ')}]`;
  } catch (err) {
    if (err instanceof SqlValueError && !err.message.startsWith('cannot bind')) {
      throw new SqlValueError(`cannot bind ${at}: ${err.message}`);
    }
    throw err;
  }
  throw new SqlValueError(`cannot bind ${at}: ${describe(value)}`);
}

/** Tagged template: literal SQL text with every `${value}` rendered as a safe literal. */
export function sql(strings: TemplateStringsArray, ...values: readonly SqlValue[]): Sql {
  if (!Array.isArray(strings) || !Array.isArray((strings as { raw?: unknown }).raw)) {
    throw new SqlValueError('sql must be used as a tagged template: sql`...`');
  }
  // A tagged template keeps going past an invalid escape such as `\x` and leaves that part undefined.
  if (strings.some((part) => part === undefined))
    throw new SqlValueError('sql`…` contains an invalid escape sequence');
  let text = strings[0]!;
  values.forEach((value, i) => {
    text += render(value, `\${${i}}`) + strings[i + 1]!;
  });
  return trusted(text);
}

// Types `raw(x)` with `x: string` as an error: only literal (constant) text is accepted.
type Constant<T extends string> = string extends T ? never : T;

/** Trusted constant SQL, never input. The type accepts string literals only. */
export function raw<T extends string>(fragment: Constant<T>): Sql {
  if (typeof fragment !== 'string') throw new SqlValueError('raw() takes a string');
  return trusted(fragment);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isIdentifier(name: string): boolean {
  return IDENT.test(name);
}

/** A backquoted identifier; several parts make a qualified name: ident('db', 'table') → `db`.`table`. */
export function ident(...parts: readonly string[]): Sql {
  if (parts.length === 0) throw new SqlValueError('ident() needs a name');
  for (const part of parts) {
    if (typeof part !== 'string' || !IDENT.test(part)) {
      throw new SqlValueError(`invalid identifier ${JSON.stringify(String(part).slice(0, 64))}`);
    }
  }
  return trusted(parts.map((p) => `\`${p}\``).join('.'));
}

/** Values joined by a separator (default `, `). */
export function join<T extends string = ', '>(
  values: readonly SqlValue[],
  separator: Sql | Constant<T> = raw(', '),
): Sql {
  const sep = separator instanceof Sql ? separator.text : raw<T>(separator).text;
  return trusted(values.map((v, i) => render(v, `join[${i}]`)).join(sep));
}

/**
 * A parenthesized list for `IN`. 18.16 rejects `x IN [..]` (type mismatch) and `x IN ()`
 * (syntax error); an empty list throws so the caller decides what "in nothing" means.
 */
export function inList(values: readonly SqlValue[]): Sql {
  if (values.length === 0) throw new SqlValueError('inList() of an empty list');
  return trusted(`(${values.map((v, i) => render(v, `inList[${i}]`)).join(', ')})`);
}

// 18.16 renders instants past 2105-12-31 wrongly (its date table ends there), and DateTime is UInt32.
const MAX_SECONDS = 4_291_747_199;

function toMillis(value: number | Date, what: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new SqlValueError(`${what}: not a valid time`);
  return ms;
}

/**
 * An instant as `toDateTime(<unix seconds>, 'UTC')`, from epoch milliseconds or a Date.
 * Sub-second parts are floored: DateTime has one-second resolution. 18.16 parses neither ISO
 * strings with `Z` nor DateTime64, hence integer seconds.
 */
export function dateTime(value: number | Date): Sql {
  const seconds = Math.floor(toMillis(value, 'dateTime()') / 1000);
  if (seconds < 0 || seconds > MAX_SECONDS) {
    throw new SqlValueError('dateTime(): outside 1970-01-01 .. 2105-12-31 (DateTime range on 18.16)');
  }
  return trusted(`toDateTime(${seconds}, 'UTC')`);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date as `toDate('YYYY-MM-DD')`, from 'YYYY-MM-DD', epoch milliseconds or a Date (its UTC day). */
export function date(value: string | number | Date): Sql {
  let day: string;
  if (typeof value === 'string') {
    const m = ISO_DATE.exec(value);
    const parsed = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
    if (!parsed || parsed.toISOString().slice(0, 10) !== value) {
      throw new SqlValueError('date(): expected a real calendar date as YYYY-MM-DD');
    }
    day = value;
  } else {
    const ms = toMillis(value, 'date()');
    if (ms < -8.64e15 || ms > 8.64e15) throw new SqlValueError('date(): not a valid time');
    day = new Date(ms).toISOString().slice(0, 10);
  }
  // 18.16 turns days past 2105-12-31 into 0000-00-00 without an error.
  if (day < '1970-01-01' || day > '2105-12-31') {
    throw new SqlValueError('date(): outside 1970-01-01 .. 2105-12-31 (Date range on 18.16)');
  }
  return trusted(`toDate('${day}')`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID as `toUUID('…')`, lowercased. */
export function uuid(value: string): Sql {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new SqlValueError('uuid(): expected 8-4-4-4-12 hexadecimal digits');
  }
  return trusted(`toUUID('${value.toLowerCase()}')`);
}
