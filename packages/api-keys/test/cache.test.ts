import type { Principal } from '@takt/http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyCache } from '../src/cache.js';

const principal = (keyId: string, tenantId = 'tenant-a'): Principal => ({
  tenantId,
  keyId,
  scopes: ['read'],
});

describe('KeyCache', () => {
  it('answers within the TTL, and never at or past it', () => {
    const c = new KeyCache(1_000);
    c.set('h1', 'k1', principal('k1'), 5_000, c.generation);
    expect(c.get('h1', 5_999)?.principal?.keyId).toBe('k1');
    expect(c.get('h1', 6_000)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('keeps unknown keys as null answers', () => {
    const c = new KeyCache(1_000);
    c.set('h1', 'k1', null, 0, c.generation);
    expect(c.get('h1', 10)).toEqual({ principal: null });
  });

  it('drops the entries of a changed key, and only those', () => {
    const c = new KeyCache(1_000);
    c.set('h1', 'k1', principal('k1'), 0, c.generation);
    c.set('h2', 'k2', principal('k2'), 0, c.generation);
    c.invalidate('k1');
    expect(c.get('h1', 1)).toBeUndefined();
    expect(c.get('h2', 1)?.principal?.keyId).toBe('k2');
  });

  it('does not keep an answer whose lookup overlapped a change', () => {
    const c = new KeyCache(1_000);
    const generation = c.generation;
    c.invalidate('k9');
    c.set('h1', 'k1', principal('k1'), 0, generation);
    expect(c.get('h1', 1)).toBeUndefined();
  });

  it('keeps nothing with a TTL of 0, and nothing after clear', () => {
    const off = new KeyCache(0);
    off.set('h1', 'k1', principal('k1'), 0, off.generation);
    expect(off.get('h1', 0)).toBeUndefined();
    const c = new KeyCache(1_000);
    c.set('h1', 'k1', principal('k1'), 0, c.generation);
    c.clear();
    expect(c.get('h1', 1)).toBeUndefined();
  });

  it('never answers from the future: a clock that went back misses', () => {
    const c = new KeyCache(1_000);
    c.set('h1', 'k1', principal('k1'), 5_000, c.generation);
    expect(c.get('h1', 4_999)).toBeUndefined();
  });

  it('holds at most maxEntries, pushing out the oldest', () => {
    const c = new KeyCache(1_000, 2);
    for (const n of [1, 2, 3]) c.set(`h${n}`, `k${n}`, principal(`k${n}`), 0, c.generation);
    expect(c.size).toBe(2);
    expect(c.get('h1', 1)).toBeUndefined();
    expect(c.get('h3', 1)?.principal?.keyId).toBe('k3');
  });

  it('after any sequence of operations, a changed key is never answered until set again', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        key: fc.integer({ min: 0, max: 4 }),
        at: fc.nat(3_000),
      }),
      fc.record({ kind: fc.constant('invalidate' as const), key: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant('clear' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.nat(4_000), (ops, now) => {
        const c = new KeyCache(1_000, 3);
        // What a correct cache may answer for each key: the last set after its last change.
        const allowed = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            c.set(`h${o.key}`, `k${o.key}`, principal(`k${o.key}`), o.at, c.generation);
            allowed.set(o.key, o.at);
          } else if (o.kind === 'invalidate') {
            c.invalidate(`k${o.key}`);
            allowed.delete(o.key);
          } else {
            c.clear();
            allowed.clear();
          }
        }
        expect(c.size).toBeLessThanOrEqual(3);
        for (let key = 0; key <= 4; key += 1) {
          const hit = c.get(`h${key}`, now);
          if (hit === undefined) continue;
          const at = allowed.get(key);
          expect(at).toBeDefined();
          expect(now - at!).toBeLessThan(1_000);
          expect(now).toBeGreaterThanOrEqual(at!);
          expect(hit.principal?.keyId).toBe(`k${key}`);
        }
      }),
    );
  });
});
