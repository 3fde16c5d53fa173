import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CryptoInputError,
  DecryptError,
  type DecryptFailure,
  decryptField,
  encryptField,
  generateKeyringSpec,
  needsReencryption,
  parseKeyring,
  piiContext,
  storedKeyId,
} from '../src/index.js';

const keyring = parseKeyring(generateKeyringSpec(['k1']));
const context = piiContext({
  tenantId: '7d3f1c1e-2b1f-4c55-9a51-0f0e0c6b9a11',
  table: 'fact_maintenance',
  column: 'technician',
  rowId: '1b0b9d52-3c8e-4f6d-8f7a-2c1d5e9b7a30',
});

function failure(fn: () => unknown): DecryptFailure {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DecryptError);
    expect((err as DecryptError).code).toBe('TAKT_DECRYPT_FAILED');
    return (err as DecryptError).reason;
  }
  throw new Error('expected decryption to fail');
}

describe('encryptField / decryptField', () => {
  it('round-trips any Unicode string', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.string({ minLength: 1 }),
        (plain, ctx) => {
          expect(decryptField(keyring, encryptField(keyring, plain, ctx), ctx)).toBe(plain);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('writes v1:<keyId>:<iv>:<ciphertext+tag> with a 96-bit IV and a 128-bit tag', () => {
    const stored = encryptField(keyring, 'Jana Nováková', context);
    const [version, keyId, iv, body] = stored.split(':');
    expect(version).toBe('v1');
    expect(keyId).toBe('k1');
    expect(Buffer.from(iv!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(body!, 'base64url')).toHaveLength(Buffer.byteLength('Jana Nováková') + 16);
    expect(stored).toMatch(/^v1:k1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
  });

  it('encrypts the same plaintext differently every time', () => {
    const values = new Set(Array.from({ length: 100 }, () => encryptField(keyring, 'same', context)));
    expect(values.size).toBe(100);
    const ivs = new Set([...values].map((v) => v.split(':')[2]));
    expect(ivs.size).toBe(100);
  });

  it('handles the empty string', () => {
    expect(decryptField(keyring, encryptField(keyring, '', context), context)).toBe('');
  });

  it('fails under another context: another row, column or tenant', () => {
    const stored = encryptField(keyring, 'Jana', context);
    const elsewhere = [
      piiContext({ tenantId: 't2', table: 'fact_maintenance', column: 'technician', rowId: 'r1' }),
      `${context}x`,
      context.replace('technician', 'operator'),
      context.toUpperCase(),
    ];
    for (const other of elsewhere)
      expect(failure(() => decryptField(keyring, stored, other))).toBe('authentication');
  });

  it('fails for a key id the keyring does not hold', () => {
    const other = parseKeyring(generateKeyringSpec(['k9']));
    expect(failure(() => decryptField(keyring, encryptField(other, 'Jana', context), context))).toBe(
      'unknown-key',
    );
  });

  it('fails when the same id names a different key', () => {
    const impostor = parseKeyring(generateKeyringSpec(['k1']));
    expect(failure(() => decryptField(keyring, encryptField(impostor, 'Jana', context), context))).toBe(
      'authentication',
    );
  });
});

describe('tampering', () => {
  const stored = encryptField(keyring, 'Jana Nováková', context);
  const [, keyId, iv, body] = stored.split(':') as [string, string, string, string];
  const two = parseKeyring(
    `${generateKeyringSpec(['k2'], { index: false })},${generateKeyringSpec(['k1'], { index: false })}`,
    'k1',
  );
  const bytes = (b64: string) => Buffer.from(b64, 'base64url');
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

  it.each([
    ['version', `v2:${keyId}:${iv}:${body}`, 'malformed'],
    ['version missing', `${keyId}:${iv}:${body}`, 'malformed'],
    ['extra part', `${stored}:x`, 'malformed'],
    ['key id syntax', `v1:k 1:${iv}:${body}`, 'malformed'],
    ['unknown key id', `v1:k3:${iv}:${body}`, 'unknown-key'],
    ['iv flipped', `v1:${keyId}:${flip(iv, 3)}:${body}`, 'authentication'],
    ['iv shortened', `v1:${keyId}:${iv.slice(1)}:${body}`, 'malformed'],
    ['iv non-base64url', `v1:${keyId}:${iv.slice(1)}+:${body}`, 'malformed'],
    ['ciphertext flipped', `v1:${keyId}:${iv}:${flip(body, 0)}`, 'authentication'],
    ['tag flipped', `v1:${keyId}:${iv}:${flip(body, body.length - 3)}`, 'authentication'],
    [
      'tag truncated',
      `v1:${keyId}:${iv}:${bytes(body).subarray(0, -3).toString('base64url')}`,
      'authentication',
    ],
    [
      'ciphertext removed',
      `v1:${keyId}:${iv}:${bytes(body).subarray(-16).toString('base64url')}`,
      'authentication',
    ],
    [
      'shorter than a tag',
      `v1:${keyId}:${iv}:${bytes(body).subarray(0, 15).toString('base64url')}`,
      'malformed',
    ],
    ['empty', '', 'malformed'],
  ] as const)('%s', (_name, tampered, reason) => {
    expect(failure(() => decryptField(keyring, tampered, context))).toBe(reason);
  });

  it('rejects a value re-labelled with another key id of the same ring', () => {
    const relabelled = encryptField(two, 'Jana', context).replace(/^v1:k1:/, 'v1:k2:');
    expect(failure(() => decryptField(two, relabelled, context))).toBe('authentication');
  });

  it('rejects a non-canonical base64url encoding of the same bytes', () => {
    // 'Jana Nováková' is 15 bytes + 16 tag = 31 bytes: the last character carries 4 unused bits.
    const last = body[body.length - 1]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[(alphabet.indexOf(last) ^ 1) % 64]!;
    const sameBytes = `${body.slice(0, -1)}${twin}`;
    expect(Buffer.from(sameBytes, 'base64url').equals(Buffer.from(body, 'base64url'))).toBe(true);
    expect(failure(() => decryptField(keyring, `v1:${keyId}:${iv}:${sameBytes}`, context))).toBe('malformed');
  });

  it('never returns a value for any single-character change', () => {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:+/= ';
    fc.assert(
      fc.property(fc.nat({ max: stored.length - 1 }), fc.constantFrom(...chars), (i, c) => {
        fc.pre(stored[i] !== c);
        const tampered = stored.slice(0, i) + c + stored.slice(i + 1);
        expect(() => decryptField(keyring, tampered, context)).toThrow(DecryptError);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps the stored value out of the error message', () => {
    try {
      decryptField(keyring, flip(stored, 30), context);
    } catch (err) {
      expect((err as Error).message).not.toContain(body.slice(0, 10));
    }
    expect.assertions(1);
  });

  it('uses a DecryptError for non-strings too', () => {
    expect(failure(() => decryptField(keyring, 42 as unknown as string, context))).toBe('malformed');
  });
});

describe('rotation', () => {
  const k1 = generateKeyringSpec(['k1'], { index: false });
  const k2 = generateKeyringSpec(['k2'], { index: false });
  const before = parseKeyring(k1);
  const after = parseKeyring(`${k2},${k1}`);

  it('still decrypts values written before the rotation, and writes new ones with the new key', () => {
    const old = encryptField(before, 'Jana', context);
    expect(storedKeyId(old)).toBe('k1');
    expect(decryptField(after, old, context)).toBe('Jana');
    const fresh = encryptField(after, 'Petr', context);
    expect(storedKeyId(fresh)).toBe('k2');
    expect(decryptField(after, fresh, context)).toBe('Petr');
    expect(failure(() => decryptField(before, fresh, context))).toBe('unknown-key');
  });

  it('flags values written with a non-active key for re-encryption', () => {
    expect(needsReencryption(after, encryptField(before, 'Jana', context))).toBe(true);
    expect(needsReencryption(after, encryptField(after, 'Jana', context))).toBe(false);
    expect(needsReencryption(after, 'not encrypted')).toBe(false);
  });

  it('can keep the old key active while the new one is distributed', () => {
    const staged = parseKeyring(`${k2},${k1}`, 'k1');
    expect(storedKeyId(encryptField(staged, 'Jana', context))).toBe('k1');
  });
});

describe('input checks', () => {
  it('refuses an empty context, lone surrogates and non-strings', () => {
    expect(() => encryptField(keyring, 'x', '')).toThrow(CryptoInputError);
    expect(() => encryptField(keyring, '\uD800', context)).toThrow(/lone UTF-16 surrogate/);
    expect(() => encryptField(keyring, null as unknown as string, context)).toThrow(/must be a string/);
    expect(() => decryptField(keyring, encryptField(keyring, 'x', context), '')).toThrow(CryptoInputError);
  });

  it('builds contexts from parts without separators', () => {
    expect(piiContext({ tenantId: 't', table: 'fact_shift', column: 'operator' })).toBe(
      't|fact_shift|operator',
    );
    expect(() => piiContext({ tenantId: 't|x', table: 'a', column: 'b' })).toThrow(CryptoInputError);
    expect(() => piiContext({ tenantId: 't', table: '', column: 'b' })).toThrow(CryptoInputError);
  });

  it('refuses objects that are not keyrings', () => {
    const fake = { activeKeyId: 'k1', keyIds: ['k1'], hasIndexKey: false };
    expect(() => encryptField(fake, 'x', context)).toThrow(/not a keyring/);
  });
});
