import { createSecretKey, hkdfSync, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { KeyringError } from './errors.js';

/**
 * Keyring spec, as the operator writes it in `TAKT_PII_KEYS` or a keys file:
 *
 *   k2:<base64 32 bytes>,k1:<base64 32 bytes>,index:<base64 32 bytes>
 *
 * Entries are separated by commas or newlines; blank entries and lines starting with `#` are
 * ignored, so a file can hold one entry per line with comments. Keys are standard base64 or
 * base64url. The first encryption entry is the active key unless one is named explicitly; the
 * others only decrypt. The reserved id `index` holds the blind index key, which never rotates
 * with the encryption keys: rotating it would orphan every stored index.
 */
export const INDEX_KEY_ID = 'index';

/** Key ids end up in every stored value, between `:` separators. */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+)$/;
const KEY_BYTES = 32;
const INDEX_HKDF_INFO = 'takt/pii/blind-index/v1';

export interface Keyring {
  /** The key new values are encrypted with. */
  readonly activeKeyId: string;
  /** Every encryption key id, active first. */
  readonly keyIds: readonly string[];
  readonly hasIndexKey: boolean;
}

interface KeyringSecrets {
  readonly keys: ReadonlyMap<string, KeyObject>;
  readonly indexKey: KeyObject | undefined;
}

// Key material lives outside the public object, so logging or serializing a keyring shows ids only.
const secrets = new WeakMap<Keyring, KeyringSecrets>();

export function isValidKeyId(id: string): boolean {
  return KEY_ID.test(id);
}

function decodeKey(text: string, label: string, problems: string[]): Buffer | undefined {
  if (!BASE64.test(text)) {
    problems.push(
      `${label}: key is not base64 (expected ${KEY_BYTES} random bytes, e.g. \`openssl rand -base64 32\`)`,
    );
    return undefined;
  }
  const bytes = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  if (bytes.length !== KEY_BYTES) {
    problems.push(`${label}: key is ${bytes.length} bytes, expected exactly ${KEY_BYTES}`);
    return undefined;
  }
  return bytes;
}

export interface ParseKeyringOptions {
  /** A blind index key given on its own (e.g. `TAKT_PII_INDEX_KEY`), base64 of 32 bytes. */
  indexKey?: string;
}

/** Parses a keyring spec (see above); throws a KeyringError listing every problem. */
export function parseKeyring(spec: string, active?: string, options: ParseKeyringOptions = {}): Keyring {
  const problems: string[] = [];
  const keys = new Map<string, Buffer>();
  let indexKey: Buffer | undefined;
  let indexSource: string | undefined;

  const entries = spec
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter((e) => e.length > 0 && !e.startsWith('#'));
  entries.forEach((entry, i) => {
    const at = `entry ${i + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) {
      problems.push(`${at}: expected <id>:<base64 key>`);
      return;
    }
    const id = entry.slice(0, colon).trim();
    // An invalid id is not echoed: with the halves swapped it would be the key itself.
    if (!KEY_ID.test(id)) {
      problems.push(`${at}: key id must be 1-32 letters, digits, '_' or '-'`);
      return;
    }
    const label = `${at} ("${id}")`;
    const bytes = decodeKey(entry.slice(colon + 1).trim(), label, problems);
    if (id === INDEX_KEY_ID) {
      if (indexKey !== undefined || indexSource !== undefined) problems.push(`${label}: duplicate index key`);
      indexSource = label;
      indexKey = bytes;
      return;
    }
    if (keys.has(id)) {
      problems.push(`${label}: duplicate key id`);
      return;
    }
    if (bytes) keys.set(id, bytes);
  });

  if (options.indexKey !== undefined) {
    if (indexSource !== undefined) {
      problems.push(`index key given twice: as an "${INDEX_KEY_ID}" entry and on its own`);
    } else {
      indexKey = decodeKey(options.indexKey.trim(), 'index key', problems);
    }
  }

  if (entries.length === 0) problems.push('no keys: expected <id>:<base64 key>[,<id>:<base64 key>...]');
  else if (keys.size === 0 && problems.length === 0) problems.push('no encryption key, only an index key');

  const ids = [...keys.keys()];
  let activeKeyId = ids[0];
  if (active !== undefined) {
    if (active === INDEX_KEY_ID)
      problems.push(`active key "${active}" is the index key, not an encryption key`);
    else if (!KEY_ID.test(active)) problems.push("active key id must be 1-32 letters, digits, '_' or '-'");
    else if (!keys.has(active)) problems.push(`active key "${active}" is not in the keyring`);
    else activeKeyId = active;
  }

  if (indexKey) {
    for (const [id, key] of keys) {
      if (timingSafeEqual(key, indexKey)) problems.push(`index key must differ from encryption key "${id}"`);
    }
  }

  if (problems.length > 0 || activeKeyId === undefined) throw new KeyringError(problems);

  const keyring: Keyring = Object.freeze({
    activeKeyId,
    keyIds: Object.freeze([activeKeyId, ...ids.filter((id) => id !== activeKeyId)]),
    hasIndexKey: indexKey !== undefined,
  });
  secrets.set(keyring, {
    keys: new Map([...keys].map(([id, key]) => [id, createSecretKey(key)])),
    // Derived rather than used directly so the operator's bytes serve exactly one purpose.
    indexKey: indexKey
      ? createSecretKey(
          Buffer.from(hkdfSync('sha256', indexKey, Buffer.alloc(0), INDEX_HKDF_INFO, KEY_BYTES)),
        )
      : undefined,
  });
  return keyring;
}

export interface GenerateKeyringOptions {
  /** Also emit an `index` entry for blind indexes (default true). */
  index?: boolean;
}

/** A fresh spec with random keys, active first; used to seed demo and test stacks. */
export function generateKeyringSpec(
  ids: readonly string[] = ['k1'],
  options: GenerateKeyringOptions = {},
): string {
  const bad = ids.filter((id) => !KEY_ID.test(id) || id === INDEX_KEY_ID);
  if (ids.length === 0 || bad.length > 0 || new Set(ids).size !== ids.length) {
    throw new KeyringError([
      `cannot generate keys for ids ${JSON.stringify(ids)}: need distinct ids of 1-32 letters, digits, '_' or '-', not "${INDEX_KEY_ID}"`,
    ]);
  }
  const entries = ids.map((id) => `${id}:${randomBytes(KEY_BYTES).toString('base64')}`);
  if (options.index ?? true) entries.push(`${INDEX_KEY_ID}:${randomBytes(KEY_BYTES).toString('base64')}`);
  return entries.join(',');
}

/** @internal Key material for the field functions of this package. */
export function secretsOf(keyring: Keyring): KeyringSecrets {
  const s = secrets.get(keyring);
  if (!s) throw new KeyringError(['not a keyring made by parseKeyring']);
  return s;
}
