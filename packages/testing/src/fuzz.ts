import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { hostileFor, type JsonSchema, type Raw, stringTexts } from './fuzz-values.js';

/**
 * A schema-driven HTTP fuzzer: it reads the OpenAPI document a Takt service serves at
 * /docs/json, takes one valid request per operation, and sends mutations of it (values,
 * keys, nesting, media types, encodings, query strings, path parameters). See docs/http.md,
 * "Fuzzing".
 */

export interface Operation {
  method: string;
  /** OpenAPI template, e.g. /v1/sites/{code}. */
  path: string;
  params: Record<string, JsonSchema>;
  query: Record<string, JsonSchema>;
  body?: JsonSchema;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}
interface OpenApiOperation {
  parameters?: { in: string; name: string; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const resolve = (s: JsonSchema | undefined): JsonSchema | undefined => {
    const ref = s?.$ref?.replace('#/components/schemas/', '');
    return ref ? doc.components?.schemas?.[ref] : s;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const params: Record<string, JsonSchema> = {};
      const query: Record<string, JsonSchema> = {};
      for (const p of op.parameters ?? []) {
        if (p.in === 'path') params[p.name] = resolve(p.schema) ?? {};
        if (p.in === 'query') query[p.name] = resolve(p.schema) ?? {};
      }
      const body = resolve(op.requestBody?.content?.['application/json']?.schema);
      return { method: method.toUpperCase(), path, params, query, ...(body ? { body } : {}) };
    }),
  );
}

export const operationName = (op: Pick<Operation, 'method' | 'path'>): string => `${op.method} ${op.path}`;

/** A valid request for an operation; called once per case, so ids can be fresh. */
export interface Seed {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** What was changed, with array indices as `*`: the signature of a finding. */
  mutation: string;
}

type Path = (string | number)[];

/** Every path into a JSON value, the root included, with the schema found there. */
function pathsOf(
  value: unknown,
  schema: JsonSchema | undefined,
  at: Path = [],
): { path: Path; schema?: JsonSchema }[] {
  const here = [{ path: at, ...(schema ? { schema } : {}) }];
  if (Array.isArray(value)) {
    return here.concat(value.flatMap((v, i) => pathsOf(v, schema?.items, [...at, i])));
  }
  if (value !== null && typeof value === 'object') {
    return here.concat(
      Object.entries(value).flatMap(([k, v]) => pathsOf(v, propertySchema(schema, k), [...at, k])),
    );
  }
  return here;
}

function propertySchema(schema: JsonSchema | undefined, key: string): JsonSchema | undefined {
  const s = schema?.anyOf?.[0] ?? schema?.oneOf?.[0] ?? schema;
  const extra = typeof s?.additionalProperties === 'object' ? s.additionalProperties : undefined;
  return s?.properties?.[key] ?? extra;
}

const label = (path: Path): string => `/${path.map((p) => (typeof p === 'number' ? '*' : p)).join('/')}`;
const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function getAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], value);
}

const SENTINEL = '\u0001fuzz\u0001';

/** The body's JSON text with `raw` in place of the value at `path` (undefined: delete it). */
function withRaw(body: unknown, path: Path, raw: string | undefined): string {
  if (path.length === 0) return raw ?? '';
  const copy = structuredClone(body);
  const parent = getAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path.at(-1)!;
  if (raw === undefined) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
    return JSON.stringify(copy);
  }
  parent[key] = SENTINEL;
  return JSON.stringify(copy).replace(JSON.stringify(SENTINEL), () => raw);
}

/** An object's JSON text with one more key written first: duplicates and prototype keys. */
const objectWithKey = (obj: Record<string, unknown>, key: string, raw: string): string => {
  const rest = JSON.stringify(obj).slice(1);
  return `{${JSON.stringify(key)}:${raw}${rest === '}' ? '' : ','}${rest}`;
};

const deep = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

function urlOf(op: Operation, params: Record<string, string>, query: string): string {
  const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? encode(name));
  return query ? `${path}?${query}` : path;
}

/** encodeURIComponent throws on lone surrogates, which UTF-8 cannot carry: they go as U+FFFD. */
const encode = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'));
  }
};

const encodeQuery = (q: Record<string, string>): string =>
  Object.entries(q)
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .join('&');

/** Past the frame's 8 KiB URL limit, but no larger: Node's parser stops a real request at 16 KiB. */
const urlText = (s: string): string => encode(s.slice(0, 20_000));

