import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateKeyringSpec, KeyringError, parseKeyring } from '../src/index.js';

const key = (n = 32) => randomBytes(n).toString('base64');

function problemsOf(spec: string, active?: string, indexKey?: string): readonly string[] {
  try {
    parseKeyring(spec, active, indexKey === undefined ? {} : { indexKey });
  } catch (err) {
    expect(err).toBeInstanceOf(KeyringError);
    expect((err as KeyringError).code).toBe('TAKT_KEYRING_INVALID');
    return (err as KeyringError).problems;
  }
  throw new Error('expected the keyring to be rejected');
}

describe('parseKeyring', () => {
  it('makes the first encryption entry active and keeps the others for decryption', () => {
    const kr = parseKeyring(`k2:${key()},k1:${key()}`);
    expect(kr.activeKeyId).toBe('k2');
    expect(kr.keyIds).toEqual(['k2', 'k1']);
    expect(kr.hasIndexKey).toBe(false);
  });

  it('honours an explicit active key and lists it first', () => {
    const kr = parseKeyring(`k2:${key()},k1:${key()}`, 'k1');
    expect(kr.activeKeyId).toBe('k1');
    expect(kr.keyIds).toEqual(['k1', 'k2']);
  });

  it('reads a file with one entry per line, comments and blank lines', () => {
    const kr = parseKeyring(`# rotated 2024-05\nk2:${key()}\n\n  k1 : ${key()}  \nindex:${key()}\n`);
    expect(kr.keyIds).toEqual(['k2', 'k1']);
    expect(kr.hasIndexKey).toBe(true);
  });

  it('accepts base64url keys without padding', () => {
    const kr = parseKeyring(`k1:${randomBytes(32).toString('base64url')}`);
    expect(kr.activeKeyId).toBe('k1');
  });

  it('takes the index key on its own', () => {
    expect(parseKeyring(`k1:${key()}`, undefined, { indexKey: key() }).hasIndexKey).toBe(true);
  });

  it('never shows key material when logged or serialized', () => {
    const material = key();
    const kr = parseKeyring(`k1:${material}`);
    expect(JSON.stringify(kr)).not.toContain(material.slice(0, 20));
    expect(inspect(kr, { showHidden: true, depth: 5 })).not.toContain(material.slice(0, 20));
    expect(JSON.parse(JSON.stringify(kr))).toEqual({ activeKeyId: 'k1', keyIds: ['k1'], hasIndexKey: false });
  });
});

describe('parseKeyring rejects bad specs, naming the problem', () => {
  it.each([
    ['', /no keys/],
    [' , ,', /no keys/],
    ['k1', /entry 1: expected <id>:<base64 key>/],
    [`k1:${key(31)}`, /entry 1 \("k1"\): key is 31 bytes, expected exactly 32/],
    [`k1:${key(33)}`, /key is 33 bytes/],
    [`k1:${key(16)}`, /key is 16 bytes/],
    ['k1:not base64!!', /entry 1 \("k1"\): key is not base64/],
    [`k1:${key()},k1:${key()}`, /entry 2 \("k1"\): duplicate key id/],
    [`bad id:${key()}`, /entry 1: key id must be/],
    [`:${key()}`, /key id must be/],
    [`index:${key()}`, /no encryption key, only an index key/],
    [`k1:${key()},index:${key()},index:${key()}`, /duplicate index key/],
  ])('%j', (spec, pattern) => {
    expect(problemsOf(spec).join('\n')).toMatch(pattern);
  });

  it('rejects an active key that is not in the ring', () => {
    expect(problemsOf(`k1:${key()}`, 'k9')).toEqual(['active key "k9" is not in the keyring']);
    expect(problemsOf(`k1:${key()},index:${key()}`, 'index')[0]).toMatch(/is the index key/);
  });

  it('rejects an index key given twice, or reused as an encryption key', () => {
    expect(problemsOf(`k1:${key()},index:${key()}`, undefined, key())[0]).toMatch(/index key given twice/);
    const shared = key();
    expect(problemsOf(`k1:${shared}`, undefined, shared)).toEqual([
      'index key must differ from encryption key "k1"',
    ]);
  });

  it('does not echo an invalid id, which may be a key written in the wrong place', () => {
    const material = key();
    const message = problemsOf(`${material}:k1`).join('\n');
    expect(message).toMatch(/entry 1: key id must be/);
    expect(message).not.toContain(material.slice(0, 8));
    expect(problemsOf(`k1:${key()}`, material)[0]).not.toContain(material.slice(0, 8));
  });

  it('lists every problem at once, and never echoes key material', () => {
    const short = key(20);
    let caught: unknown;
    try {
      parseKeyring(`k1:${short},k2,k1:${key()}`, 'k7');
    } catch (err) {
      caught = err;
    }
    const err = caught as KeyringError;
    expect(err.problems).toHaveLength(3);
    expect(err.message).toMatch(/3 problems/);
    expect(err.message).not.toContain(short);
  });
});

describe('generateKeyringSpec', () => {
  it('generates a parseable spec with an index key, active first', () => {
    const spec = generateKeyringSpec(['k2', 'k1']);
    const kr = parseKeyring(spec);
    expect(kr.keyIds).toEqual(['k2', 'k1']);
    expect(kr.hasIndexKey).toBe(true);
    expect(spec).not.toBe(generateKeyringSpec(['k2', 'k1']));
  });

  it('defaults to a single key k1 and can leave out the index key', () => {
    expect(parseKeyring(generateKeyringSpec()).keyIds).toEqual(['k1']);
    expect(parseKeyring(generateKeyringSpec(['a'], { index: false })).hasIndexKey).toBe(false);
  });

  it('refuses ids that could not be parsed back', () => {
    expect(() => generateKeyringSpec([])).toThrow(KeyringError);
    expect(() => generateKeyringSpec(['a:b'])).toThrow(KeyringError);
    expect(() => generateKeyringSpec(['index'])).toThrow(KeyringError);
    expect(() => generateKeyringSpec(['k1', 'k1'])).toThrow(KeyringError);
  });
});
