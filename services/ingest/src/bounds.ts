import { ATTRIBUTES_LIMITS, NUMBER_LIMITS, TEXT_LIMITS, type TextField } from '@takt/config';
import { z } from 'zod';

/*
 * The builders every ingest schema takes its bounds from. The numbers live in @takt/config's
 * limits module; the reasons are in docs/limits.md.
 */

type TextKind = 'ascii' | 'line' | 'multiline';

/**
 * What is wrong with a string PostgreSQL and Kafka must carry unchanged, or null. NUL cannot be
 * stored in text or jsonb, and a lone UTF-16 surrogate would silently become U+FFFD in UTF-8.
 * One-line text also refuses the other control characters.
 */
export function stringProblem(s: string, kind: TextKind = 'multiline'): string | null {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return `must not contain NUL (U+0000), found at index ${i}`;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `must be well-formed Unicode: lone surrogate U+${c.toString(16).toUpperCase()} at index ${i}`;
    }
    if (kind !== 'multiline' && (c < 0x20 || c === 0x7f)) return 'must not contain control characters';
  }
  return null;
}

/** Unicode code points, what the text limits count (a pair of surrogates is one). */
export function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * Free-form text bounded by TEXT_LIMITS[field]: at least `min` and at most `max` code points,
 * no NUL, no lone surrogate, and for one-line fields no control characters.
 */
export function boundedText(field: TextField, { min = 1 }: { min?: number } = {}) {
  const { max, kind } = TEXT_LIMITS[field];
  // JSON Schema counts code points too, so OpenAPI states the same bound.
  const schema = z.string().meta({ minLength: min, maxLength: max });
  return schema.superRefine((s, ctx) => {
    const problem = stringProblem(s, kind);
    if (problem !== null) {
      ctx.addIssue({ code: 'custom', message: problem });
      return;
    }
    const n = s.length <= max ? s.length : codePoints(s);
    if (n < min)
      ctx.addIssue({
        code: 'custom',
        message: min === 1 ? 'must not be empty' : `must have at least ${min} characters`,
      });
    if (n > max) ctx.addIssue({ code: 'custom', message: `must be at most ${max} characters (has ${n})` });
  });
}

/** Text from a fixed ASCII alphabet, e.g. codes and tags; the pattern rules out NUL and surrogates. */
export function asciiText(field: TextField, charClass: string) {
  const { max } = TEXT_LIMITS[field];
  return z.string().regex(new RegExp(`^${charClass}{1,${max}}$`), `must match ${charClass}{1,${max}}`);
}

// -0 equals 0 in SQL but not in JSON text or ClickHouse; one zero keeps re-posts identical.
const noNegativeZero = (n: number) => n + 0;

/** An `integer` column with CHECK >= 0: a safe integer from 0 to 2^31 - 1. */
export const count = z
  .number()
  .int(`must be an integer from ${NUMBER_LIMITS.count.min} to ${NUMBER_LIMITS.count.max}`)
  .min(
    NUMBER_LIMITS.count.min,
    `must be an integer from ${NUMBER_LIMITS.count.min} to ${NUMBER_LIMITS.count.max}`,
  )
  .max(
    NUMBER_LIMITS.count.max,
    `must be an integer from ${NUMBER_LIMITS.count.min} to ${NUMBER_LIMITS.count.max}`,
  )
  .transform(noNegativeZero);

const cycle = NUMBER_LIMITS.idealCycleTimeS;
const cycleMessage = `must be from ${cycle.min.toFixed(cycle.decimals)} to ${cycle.max} seconds`;

/**
 * `numeric(18,6)` with CHECK > 0, as the exact decimal string PostgreSQL will store: more decimals
 * are rounded to six here, so the value compared for "unchanged" is the stored one.
 */
export const idealCycleTimeS = z
  .number()
  .min(cycle.min, cycleMessage)
  .max(cycle.max, cycleMessage)
  .transform((n) => n.toFixed(cycle.decimals));

/** A `double precision` reading: any finite double (JSON's 1e400 parses to Infinity). */
export const finiteDouble = z.number().finite('must be a finite number').transform(noNegativeZero);