/** Percent-encodings a client can send but no decoder should accept quietly. */
const RAW_URL_TEXTS = ['%zz', '%', '%00', '%ED%A0%80', '%C0%AF', '%FF', '%2F..%2F', 'a%20b', '%E2%80%AE'];

interface Parts {
  params: Record<string, string>;
  query: string;
  payload?: string | Buffer;
  headers: Record<string, string>;
  mutation: string;
}

type Mutator = (op: Operation, seed: Seed) => fc.Arbitrary<Parts> | null;

const JSON_HEADERS = { 'content-type': 'application/json' };

const base = (
  seed: Seed,
  mutation: string,
  payload?: string | Buffer,
  headers: Record<string, string> = {},
): Parts => ({
  params: Object.fromEntries(Object.entries(seed.params ?? {}).map(([k, v]) => [k, encode(v)])),
  query: encodeQuery(seed.query ?? {}),
  ...(payload !== undefined
    ? { payload }
    : seed.body !== undefined
      ? { payload: JSON.stringify(seed.body) }
      : {}),
  headers: { ...(seed.body !== undefined || payload !== undefined ? JSON_HEADERS : {}), ...headers },
  mutation,
});

const bodyValue: Mutator = (op, seed) => {
  if (seed.body === undefined) return null;
  const paths = pathsOf(seed.body, op.body).filter((p) => p.path.length > 0);
  return fc
    .constantFrom(...paths)
    .chain((p) =>
      hostileFor(p.schema).map((v) =>
        base(seed, `value ${label(p.path)}`, withRaw(seed.body, p.path, v.raw)),
      ),
    );
};

/** Keys the schema knows but the seed lacks, set to hostile values; and keys nobody knows. */
const bodyKey: Mutator = (op, seed) => {
  if (seed.body === undefined) return null;
  const objects = pathsOf(seed.body, op.body).filter((p) => isObject(getAt(seed.body, p.path)));
  if (objects.length === 0) return null;
  return fc.constantFrom(...objects).chain(({ path, schema }) => {
    const obj = getAt(seed.body, path) as Record<string, unknown>;
    const known = Object.keys(schema?.properties ?? {});
    const names = fc.oneof(
      ...(known.length > 0 ? [fc.constantFrom(...known)] : []),
      fc.string({ maxLength: 12 }),
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', ''),
    );
    const existing = Object.keys(obj);
    const dupOf = existing.length > 0 ? [fc.constantFrom(...existing).map((k) => ['dup', k] as const)] : [];
    return fc
      .tuple(
        fc.oneof(
          names.map((k) => ['key', k] as const),
          ...dupOf,
        ),
        hostileFor(undefined),
      )
      .map(([[kind, key], v]) => {
        const raw = kind === 'key' && key === '__proto__' ? '{"polluted":true}' : v.raw;
        const where = `${label(path)}/${kind === 'dup' ? `${key} (duplicate)` : key}`;
        return base(seed, `key ${where}`, withRaw(seed.body, path, objectWithKey(obj, key, raw)));
      });
  });
};

const bodyShape: Mutator = (op, seed) => {
  if (seed.body === undefined) return null;
  const paths = pathsOf(seed.body, op.body);
  const text = JSON.stringify(seed.body);
  const arrays = paths.filter(
    (p) => Array.isArray(getAt(seed.body, p.path)) && (getAt(seed.body, p.path) as []).length > 0,
  );
  return fc.oneof(
    fc
      .constantFrom(...paths.filter((p) => p.path.length > 0))
      .map((p) => base(seed, `missing ${label(p.path)}`, withRaw(seed.body, p.path, undefined))),
    fc
      .tuple(fc.constantFrom(...paths), fc.constantFrom(10, 33, 100, 10_000, 500_000))
      .map(([p, d]) => base(seed, `nesting ${d} at ${label(p.path)}`, withRaw(seed.body, p.path, deep(d)))),
    fc
      .constantFrom(
        '',
        'null',
        '[]',
        '{}',
        '"x"',
        '1e400',
        '{',
        text.slice(0, -1),
        `${text}x`,
        `${text}${text}`,
        `\ufeff${text}`,
      )
      .map((t) => base(seed, 'whole body', t)),
    fc.constant(
      base(
        seed,
        'invalid UTF-8',
        Buffer.concat([
          Buffer.from(text.slice(0, 5)),
          Buffer.from([0xc3, 0x28, 0xff]),
          Buffer.from(text.slice(5)),
        ]),
      ),
    ),
    ...(arrays.length > 0
      ? [
          fc.tuple(fc.constantFrom(...arrays), fc.constantFrom(1_001, 10_001)).map(([p, n]) => {
            const first = JSON.stringify((getAt(seed.body, p.path) as unknown[])[0]);
            return base(
              seed,
              `${n} items at ${label(p.path)}`,
              withRaw(seed.body, p.path, `[${Array(n).fill(first).join(',')}]`),
            );
          }),
        ]
      : []),
  );
};

