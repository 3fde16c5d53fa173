import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blindIndex,
  generateKeyringSpec,
  KeyringError,
  normalizeForIndex,
  parseKeyring,
  piiContext,
} from '../src/index.js';

const spec = generateKeyringSpec(['k1']);
const keyring = parseKeyring(spec);
const column = piiContext({ tenantId: 't1', table: 'fact_maintenance', column: 'technician' });

describe('blindIndex', () => {
  it('is deterministic and 256 bits, hex by default or base64url', () => {
    const a = blindIndex(keyring, 'Jana Nováková', column);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(blindIndex(keyring, 'Jana Nováková', column)).toBe(a);
    expect(blindIndex(keyring, 'Jana Nováková', column, 'base64url')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('survives encryption key rotation: the index key is its own entry', () => {
    const index = spec.split(',').find((e) => e.startsWith('index:'))!;
    const rotated = parseKeyring(
      `${generateKeyringSpec(['k2'], { index: false })},k1:${spec.split(',')[0]!.slice(3)},${index}`,
    );
    expect(rotated.activeKeyId).toBe('k2');
    expect(blindIndex(rotated, 'Jana', column)).toBe(blindIndex(keyring, 'Jana', column));
  });

  it('gives the same index for the same index key whether given as entry or on its own', () => {
    const index = spec
      .split(',')
      .find((e) => e.startsWith('index:'))!
      .slice('index:'.length);
    const separate = parseKeyring(generateKeyringSpec(['k5'], { index: false }), undefined, {
      indexKey: index,
    });
    expect(blindIndex(separate, 'Jana', column)).toBe(blindIndex(keyring, 'Jana', column));
  });

  it('normalizes: trim, NFC and lowercase find the same value', () => {
    const composed = 'Jana Nov\u00e1kov\u00e1';
    const decomposed = 'Jana Nova\u0301kova\u0301';
    const expected = blindIndex(keyring, composed, column);
    for (const variant of [
      decomposed,
      `  ${composed}\t`,
      'JANA NOVÁKOVÁ',
      `\n${decomposed.toUpperCase()} `,
    ]) {
      expect(blindIndex(keyring, variant, column)).toBe(expected);
    }
    expect(blindIndex(keyring, 'Jana Novakova', column)).not.toBe(expected);
    expect(blindIndex(keyring, 'Jana  Nováková', column)).not.toBe(expected);
  });

  it('normalization is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const once = normalizeForIndex(s);
        expect(normalizeForIndex(once)).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('differs between contexts, so tenants and columns do not correlate', () => {
    const a = blindIndex(keyring, 'Jana', column);
    expect(
      blindIndex(
        keyring,
        'Jana',
        piiContext({ tenantId: 't2', table: 'fact_maintenance', column: 'technician' }),
      ),
    ).not.toBe(a);
    expect(
      blindIndex(keyring, 'Jana', piiContext({ tenantId: 't1', table: 'fact_shift', column: 'operator' })),
    ).not.toBe(a);
    // The context is length-prefixed: moving characters across the boundary changes the index.
    expect(blindIndex(keyring, 'ab', 'ctx')).not.toBe(blindIndex(keyring, 'b', 'ctxa'));
  });

  it('differs between index keys', () => {
    expect(blindIndex(parseKeyring(generateKeyringSpec()), 'Jana', column)).not.toBe(
      blindIndex(keyring, 'Jana', column),
    );
  });

  it('needs an index key', () => {
    const noIndex = parseKeyring(generateKeyringSpec(['k1'], { index: false }));
    expect(() => blindIndex(noIndex, 'Jana', column)).toThrow(KeyringError);
    expect(() => blindIndex(noIndex, 'Jana', column)).toThrow(/no index key/);
  });

  it('does not collide on distinct normalized values', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(normalizeForIndex(a) !== normalizeForIndex(b));
        expect(blindIndex(keyring, a, column)).not.toBe(blindIndex(keyring, b, column));
      }),
      { numRuns: 300 },
    );
  });
});
