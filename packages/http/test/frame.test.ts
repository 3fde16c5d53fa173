import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { createLogger } from '@takt/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createHttpApp,
  createMetricsRegistry,
  generateApiKey,
  type HttpLimitsInput,
  limitsFromEnv,
  type Principal,
  resolveLimits,
  type TaktApp,
} from '../src/index.js';

const keyA = generateApiKey();
const keyB = generateApiKey();
const keys = new Map<string, Principal>([
  [keyA.key, { tenantId: 't1', keyId: keyA.id, scopes: ['ingest'] }],
  [keyB.key, { tenantId: 't1', keyId: keyB.id, scopes: ['ingest'] }],
]);
const auth = (k: string) => ({ authorization: `Bearer ${k}` });
const noLimits = { rateLimit: { perIp: 0, perKey: 0 } };

async function build(limits: HttpLimitsInput): Promise<TaktApp> {
  const app = await createHttpApp({
    service: 'test',
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics: createMetricsRegistry('test'),
    resolveKey: async (token) => keys.get(token) ?? null,
    readiness: {},
    limits,
  });
  app.post(
    '/v1/things/:code',
    {
      config: { scope: 'ingest' },
      schema: {
        params: z.object({ code: z.string().max(64) }),
        body: z.object({ records: z.array(z.object({ good: z.number() }).loose()) }),
      },
    },
    async (request) => ({ n: request.body.records.length }),
  );
  await app.ready();
  return app;
}

/** A raw exchange over a real socket: Node's parser errors never reach app.inject. */
async function raw(port: number, request: string): Promise<{ head: string; body: string }> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  socket.write(request);
  await new Promise((resolve) => socket.on('close', resolve));
  const [head = '', body = ''] = Buffer.concat(chunks).toString().split('\r\n\r\n');
  return { head, body };
}

const post = (app: TaktApp, payload: string, headers: Record<string, string> = {}, url = '/v1/things/a') =>
  app.inject({
    method: 'POST',
    url,
    headers: { ...auth(keyA.key), 'content-type': 'application/json', ...headers },
    payload,
  });

describe('bodies and URLs', () => {
  let app: TaktApp;
  beforeAll(async () => {
    app = await build({ ...noLimits, maxUrlBytes: 1024, maxHeaderBytes: 4096, maxJsonDepth: 8 });
    await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  const problem = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }) => {
    expect(String(res.headers['content-type'])).toContain('application/problem+json');
    return res.json() as { status: number; code: string; errors?: { pointer: string; detail: string }[] };
  };

  it('rejects duplicate and prototype keys with a 400 naming the key', async () => {
    const dup = await post(app, '{"records":[{"good":1,"good":2}]}');
    expect(dup.statusCode).toBe(400);
    expect(problem(dup)).toMatchObject({
      code: 'TAKT_VALIDATION',
      errors: [{ pointer: '/records/0/good', detail: 'duplicate key "good"' }],
    });
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const res = await post(app, `{"records":[{"good":1,"${key}":{"polluted":true}}]}`);
      expect(res.statusCode).toBe(400);
      expect(problem(res).errors).toEqual([
        { pointer: `/records/0/${key}`, detail: `key "${key}" is not allowed` },
      ]);
    }
  });

  it('answers 400 to broken JSON, empty bodies and deep nesting', async () => {
    for (const body of ['{"records": [', '', `{"records":[${'['.repeat(50)}${']'.repeat(50)}]}`]) {
      const res = await post(app, body);
      expect(res.statusCode).toBe(400);
      expect(problem(res).code).toBe('TAKT_VALIDATION');
    }
  });

  it('answers 415 to compressed bodies, other media types and charsets', async () => {
    const gz = await app.inject({
      method: 'POST',
      url: '/v1/things/a',
      headers: { ...auth(keyA.key), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync('{"records":[]}'),
    });
    expect(gz.statusCode).toBe(415);
    expect(problem(gz).code).toBe('TAKT_UNSUPPORTED_MEDIA_TYPE');
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
    ]) {
      const res = await post(app, '{"records":[]}', { 'content-type': type });
      expect(res.statusCode, type).toBe(415);
      expect(problem(res).code).toBe('TAKT_UNSUPPORTED_MEDIA_TYPE');
    }
    expect((await post(app, '{"records":[]}', { 'content-encoding': 'identity' })).statusCode).toBe(200);
  });

  it('answers 414 to long URLs and long parameters, 400 to bad percent-encoding', async () => {
    const longQuery = await post(app, '{"records":[]}', {}, `/v1/things/a?x=${'y'.repeat(1100)}`);
    expect(longQuery.statusCode).toBe(414);
    expect(problem(longQuery).code).toBe('TAKT_URI_TOO_LONG');
    const longParam = await post(app, '{"records":[]}', {}, `/v1/things/${'y'.repeat(1100)}`);
    expect(longParam.statusCode).toBe(414);
    expect(problem(longParam).code).toBe('TAKT_URI_TOO_LONG');
    const badParam = await post(app, '{"records":[]}', {}, `/v1/things/${'y'.repeat(100)}`);
    expect(problem(badParam).errors?.[0]?.pointer).toBe('/path/code');
    const badUrl = await post(app, '{"records":[]}', {}, '/v1/things/%zz');
    expect(badUrl.statusCode).toBe(400);
    expect(problem(badUrl).code).toBe('TAKT_VALIDATION');
  });

  it('answers 431 and malformed requests with problem+json on the socket', async () => {
    const port = (app.server.address() as { port: number }).port;
    const big = await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    expect(big.head).toMatch(/^HTTP\/1\.1 431 /);
    expect(big.head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(JSON.parse(big.body)).toMatchObject({ status: 431, code: 'TAKT_HEADERS_TOO_LARGE' });
    const garbage = await raw(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage.head).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(garbage.body)).toMatchObject({ status: 400, code: 'TAKT_BAD_REQUEST' });
  });
});

