import { parseEnv } from '@takt/config';
import { describe, expect, it } from 'vitest';
import { generateKeyringSpec, KeyringError, keyringFromEnv, piiEnv } from '../src/index.js';

describe('piiEnv / keyringFromEnv', () => {
  const spec = generateKeyringSpec(['k2', 'k1']);

  it('builds the keyring from TAKT_PII_KEYS, with an explicit active key', () => {
    const env = piiEnv.parse({ TAKT_PII_KEYS: spec, TAKT_PII_ACTIVE_KEY: 'k1' });
    const kr = keyringFromEnv(env);
    expect(kr.activeKeyId).toBe('k1');
    expect(kr.hasIndexKey).toBe(true);
  });

  it('reads TAKT_PII_KEYS_FILE through the injected reader', () => {
    const read: string[] = [];
    const kr = keyringFromEnv({ TAKT_PII_KEYS_FILE: '/run/secrets/pii' }, (p) => {
      read.push(p);
      return `# demo keys\n${spec.replaceAll(',', '\n')}\n`;
    });
    expect(read).toEqual(['/run/secrets/pii']);
    expect(kr.keyIds).toEqual(['k2', 'k1']);
  });

  it('reports a bad spec as a config problem naming the variable', () => {
    expect(() => parseEnv(piiEnv, { TAKT_PII_KEYS: 'k1:AAAA', TAKT_PII_ACTIVE_KEY: 'no good' })).toThrow(
      /TAKT_PII_KEYS: entry 1 \("k1"\): key is 3 bytes[\s\S]*TAKT_PII_ACTIVE_KEY/,
    );
  });

  it('wants exactly one source', () => {
    expect(() => keyringFromEnv({})).toThrow(KeyringError);
    expect(() => keyringFromEnv({ TAKT_PII_KEYS: spec, TAKT_PII_KEYS_FILE: '/x' })).toThrow(/not both/);
    expect(() => keyringFromEnv({ TAKT_PII_KEYS_FILE: '/x' })).toThrow(/no file reader/);
  });
});