const MEDIA_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/jsonx',
  'application/vnd.api+json',
  'application/problem+json',
  '',
  '*/*',
];

const transport: Mutator = (_op, seed) => {
  const text = JSON.stringify(seed.body ?? { a: 1 });
  return fc.oneof(
    fc
      .constantFrom(...MEDIA_TYPES)
      .map((t) => base(seed, `content-type "${t}"`, text, { 'content-type': t })),
    fc
      .constantFrom('gzip', 'deflate', 'br', 'x-unknown')
      .map((e) =>
        base(seed, `content-encoding ${e}`, e === 'gzip' ? gzipSync(text) : text, { 'content-encoding': e }),
      ),
    fc.constant(base(seed, 'content-encoding gzip, plain body', text, { 'content-encoding': 'gzip' })),
  );
};

/** Hostile query strings: values, duplicates, unknown and prototype names, broken encodings. */
const queryString: Mutator = (op, seed) => {
  const names = [...new Set([...Object.keys(op.query), ...Object.keys(seed.query ?? {})])];
  const q = seed.query ?? {};
  const valueFor = (name: string) =>
    fc.oneof(
      stringTexts.map(urlText),
      hostileFor(op.query[name]).map((v) =>
        encode(typeof JSON.parse(v.raw) === 'string' ? JSON.parse(v.raw) : v.raw),
      ),
      fc.constantFrom(...RAW_URL_TEXTS),
    );
  const others = (skip: string) =>
    encodeQuery(Object.fromEntries(Object.entries(q).filter(([k]) => k !== skip)));
  const join = (...parts: string[]) => parts.filter(Boolean).join('&');
  const named = names.length > 0 ? fc.constantFrom(...names) : fc.constant('x');
  return fc.oneof(
    named.chain((n) =>
      valueFor(n).map((v) => ({ ...base(seed, `query ${n}`), query: join(others(n), `${n}=${v}`) })),
    ),
    named.chain((n) =>
      valueFor(n).map((v) => ({
        ...base(seed, `query ${n} twice`),
        query: join(encodeQuery(q), `${n}=${v}`),
      })),
    ),
    named.map((n) => ({ ...base(seed, `query ${n} missing`), query: others(n) })),
    fc
      .constantFrom(
        '__proto__=x',
        '__proto__[a]=1',
        'constructor[prototype][a]=1',
        'a[b]=c',
        'x=1',
        '=',
        '&&',
        'a=1;b=2',
      )
      .map((extra) => ({ ...base(seed, `query extra ${extra}`), query: join(encodeQuery(q), extra) })),
  );
};

const pathParam: Mutator = (op, seed) => {
  const names = Object.keys(op.params);
  if (names.length === 0) return null;
  return fc
    .tuple(
      fc.constantFrom(...names),
      fc.oneof(stringTexts.map(urlText), fc.constantFrom(...RAW_URL_TEXTS, '..', '.', '%2e%2e')),
    )
    .map(([n, v]) => {
      const parts = base(seed, `path ${n}`);
      return { ...parts, params: { ...parts.params, [n]: v.length > 0 ? v : '%20' } };
    });
};

/** All mutations of one operation around its seed. */
export function mutations(op: Operation, seed: () => Seed): fc.Arbitrary<FuzzRequest> {
  return fc.constant(null).chain(() => {
    const s = seed();
    const arbs = [bodyValue, bodyKey, bodyShape, transport, queryString, pathParam]
      .map((m) => m(op, s))
      .filter((a): a is fc.Arbitrary<Parts> => a !== null);
    return fc.oneof(...arbs).map((p) => ({
      method: op.method,
      url: urlOf(op, p.params, p.query),
      headers: p.headers,
      ...(p.payload !== undefined ? { payload: p.payload } : {}),
      mutation: p.mutation,
    }));
  });
}

export type { Raw };
