import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export const SCOPES = ['ingest', 'read', 'audit', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Principal {
  tenantId: string;
  keyId: string;
  scopes: readonly Scope[];
}

const KEY_FORMAT = /^takt_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedKey {
  id: string;
  /** Shown to the caller once; only `hash` is stored. */
  key: string;
  hash: string;
}

/** Keys carry 256 random bits, so a plain SHA-256 is a sound verifier (no password stretching needed). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): GeneratedKey {
  const id = randomUUID();
  const key = `takt_${id.replaceAll('-', '')}_${randomBytes(32).toString('base64url')}`;
  return { id, key, hash: hashApiKey(key) };
}

/** The key id inside a well-formed key, as a UUID, or null for anything else. */
export function apiKeyId(key: string): string | null {
  const m = KEY_FORMAT.exec(key);
  if (!m?.[1]) return null;
  const h = m[1];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function apiKeyMatches(key: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiKey(key), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}
