import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { correlationIdFrom, type Logger, newRequestId, sentCorrelationId } from '@takt/log';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { installAuth, type KeyResolver } from './auth.js';
import {
  frameServerOptions,
  installBodyRules,
  installIpLimit,
  installKeyLimit,
  installLoadShedding,
} from './frame.js';
import { type HttpLimitsInput, resolveLimits } from './limits.js';
import { installHttpMetrics } from './metrics.js';
import { installProblemHandlers } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's correlation id when it is [A-Za-z0-9._-]{1,64}, else null (docs/identity.md). */
    correlationId: string | null;
  }
}

export type ReadinessCheck = () => Promise<void>;

export interface HttpAppOptions {
  service: string;
  version?: string;
  logger: Logger;
  metrics: Registry;
  resolveKey: KeyResolver;
  /** Each check throws when its dependency is unreachable; /readyz runs them all. */
  readiness: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
  requestTimeoutMs?: number;
  /** Size limits, rate limits and load shedding (docs/http.md); the two options above win. */
  limits?: HttpLimitsInput;
}

export type TaktApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/**
 * The common frame of every Takt HTTP service: zod validation, problem+json errors, auth by
 * scope, request ids, metrics, health and OpenAPI at /docs. Services register their routes on it.
 */
export async function createHttpApp(opts: HttpAppOptions): Promise<TaktApp> {
  const limits = resolveLimits({
    ...opts.limits,
    ...(opts.bodyLimitBytes !== undefined ? { bodyLimitBytes: opts.bodyLimitBytes } : {}),
    ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
  });
  const app = Fastify({
    ...frameServerOptions(limits),
    loggerInstance: opts.logger as FastifyBaseLogger,
    // The server makes every request id; what a client sends is only a correlation id, kept
    // beside it when it has the one safe shape (docs/identity.md).
    genReqId: () => newRequestId(),
    childLoggerFactory: (logger, bindings, options, raw) => {
      const correlationId = correlationIdFrom(raw.headers);
      return logger.child(correlationId === null ? bindings : { ...bindings, correlationId }, options);
    },
    // Requests are logged once, on response, by the hook below (with route and duration).
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installProblemHandlers(app);

  app.decorateRequest('correlationId', null);
  app.addHook('onRequest', async (request, reply) => {
    request.correlationId = correlationIdFrom(request.headers);
    reply.header('x-request-id', request.id);
    if (request.correlationId !== null) reply.header('x-correlation-id', request.correlationId);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url,
        status: reply.statusCode,
        ms: reply.elapsedTime,
        // Says that a correlation header came and was dropped, without repeating its text.
        ...(request.correlationId === null && sentCorrelationId(request.headers)
          ? { correlationIdIgnored: true }
          : {}),
      },
      'request',
    );
  });
  // In this order: cheap refusals first, the key lookup only for what is left.
  installBodyRules(app, limits);
  await installLoadShedding(app, limits);
  await installIpLimit(app, limits);

  await app.register(swagger, {
    openapi: {
      info: { title: `Takt ${opts.service}`, version: opts.version ?? '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  installAuth(app, opts.resolveKey);
  installKeyLimit(app, limits);
  installHttpMetrics(app, opts.metrics);

  const probe = { schema: { hide: true }, config: { unlimited: true } };
  app.get('/healthz', probe, async () => ({ status: 'ok', service: opts.service }));
  app.get('/readyz', probe, async (request, reply) => {
    const results = await Promise.all(
      Object.entries(opts.readiness).map(async ([name, check]) => {
        try {
          await check();
          return [name, 'ok'] as const;
        } catch (err) {
          request.log.warn({ err, dependency: name }, 'readiness check failed');
          // A check that knows why (e.g. the CDC watcher's reason codes) says so in the answer.
          const reasons = (err as { reasons?: unknown } | null)?.reasons;
          return Array.isArray(reasons)
            ? ([name, 'unhealthy', reasons.map(String)] as const)
            : ([name, 'unreachable'] as const);
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    const reasons = Object.fromEntries(results.flatMap(([name, , why]) => (why ? [[name, why]] : [])));
    reply.code(ready ? 200 : 503);
    return {
      status: ready ? 'ready' : 'not ready',
      checks: Object.fromEntries(results.map(([name, state]) => [name, state])),
      ...(Object.keys(reasons).length > 0 ? { reasons } : {}),
    };
  });

  return app;
}
