import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FORBIDDEN_KEYS, jsonStructureProblems } from '../src/index.js';

const json = fc.jsonValue({ maxDepth: 6 }).filter((v) => !JSON.stringify(v).includes('__proto__'));

describe('jsonStructureProblems', () => {
  it('finds duplicate keys, also when spelled with escapes, and names them with a pointer', () => {
    expect(jsonStructureProblems('{"records":[{"a":1},{"a":1,"b":2,"a":3}]}', 32)).toEqual({
      key: { pointer: '/records/1/a', detail: 'duplicate key "a"' },
    });
    expect(jsonStructureProblems('{"x":{"a\\"b":1,"a\\u0022b":2}}', 32).key?.pointer).toBe('/x/a"b');
    expect(jsonStructureProblems('{"a":{"k":1},"b":{"k":1}}', 32)).toEqual({});
  });

  it('rejects prototype keys anywhere, and strings that only look like keys are values', () => {
    for (const k of FORBIDDEN_KEYS) {
      expect(jsonStructureProblems(`{"r":[1,{"ok":"${k}","${k}":{}}]}`, 32).key).toEqual({
        pointer: `/r/1/${k}`,
        detail: `key "${k}" is not allowed`,
      });
    }
    expect(jsonStructureProblems('["__proto__",{"v":"constructor"}]', 32)).toEqual({});
  });

  it('stops at the depth limit without recursion', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(jsonStructureProblems(deep, 32).depth?.detail).toBe('nested deeper than 32 levels');
    expect(jsonStructureProblems('{"a":[[1]]}', 3)).toEqual({});
    expect(jsonStructureProblems('{"a":[[[1]]]}', 3).depth?.pointer).toBe('/a/0/0');
  });

  it('finds nothing in what JSON.stringify writes, and any duplicate added to it', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(jsonStructureProblems(JSON.stringify(value), 1_000)).toEqual({});
      }),
    );
    fc.assert(
      fc.property(
        fc
          .dictionary(fc.string(), json, { minKeys: 1 })
          .filter((o) => !Object.keys(o).some((k) => FORBIDDEN_KEYS.has(k))),
        fc.array(fc.nat({ max: 3 }), { maxLength: 3 }),
        (record, path) => {
          const key = Object.keys(record)[0]!;
          const inner = `{${JSON.stringify(key)}:0,${JSON.stringify(record).slice(1)}`;
          const text = path.reduce((t, n) => `[${'0,'.repeat(n)}${t}]`, inner);
          const pointer = `${path
            .slice()
            .reverse()
            .map((n) => `/${n}`)
            .join('')}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
          expect(jsonStructureProblems(text, 1_000).key).toEqual({
            pointer,
            detail: `duplicate key "${key}"`,
          });
        },
      ),
    );
  });
});
