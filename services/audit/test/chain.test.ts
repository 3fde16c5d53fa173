import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalJson, chainHash, GENESIS_HASH } from '../src/canonical.js';
import { signerFromPem, verifyCheckpoint } from '../src/checkpoint.js';

const pem = () =>
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const tenantId = '11111111-2222-4333-8444-555555555555';

describe('canonical JSON', () => {
  it('sorts keys by UTF-16 code units and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null], A: 'x', é: 1, '\u{1F600}': 2, '\uFFFF': 3 })).toBe(
      '{"A":"x","a":[true,null],"b":1,"é":1,"\u{1F600}":2,"\uFFFF":3}',
    );
    expect(canonicalJson({ z: { y: 1, x: 2 } })).toBe('{"z":{"x":2,"y":1}}');
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it('writes numbers in shortest round-trip form and big integers as strings', () => {
    expect(canonicalJson([1, 1.5, 0.1, 1e-7, 123.456e5, -0, 2 ** 53 - 1])).toBe(
      '[1,1.5,0.1,1e-7,12345600,0,9007199254740991]',
    );
    expect(canonicalJson([2 ** 53, 1e21, 12345678901234567890n])).toBe(
      '["9007199254740992","1000000000000000000000","12345678901234567890"]',
    );
    expect(() => canonicalJson(Number.NaN)).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow(CanonicalJsonError);
  });

  it('writes timestamps as RFC 3339 UTC with milliseconds and escapes strings like JSON.stringify', () => {
    expect(canonicalJson(new Date(Date.UTC(2026, 2, 1, 5, 0, 0, 7)))).toBe('"2026-03-01T05:00:00.007Z"');
    expect(canonicalJson('a"b\\c\n\u0001\u2028é')).toBe('"a\\"b\\\\c\\n\\u0001\u2028é"');
  });

  it('is stable under key order and round-trips through JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const c = canonicalJson(v);
        expect(canonicalJson(JSON.parse(c))).toBe(c);
        expect(canonicalJson(JSON.parse(JSON.stringify(v)))).toBe(c);
      }),
    );
  });

  it('hashes prev_hash ‖ canonical JSON with sha256 (a known vector)', () => {
    // printf '%s%s' 0000…0000 '{"a":1}' | sha256sum
    expect(chainHash(GENESIS_HASH, '{"a":1}')).toBe(
      'fc6cee09194dd2578bd7664604fcb72a539066fd34544cea0009c43eb6cdc289',
    );
  });
});

describe('checkpoint signatures', () => {
  it('signs checkpoints that verify only with the right key and the exact fields', () => {
    const signer = signerFromPem(pem());
    const c = signer.sign({
      tenantId,
      position: 3,
      hash: 'a'.repeat(64),
      signedAt: '2026-03-01T05:00:00.000Z',
    });
    expect(verifyCheckpoint(c, signer.publicKeyPem)).toBe(true);
    expect(verifyCheckpoint({ ...c, position: 4 }, signer.publicKeyPem)).toBe(false);
    expect(verifyCheckpoint(c, signerFromPem(pem()).publicKeyPem)).toBe(false);
    // The link to the previous checkpoint is signed; without one the bytes are the original four fields.
    expect(verifyCheckpoint({ ...c, prevPosition: 0 }, signer.publicKeyPem)).toBe(false);
    const linked = signer.sign({ ...c, position: 8, prevPosition: 3 });
    expect(verifyCheckpoint(linked, signer.publicKeyPem)).toBe(true);
    expect(verifyCheckpoint({ ...linked, prevPosition: 0 }, signer.publicKeyPem)).toBe(false);
    expect(() =>
      signerFromPem(
        generateKeyPairSync('ec', { namedCurve: 'P-256' })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
      ),
    ).toThrow(/Ed25519/);
  });
});