/** UTF-8 bytes of a string as PostgreSQL's jsonb output escapes it, quotes included. */
function jsonStringBytes(s: string): number {
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x0c || c === 0x0a || c === 0x0d || c === 0x09)
      n += 2;
    else if (c < 0x20) n += 6;
    else if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4; // a surrogate pair (lone ones are refused before sizes matter)
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Length of a JSON number as jsonb stores it: `numeric` prints plain decimals, so the 5 bytes of
 * `1e300` become 301. The input is JavaScript's shortest form, which is what Prisma sends.
 */
export function jsonbNumberBytes(value: number): number {
  const text = String(value);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text.length;
  const [, sign = '', int = '', frac = '', exp = '0'] = m;
  const digits = int.length + frac.length;
  const point = int.length + Number(exp);
  if (point >= digits) return sign.length + point;
  if (point <= 0) return sign.length + 2 - point + digits;
  return sign.length + digits + 1;
}

export interface AttributeProblem {
  /** Path below `attributes`, each segment already escaped for RFC 6901. */
  path: string[];
  message: string;
}

const escapeSegment = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * Sizes and checks a parsed JSON object the way PostgreSQL will store it, without recursion (a
 * body nested 10,000 deep must not overflow the stack): returns the bytes of its jsonb text form
 * (`{"a": 1, "b": [1, 2]}`), and the problems, at most `maxProblems`. Sizing stops past maxBytes.
 */
export function inspectAttributes(
  value: unknown,
  { maxBytes = ATTRIBUTES_LIMITS.maxBytes, maxDepth = ATTRIBUTES_LIMITS.maxDepth, maxProblems = 20 } = {},
): { bytes: number; problems: AttributeProblem[] } {
  const problems: AttributeProblem[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { bytes: 0, problems: [{ path: [], message: 'must be a JSON object' }] };
  }
  let bytes = 0;
  const stack: { value: unknown; path: string[]; depth: number }[] = [{ value, path: [], depth: 1 }];
  const report = (path: string[], message: string) => {
    if (problems.length < maxProblems) problems.push({ path, message });
  };
  while (stack.length > 0 && problems.length < maxProblems && bytes <= maxBytes) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = stringProblem(v);
      if (problem !== null) report(path, problem);
      bytes += jsonStringBytes(v);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) report(path, 'must be a finite number');
      bytes += jsonbNumberBytes(v);
    } else if (typeof v === 'boolean' || v === null) {
      bytes += v === false ? 5 : 4;
    } else if (typeof v === 'object') {
      if (depth > maxDepth) {
        report(path, `nests deeper than ${maxDepth} levels`);
        continue;
      }
      const entries: [string | null, unknown][] = Array.isArray(v)
        ? v.map((x) => [null, x])
        : Object.entries(v as Record<string, unknown>);
      // "{}" or "[]", ", " between items, and a key's quotes plus ": ". Children are pushed last
      // first, so problems come out in document order.
      bytes += 2 + Math.max(0, entries.length - 1) * 2;
      for (let i = entries.length - 1; i >= 0 && bytes <= maxBytes; i--) {
        const [key, child] = entries[i]!;
        const segment = key === null ? String(i) : escapeSegment(key);
        if (key !== null) {
          const problem = stringProblem(key);
          if (problem !== null) report([...path, segment], `key ${problem}`);
          bytes += jsonStringBytes(key) + 2;
        }
        stack.push({ value: child, path: [...path, segment], depth: depth + 1 });
      }
    } else {
      report(path, 'must be a JSON value');
    }
  }
  if (bytes > maxBytes) report([], `must be at most ${maxBytes} bytes as stored (jsonb text), has more`);
  return { bytes, problems };
}

/**
 * Free-form `attributes`: a JSON object bounded by ATTRIBUTES_LIMITS. Issue paths are escaped
 * segments because the validation frame joins them with "/" as they are.
 */
export const attributes = z
  .unknown()
  .meta({
    type: 'object',
    description: `at most ${ATTRIBUTES_LIMITS.maxBytes} bytes as stored (jsonb text), ${ATTRIBUTES_LIMITS.maxDepth} levels deep`,
  })
  .transform((value, ctx) => {
    const { problems } = inspectAttributes(value);
    for (const p of problems) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    return problems.length > 0 ? z.NEVER : (value as Record<string, unknown>);
  });
