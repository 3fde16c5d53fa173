import { z } from 'zod';

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * An ISO timestamp as Debezium writes a timestamptz (`…T05:00:00.123456Z`) to epoch
 * milliseconds. Digits below the millisecond are cut, never rounded: our columns are
 * timestamptz(3) and the ingest path truncates too (docs/oee.md §2), so rounding could move an
 * instant into the next millisecond.
 */
export function isoToEpochMs(text: string): number | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const ms = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  const t = Date.parse(`${m[1]}.${ms}${m[3]}`);
  return Number.isFinite(t) ? t : null;
}

export const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);

export const timestamptz = z.string().transform((s, ctx) => {
  const t = isoToEpochMs(s);
  if (t === null) {
    ctx.addIssue({ code: 'custom', message: `not an ISO timestamp: ${s.slice(0, 40)}` });
    return z.NEVER;
  }
  return t;
});

/** decimal.handling.mode=string: the exact digits, padded to the column's scale (`"30.000000"`). */
export const numeric = z.string().regex(/^-?\d+(\.\d+)?$/);

/** Debezium sends jsonb as its text; the row carries the parsed value. */
export const jsonb = z.string().transform((s, ctx): unknown => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'jsonb column is not valid JSON' });
    return z.NEVER;
  }
});

/** float8: a JSON number, or Debezium's spelling of the values JSON cannot hold. */
export const double = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);

export const int = z.number().int();
