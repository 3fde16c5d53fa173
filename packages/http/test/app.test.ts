import { createLogger } from '@takt/log';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  apiKeyId,
  apiKeyMatches,
  conflict,
  createHttpApp,
  createMetricsRegistry,
  generateApiKey,
  jsonPointer,
  type Principal,
  type TaktApp,
} from '../src/index.js';

const ingestKey = generateApiKey();
const readKey = generateApiKey();
const keys = new Map<string, Principal>([
  [ingestKey.key, { tenantId: 't1', keyId: ingestKey.id, scopes: ['ingest'] }],
  [readKey.key, { tenantId: 't1', keyId: readKey.id, scopes: ['read'] }],
]);

let app: TaktApp;
let ready = true;
let why: string[] | undefined;

beforeAll(async () => {
  app = await createHttpApp({
    service: 'test',
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics: createMetricsRegistry('test'),
    resolveKey: async (token) => keys.get(token) ?? null,
    readiness: {
      fake: async () => {
        if (!ready) throw Object.assign(new Error('down'), why ? { reasons: why } : {});
      },
    },
    bodyLimitBytes: 1024,
  });
  app.post(
    '/v1/things',
    {
      config: { scope: 'ingest' },
      schema: {
        body: z.object({ records: z.array(z.object({ good: z.number().int().nonnegative() })) }),
        querystring: z.object({ mode: z.enum(['a', 'b']).optional() }),
      },
    },
    async (request) => ({ n: request.body.records.length, tenant: request.principal?.tenantId }),
  );
  app.get('/v1/conflict', { config: { scope: 'ingest' } }, async () => {
    throw conflict('TAKT_BATCH_CONFLICT', 'batch id reused', { conflictingId: 'x' });
  });
  app.get('/v1/boom', { config: { scope: 'ingest' } }, async () => {
    throw new Error('secret database detail');
  });
  await app.ready();
});

afterAll(() => app.close());

const auth = (k: string) => ({ authorization: `Bearer ${k}` });

describe('createHttpApp', () => {
  it('accepts a valid request with the right scope', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: auth(ingestKey.key),
      payload: { records: [{ good: 1 }] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ n: 1, tenant: 't1' });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('checks auth before the body', async () => {
    const missing = await app.inject({ method: 'POST', url: '/v1/things', payload: 'x'.repeat(5000) });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    const wrongScope = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: auth(readKey.key),
      payload: {},
    });
    expect(wrongScope.statusCode).toBe(403);
    expect(wrongScope.json().code).toBe('TAKT_FORBIDDEN');
  });

  it('names the offending field with a JSON pointer', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/things?mode=zzz',
      headers: auth(ingestKey.key),
      payload: { records: [{ good: 1 }] },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.type).toBe('https://takt.dev/problems/validation');
    expect(body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/query/mode']);
  });

  it('points into the body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: auth(ingestKey.key),
      payload: { records: [{ good: 1 }, { good: -1 }] },
    });
    expect(res.json().errors).toEqual([{ pointer: '/records/1/good', detail: expect.any(String) }]);
  });

  it('answers 413 over the body limit and 400 on broken JSON', async () => {
    const big = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: { ...auth(ingestKey.key), 'content-type': 'application/json' },
      payload: JSON.stringify({ records: Array.from({ length: 400 }, () => ({ good: 1 })) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('TAKT_TOO_LARGE');
    const broken = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: { ...auth(ingestKey.key), 'content-type': 'application/json' },
      payload: '{"records": [',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.headers['content-type']).toContain('application/problem+json');
  });

  it('carries conflict details and hides 5xx internals', async () => {
    const c = await app.inject({ method: 'GET', url: '/v1/conflict', headers: auth(ingestKey.key) });
    expect(c.statusCode).toBe(409);
    expect(c.json()).toMatchObject({ code: 'TAKT_BATCH_CONFLICT', conflictingId: 'x', retriable: false });
    const boom = await app.inject({ method: 'GET', url: '/v1/boom', headers: auth(ingestKey.key) });
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain('secret database detail');
  });

  it('serves health, readiness, metrics, docs and problem 404s', async () => {
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    ready = false;
    const notReady = await app.inject('/readyz');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().checks).toEqual({ fake: 'unreachable' });
    expect(notReady.json().reasons).toBeUndefined();
    why = ['task_failed', 'slot_inactive'];
    const unhealthy = await app.inject('/readyz');
    expect(unhealthy.statusCode).toBe(503);
    expect(unhealthy.json()).toEqual({
      status: 'not ready',
      checks: { fake: 'unhealthy' },
      reasons: { fake: ['task_failed', 'slot_inactive'] },
    });
    why = undefined;
    ready = true;
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toContain('takt_http_request_duration_seconds');
    expect((await app.inject('/docs/json')).json().paths['/v1/things']).toBeDefined();
    const nf = await app.inject('/nope');
    expect(nf.statusCode).toBe(404);
    expect(nf.headers['content-type']).toContain('application/problem+json');
  });
});

describe('api keys', () => {
  it('round-trips id and hash, and rejects tampering', () => {
    const k = generateApiKey();
    expect(apiKeyId(k.key)).toBe(k.id);
    expect(apiKeyMatches(k.key, k.hash)).toBe(true);
    expect(apiKeyMatches(`${k.key.slice(0, -1)}A`, k.hash)).toBe(k.key.endsWith('A'));
    expect(apiKeyId('takt_nothex_x')).toBeNull();
  });
});

describe('jsonPointer', () => {
  it('escapes ~ and / per RFC 6901', () => {
    expect(jsonPointer(['records', 3, 'a/b~c'])).toBe('/records/3/a~1b~0c');
    fc.assert(
      fc.property(fc.array(fc.string()), (path) => {
        const decoded = jsonPointer(path)
          .split('/')
          .slice(1)
          .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
        expect(decoded).toEqual(path);
      }),
    );
  });
});
