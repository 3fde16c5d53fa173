import { Writable } from 'node:stream';
import { createLogger } from '@takt/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, createMetricsRegistry, generateApiKey, type TaktApp } from '../src/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const key = generateApiKey();

const lines: string[] = [];
let app: TaktApp;

beforeAll(async () => {
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  app = await createHttpApp({
    service: 'test',
    logger: createLogger({ service: 'test', level: 'info', destination }),
    metrics: createMetricsRegistry('test'),
    resolveKey: async (token) =>
      token === key.key ? { tenantId: 't1', keyId: key.id, scopes: ['ingest'] } : null,
    readiness: {},
  });
  app.get('/v1/ids', { config: { scope: 'ingest' } }, async (request) => {
    request.log.info('handler');
    return { requestId: request.id, correlationId: request.correlationId };
  });
  await app.ready();
});
afterAll(() => app.close());

const get = (headers: Record<string, string>, auth = true) =>
  app.inject({
    method: 'GET',
    url: '/v1/ids',
    headers: { ...(auth ? { authorization: `Bearer ${key.key}` } : {}), ...headers },
  });

/** The log lines of one request, found by its server-made id. */
const logOf = (requestId: string) => lines.filter((l) => l.includes(requestId)).map((l) => JSON.parse(l));

describe('request ids', () => {
  it('are made by the server, whatever the client sends', async () => {
    const a = await get({ 'x-request-id': 'client-chosen-1' });
    const b = await get({ 'x-request-id': 'client-chosen-1' });
    const ids = [a.headers['x-request-id'], b.headers['x-request-id']];
    for (const id of ids) expect(id).toMatch(UUID);
    expect(ids[0]).not.toBe(ids[1]);
    expect(a.json()).toEqual({ requestId: ids[0], correlationId: 'client-chosen-1' });
  });

  it('echo a valid correlation id separately and carry it into every log line of the request', async () => {
    const res = await get({ 'x-correlation-id': 'order-4711.retry_2', 'x-request-id': 'ignored-1' });
    expect(res.headers['x-correlation-id']).toBe('order-4711.retry_2');
    const requestId = String(res.headers['x-request-id']);
    const logged = logOf(requestId);
    expect(logged.map((l) => l.msg)).toEqual(['handler', 'request']);
    for (const l of logged)
      expect(l).toMatchObject({ reqId: requestId, correlationId: 'order-4711.retry_2' });
    expect(logged.at(-1)).not.toHaveProperty('correlationIdIgnored');
    const plain = await get({});
    expect(plain.headers['x-correlation-id']).toBeUndefined();
    for (const l of logOf(String(plain.headers['x-request-id']))) {
      expect(l).not.toHaveProperty('correlationId');
      expect(l).not.toHaveProperty('correlationIdIgnored');
    }
  });

  it('echo the correlation id on errors too, so a failed call can be traced', async () => {
    const res = await get({ 'x-request-id': 'trace-401' }, false);
    expect(res.statusCode).toBe(401);
    expect(res.headers['x-correlation-id']).toBe('trace-401');
    expect(res.json().requestId).toBe(res.headers['x-request-id']);
  });

  it('never echo or log a hostile correlation id', async () => {
    const hostile = [
      'line\nbreak',
      'crlf\r\nset-cookie: stolen=1',
      'x'.repeat(10_240),
      'caf\u00e9-\u30ea\u30af\u30a8\u30b9\u30c8',
      'a'.repeat(65),
      'spaces are not allowed',
    ];
    for (const value of hostile) {
      for (const header of ['x-request-id', 'x-correlation-id']) {
        const res = await get({ [header]: value });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ requestId: res.headers['x-request-id'], correlationId: null });
        expect(res.headers['x-correlation-id']).toBeUndefined();
        expect(Object.values(res.headers).join('\n')).not.toContain(value);
        const logged = logOf(String(res.headers['x-request-id']));
        expect(logged).toHaveLength(2);
        for (const l of logged) expect(l).not.toHaveProperty('correlationId');
        expect(logged.at(-1)).toMatchObject({ msg: 'request', correlationIdIgnored: true });
      }
    }
    const all = lines.join('');
    for (const value of hostile) expect(all).not.toContain(JSON.stringify(value).slice(1, -1));
  });
});
