import { createHash } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class CanonicalJsonError extends Error {
  readonly code = 'TAKT_AUDIT_CANONICAL_JSON';
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalJsonError';
  }
}

/**
 * Canonical JSON, the byte form every audit hash covers, so a third party can recompute a hash
 * with any language's JSON library. It is RFC 8785 (JCS) for the values the audit log holds:
 *
 * - no whitespace; UTF-8 output;
 * - object keys sorted by UTF-16 code units (plain `<` on JS strings), members whose value is
 *   `undefined` omitted;
 * - strings escaped as ECMAScript JSON.stringify does (`"`, `\`, control characters; U+2028/9
 *   and non-ASCII kept literal);
 * - numbers in the shortest form that round-trips to the same IEEE 754 double
 *   (ECMAScript Number#toString: `1`, `0.1`, `1e+21`), `-0` as `0`; NaN and ±Infinity are
 *   rejected; integers outside ±(2^53 − 1) and bigints are written as decimal strings, because
 *   most JSON parsers would silently round them;
 * - Date values as RFC 3339 UTC with milliseconds (`2026-03-01T05:00:00.123Z`); the audit log
 *   stores every instant in that form already, so hashed events hold strings, not Dates.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`not a finite number: ${value}`);
      if (Number.isInteger(value) && !Number.isSafeInteger(value))
        return JSON.stringify(BigInt(value).toString());
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value))
        return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new CanonicalJsonError('invalid Date');
        return JSON.stringify(value.toISOString());
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new CanonicalJsonError(`cannot encode a ${typeof value}`);
  }
}

export const GENESIS_HASH = '0'.repeat(64);

/** hash = sha256(prev_hash ‖ canonical JSON of the event), hex; prev_hash as its 64 hex chars. */
export function chainHash(prevHash: string, canonicalEvent: string): string {
  return createHash('sha256').update(prevHash, 'utf8').update(canonicalEvent, 'utf8').digest('hex');
}
