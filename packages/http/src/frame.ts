import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyHttpOptions, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  badRequest,
  overloaded,
  problemType,
  rateLimited,
  unsupportedMediaType,
  uriTooLong,
} from './errors.js';
import { jsonStructureProblems } from './json.js';
import type { HttpLimits } from './limits.js';
import { STATUS_CODES, sendProblem, titleOf, toProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Neither rate-limited nor shed: health, readiness and metrics must answer under load. */
    unlimited?: boolean;
  }
}

/** The frame's limits that fastify and Node's HTTP parser enforce themselves (docs/http.md, "Limits"). */
export function frameServerOptions(limits: HttpLimits): FastifyHttpOptions<Server> {
  return {
    bodyLimit: limits.bodyLimitBytes,
    requestTimeout: limits.requestTimeoutMs,
    http: { maxHeaderSize: limits.maxHeaderBytes },
    // Longer path parameters are 414 (FST_ERR_MAX_PARAM_LENGTH); shorter ones reach the
    // route's zod schema, which names them in a 400.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: limits.maxUrlBytes },
    // Our JSON parser below replaces fastify's; these keep its behaviour should it ever run.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Bad percent-encoding and over-long parameters, found before any route matched.
    frameworkErrors: (error, request, reply) => {
      sendProblem(reply, toProblem(error, request));
    },
    clientErrorHandler,
  };
}

/**
 * Node answers requests its parser rejects (header overflow, garbage, timeouts) on the socket
 * itself, before fastify sees them; this writes the same problem+json every other error has.
 */
function clientErrorHandler(this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const code = STATUS_CODES[status] ?? 'TAKT_BAD_REQUEST';
  const detail =
    status === 431
      ? 'the request line and headers are too large'
      : status === 408
        ? 'the request was not received in time'
        : `malformed HTTP request (${err.code ?? 'unparsable'})`;
  const body = JSON.stringify({
    type: problemType(code),
    title: titleOf(status),
    status,
    detail,
    code,
    retriable: status === 408,
    requestId: randomUUID(),
  });
  this.log.debug({ err }, 'client error');
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${titleOf(status)}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined ||
  (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');

/** Bodies: JSON only, uncompressed, UTF-8, unambiguous keys, bounded depth (docs/http.md, "Bodies"). */
export function installBodyRules(app: FastifyInstance, limits: HttpLimits): void {
  app.addHook('onRequest', async (request) => {
    if ((request.raw.url ?? '').length > limits.maxUrlBytes) {
      throw uriTooLong(`the URL is longer than ${limits.maxUrlBytes} bytes`);
    }
  });
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity' && hasBody(request)) {
      throw unsupportedMediaType(
        `Content-Encoding "${encoding}" is not accepted: send the body uncompressed`,
      );
    }
    return payload;
  });
  // Drops fastify's text/plain parser too: a route that takes JSON answers 415 to anything else.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, text, done) => {
    try {
      done(null, parseJsonBody(String(request.headers['content-type']), text as string, limits.maxJsonDepth));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

export function parseJsonBody(contentType: string, text: string, maxDepth: number): unknown {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw unsupportedMediaType(`charset "${charset}" is not accepted: send UTF-8`);
  }
  if (text.length === 0) throw badRequest('the body is empty', [{ pointer: '', detail: 'empty body' }]);
  const { depth, key } = jsonStructureProblems(text, maxDepth);
  if (depth) throw badRequest(`body ${depth.detail} at ${depth.pointer || '/'}`, [depth]);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = `not valid JSON: ${(err as Error).message}`;
    throw badRequest(`the body is ${detail}`, [{ pointer: '', detail }]);
  }
  if (key) throw badRequest(`body has ${key.detail} at ${key.pointer}`, [key]);
  return value;
}

const exempt = (request: FastifyRequest): boolean => request.routeOptions.config?.unlimited === true;

/** Load shedding: 503 with Retry-After while the process is past a pressure threshold. */
export async function installLoadShedding(app: FastifyInstance, limits: HttpLimits): Promise<void> {
  const p = limits.pressure;
  await app.register(underPressure, {
    sampleInterval: p.sampleIntervalMs,
    maxEventLoopDelay: p.maxEventLoopDelayMs,
    maxEventLoopUtilization: p.maxEventLoopUtilization,
    eventLoopUtilizationMode: 'interval',
    maxHeapUsedBytes: p.maxHeapUsedBytes,
    maxRssBytes: p.maxRssBytes,
    pressureHandler: (request: FastifyRequest, reply: FastifyReply, type: string) => {
      if (exempt(request)) return;
      reply.header('retry-after', p.retryAfterS);
      request.log.warn({ pressure: type }, 'shedding load');
      return Promise.reject(overloaded(`the service is overloaded (${type}); retry later`, p.retryAfterS));
    },
  });
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

function limitHook(limiter: Limiter, windowMs: number, whose: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (exempt(request)) return;
    const r = await limiter(request);
    if (r.isAllowed || !r.isExceeded) return;
    reply.header('retry-after', r.ttlInSeconds).header('x-ratelimit-limit', r.max);
    throw rateLimited(
      `more than ${r.max} requests in ${Math.round(windowMs / 1000)} s ${whose}; retry in ${r.ttlInSeconds} s`,
      r.ttlInSeconds,
    );
  };
}

/**
 * Rate limits in two places: per client address before authentication (so a flood of bad keys
 * never reaches the key lookup) and per API key after it (so one runaway client cannot starve
 * the others of a tenant). `installKeyLimit` must run after the auth hook is installed.
 */
export async function installIpLimit(app: FastifyInstance, limits: HttpLimits): Promise<void> {
  await app.register(rateLimit, { global: false });
  const { windowMs, perIp } = limits.rateLimit;
  if (perIp === 0) return;
  const limiter = app.createRateLimit({
    max: perIp,
    timeWindow: windowMs,
    keyGenerator: (request) => `ip:${normalizeIP(request.ip)}`,
  });
  app.addHook('onRequest', limitHook(limiter, windowMs, 'from this address'));
}

export function installKeyLimit(app: FastifyInstance, limits: HttpLimits): void {
  const { windowMs, perKey } = limits.rateLimit;
  if (perKey === 0) return;
  const limiter = app.createRateLimit({
    max: perKey,
    timeWindow: windowMs,
    keyGenerator: (request) => `key:${request.principal?.keyId}`,
  });
  const hook = limitHook(limiter, windowMs, 'with this API key');
  app.addHook('onRequest', async (request, reply) => {
    if (request.principal) await hook(request, reply);
  });
}
