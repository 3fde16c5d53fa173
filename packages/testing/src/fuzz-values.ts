import fc from 'fast-check';

/**
 * Hostile values for the HTTP fuzzer, as JSON text: some (2^63, 1e400, -0) cannot be written
 * by JSON.stringify, and the body must carry exactly what a hostile client would send.
 */
export type Raw = { raw: string };

const raw = (value: unknown): Raw => ({ raw: JSON.stringify(value) });
const text = (s: string): Raw => raw(s);

/** Numbers JavaScript, PostgreSQL and ClickHouse each read differently. */
export const NUMBER_TEXTS = [
  '9007199254740993',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775809',
  '18446744073709551616',
  '2147483648',
  '-2147483649',
  '1e400',
  '-1e400',
  '1e-400',
  '5e-324',
  '1.7976931348623157e308',
  '-0',
  '0.000000000000000000000001',
  '1e21',
  '123456789012345678901234567890.5',
  '-1',
  '0',
  '0.5',
];

/** Dates that parse in some libraries and not in others, or land outside any sane range. */
export const DATE_TEXTS = [
  '2026-02-30T00:00:00Z',
  '2026-11-30T24:00:00Z',
  '2016-12-31T23:59:60Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '1900-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '+275760-09-13T00:00:00.001Z',
  '9999-12-31T23:59:59.999999999Z',
  '2262-04-11T23:47:16.854775808Z',
  '2106-02-07T06:28:16Z',
  '2026-11-30T08:00:00+99:00',
  '2026-11-30T08:00:00',
  '2026-11-30',
  '2026-11-30T08:00:00.1234567890123Z',
  'Mon, 30 Nov 2026 08:00:00 GMT',
  '1764489600',
];

const HUGE = [65, 129, 201, 257, 4_001, 65_537, 1_000_001];

/** Strings with control characters, broken UTF-16 and sizes just past every usual bound. */
export const stringTexts: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff',
    'x\ud83d',
    '\udc00\ud800',
    '\u202e',
    '\ufeff',
    '\n',
    "'; DROP TABLE site; --",
    '%s%n',
    '../../etc/passwd',
    'NaN',
    'Infinity',
    'true',
    'null',
    '😀',
    'RUNNING',
    'A'.repeat(64),
    'not-a-uuid',
    '00000000-0000-0000-0000-000000000000',
    'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
    '6ba7b8109dad11d180b400c04fd430c8',
  ),
  fc.constantFrom(...HUGE).map((n) => 'a'.repeat(n)),
  fc.constantFrom(...HUGE).map((n) => '😀'.repeat(Math.ceil(n / 2))),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...NUMBER_TEXTS, ...DATE_TEXTS),
);

/** Any JSON type in place of another. */
const typeSwaps: fc.Arbitrary<Raw> = fc.oneof(
  fc.constantFrom(null, true, false, 0, 1, [], {}, [1, 2], { a: 1 }, '1', [[]]).map(raw),
  fc.jsonValue({ maxDepth: 3 }).map(raw),
);

export const numberRaws: fc.Arbitrary<Raw> = fc.oneof(
  fc.constantFrom(...NUMBER_TEXTS).map((raw) => ({ raw })),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(raw),
  fc.integer().map(raw),
  fc.constantFrom(...NUMBER_TEXTS).map(text),
);

export const stringRaws: fc.Arbitrary<Raw> = stringTexts.map(text);

/** Schema-aware: strings near the schema's own bounds, then the generic pools. */
export function hostileFor(schema: JsonSchema | undefined): fc.Arbitrary<Raw> {
  const type = schema?.type;
  const bounds: Raw[] = [];
  for (const n of [schema?.maxLength, schema?.maximum, schema?.maxItems]) {
    if (typeof n !== 'number') continue;
    if (type === 'string') bounds.push(text('b'.repeat(n + 1)), text('b'.repeat(n)));
    else if (type === 'array')
      bounds.push({
        raw: `[${Array(n + 1)
          .fill('1')
          .join(',')}]`,
      });
    else bounds.push({ raw: String(n + 1) }, { raw: String(n + 0.5) });
  }
  if (typeof schema?.minimum === 'number') bounds.push({ raw: String(schema.minimum - 1) });
  for (const e of schema?.enum ?? []) {
    if (typeof e === 'string') bounds.push(text(e.toUpperCase()), text(` ${e}`), text(`${e}\u0000`));
  }
  const own = bounds.length > 0 ? [fc.constantFrom(...bounds)] : [];
  const typed =
    type === 'integer' || type === 'number' ? [numberRaws] : type === 'string' ? [stringRaws] : [];
  return fc.oneof(...own, ...typed, typeSwaps, stringRaws, numberRaws);
}

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}