describe('rate limits', () => {
  let app: TaktApp;
  beforeAll(async () => {
    app = await build({ rateLimit: { perIp: 5, perKey: 3, windowMs: 60_000 } });
  });
  afterAll(() => app.close());

  it('limits each API key after auth, and each address before it, with Retry-After', async () => {
    const ok = '{"records":[]}';
    for (let i = 0; i < 3; i++) expect((await post(app, ok)).statusCode).toBe(200);
    const limited = await post(app, ok);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ code: 'TAKT_RATE_LIMITED', retriable: true });
    // Another key of the same address still passes, until the address's own budget is spent.
    expect((await post(app, ok, auth(keyB.key))).statusCode).toBe(200);
    const byAddress = await post(app, ok, auth(keyB.key));
    expect(byAddress.statusCode).toBe(429);
    expect(byAddress.json().detail).toContain('from this address');
    const anonymous = await post(app, ok, { authorization: '' });
    expect(anonymous.statusCode).toBe(429);
    for (const url of ['/healthz', '/readyz', '/metrics'])
      expect((await app.inject(url)).statusCode).toBe(200);
  });
});

describe('load shedding', () => {
  let app: TaktApp;
  beforeAll(async () => {
    // Any heap is over one byte: the first sample puts the process under pressure.
    app = await build({
      ...noLimits,
      pressure: { maxHeapUsedBytes: 1, sampleIntervalMs: 10, retryAfterS: 7 },
    });
    await delay(100);
  });
  afterAll(() => app.close());

  it('answers 503 problem+json with Retry-After, but never to health, readiness or metrics', async () => {
    const res = await post(app, '{"records":[]}');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json()).toMatchObject({ code: 'TAKT_OVERLOADED', retriable: true, retryAfterS: 7 });
    for (const url of ['/healthz', '/readyz', '/metrics'])
      expect((await app.inject(url)).statusCode).toBe(200);
  });
});

describe('limits', () => {
  it('turn rate limits and shedding on through the configuration, and the heap cap follows V8', () => {
    expect(resolveLimits().rateLimit).toMatchObject({ perIp: 0, perKey: 0 });
    expect(resolveLimits().pressure.maxEventLoopDelayMs).toBe(0);
    const fromEnv = limitsFromEnv({
      BODY_LIMIT_BYTES: 1,
      REQUEST_TIMEOUT_MS: 2,
      MAX_URL_BYTES: 3,
      MAX_HEADER_BYTES: 4,
      MAX_JSON_DEPTH: 5,
      RATE_LIMIT_WINDOW_MS: 6,
      RATE_LIMIT_PER_IP: 7,
      RATE_LIMIT_PER_KEY: 8,
      PRESSURE_SAMPLE_INTERVAL_MS: 9,
      PRESSURE_MAX_EVENT_LOOP_DELAY_MS: 10,
      PRESSURE_MAX_EVENT_LOOP_UTILIZATION: 0.5,
      PRESSURE_MAX_HEAP_USED_BYTES: 0,
      PRESSURE_MAX_RSS_BYTES: 11,
      PRESSURE_RETRY_AFTER_S: 12,
    });
    expect(fromEnv.rateLimit).toEqual({ windowMs: 6, perIp: 7, perKey: 8 });
    expect(fromEnv.pressure?.maxHeapUsedBytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(fromEnv.pressure?.retryAfterS).toBe(12);
  });
});
