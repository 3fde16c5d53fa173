import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { CryptoInputError, DecryptError, KeyringError } from './errors.js';
import { isValidKeyId, type Keyring, secretsOf } from './keyring.js';

/*
 * Stored form of an encrypted field, one text value:
 *
 *   v1:<keyId>:<iv>:<ciphertext‖tag>
 *
 *   v1          format version
 *   keyId       keyring id of the AES-256-GCM key (letters, digits, '_' or '-')
 *   iv          12 random bytes, base64url without padding (16 characters)
 *   ciphertext  UTF-8 plaintext encrypted, followed by the 16-byte GCM tag, base64url without padding
 *
 * The additional authenticated data is `v1:<keyId>:` followed by the caller's context, so a value
 * only decrypts under the key id and the context it was written with.
 */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

// Lone surrogates would silently turn into U+FFFD in UTF-8, so decrypt could not return the input.
const LONE_SURROGATE = /\p{Surrogate}/u;

function checkText(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') throw new CryptoInputError(`${what} must be a string, got ${typeof value}`);
  if (LONE_SURROGATE.test(value)) throw new CryptoInputError(`${what} contains a lone UTF-16 surrogate`);
}

function checkContext(context: unknown): asserts context is string {
  checkText(context, 'context');
  if (context.length === 0)
    throw new CryptoInputError('context must not be empty: it binds a value to its place');
}

function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}:${keyId}:${context}`, 'utf8');
}

export interface PiiPlace {
  tenantId: string;
  table: string;
  column: string;
  /** Include for encryption so a value copied to another row fails; omit for blind indexes. */
  rowId?: string;
}

/** The canonical context string `tenantId|table|column[|rowId]`. */
export function piiContext({ tenantId, table, column, rowId }: PiiPlace): string {
  const parts = rowId === undefined ? [tenantId, table, column] : [tenantId, table, column, rowId];
  for (const part of parts) {
    if (typeof part !== 'string' || part.length === 0 || part.includes('|')) {
      throw new CryptoInputError("context parts must be non-empty strings without '|'");
    }
  }
  return parts.join('|');
}

/** Encrypts with the active key under a fresh random IV; the same input never encrypts the same way twice. */
export function encryptField(keyring: Keyring, plaintext: string, context: string): string {
  checkText(plaintext, 'plaintext');
  checkContext(context);
  const keyId = keyring.activeKeyId;
  const key = secretsOf(keyring).keys.get(keyId);
  if (!key) throw new CryptoInputError(`active key "${keyId}" missing from keyring`);
  // 96-bit random IVs keep the GCM collision risk negligible up to ~2^32 values per key; rotate before that.
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(keyId, context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}:${keyId}:${iv.toString('base64url')}:${body.toString('base64url')}`;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

// Canonical base64url only: otherwise the unused low bits of the last character could be flipped
// and the value would still decrypt, so tampering would go unnoticed.
function decodeCanonical(text: string): Buffer | undefined {
  if (!B64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

interface ParsedField {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function parseStored(stored: unknown): ParsedField {
  if (typeof stored !== 'string') throw new DecryptError('malformed', 'stored value is not a string');
  const parts = stored.split(':');
  if (parts.length !== 4) throw new DecryptError('malformed', 'expected v1:<keyId>:<iv>:<ciphertext>');
  const [version, keyId, ivText, bodyText] = parts as [string, string, string, string];
  if (version !== VERSION) throw new DecryptError('malformed', 'unsupported format version');
  if (!isValidKeyId(keyId)) throw new DecryptError('malformed', 'invalid key id');
  const iv = decodeCanonical(ivText);
  if (iv?.length !== IV_BYTES) throw new DecryptError('malformed', 'invalid IV');
  const body = decodeCanonical(bodyText);
  if (body === undefined || body.length < TAG_BYTES)
    throw new DecryptError('malformed', 'invalid ciphertext');
  return {
    keyId,
    iv,
    ciphertext: body.subarray(0, body.length - TAG_BYTES),
    tag: body.subarray(body.length - TAG_BYTES),
  };
}

/** Decrypts a stored value written by encryptField with any key of the keyring, under the same context. */
export function decryptField(keyring: Keyring, stored: string, context: string): string {
  checkContext(context);
  const { keyId, iv, ciphertext, tag } = parseStored(stored);
  const key = secretsOf(keyring).keys.get(keyId);
  if (!key) throw new DecryptError('unknown-key', `key "${keyId}" is not in the keyring`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(keyId, context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptError(
      'authentication',
      'authentication failed (tampered value, wrong key or wrong context)',
    );
  }
}

/** The key id a stored value was written with, or undefined when it is not a v1 value. */
export function storedKeyId(stored: string): string | undefined {
  try {
    return parseStored(stored).keyId;
  } catch {
    return undefined;
  }
}

/** True when a stored value should be re-encrypted because it was written with a non-active key. */
export function needsReencryption(keyring: Keyring, stored: string): boolean {
  const keyId = storedKeyId(stored);
  return keyId !== undefined && keyId !== keyring.activeKeyId;
}

/**
 * Normalization before indexing: trim, Unicode NFC, then lowercase (locale-independent simple
 * case mapping, not full case folding: 'ß' and 'SS' stay different). NFC once more because
 * lowercasing can leave a decomposed sequence.
 */
export function normalizeForIndex(value: string): string {
  return value.trim().normalize('NFC').toLowerCase().normalize('NFC');
}

export type BlindIndexEncoding = 'hex' | 'base64url';

/**
 * HMAC-SHA256 of the normalized value under the keyring's index key, for exact-match search
 * without decrypting. The context (e.g. `tenantId|table|column`, no row id) is part of the MAC
 * input, so equal values in different tenants or columns do not correlate.
 */
export function blindIndex(
  keyring: Keyring,
  value: string,
  context: string,
  encoding: BlindIndexEncoding = 'hex',
): string {
  checkText(value, 'value');
  checkContext(context);
  const key = secretsOf(keyring).indexKey;
  if (!key) {
    throw new KeyringError(['no index key: add an "index:<base64 key>" entry or set TAKT_PII_INDEX_KEY']);
  }
  const ctx = Buffer.from(context, 'utf8');
  // Length-prefixed so no (context, value) pair can collide with another by moving the boundary.
  const length = Buffer.alloc(4);
  length.writeUInt32BE(ctx.length);
  return createHmac('sha256', key)
    .update(length)
    .update(ctx)
    .update(normalizeForIndex(value), 'utf8')
    .digest(encoding);
}
