import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type FieldError, problemType, TaktError } from './errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  retriable: boolean;
  instance?: string;
  requestId: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const CONTEXT_ROOT: Record<string, string> = {
  body: '',
  querystring: '/query',
  params: '/path',
  headers: '/headers',
};

/** Fastify's own client errors, by code, to a stable Takt code. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'TAKT_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'TAKT_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'TAKT_VALIDATION',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'TAKT_VALIDATION',
  FST_ERR_CTP_INVALID_JSON_BODY: 'TAKT_VALIDATION',
  FST_ERR_BAD_URL: 'TAKT_VALIDATION',
  FST_ERR_MAX_PARAM_LENGTH: 'TAKT_URI_TOO_LONG',
};

/** Other client errors by status, for errors that carry no known code. */
export const STATUS_CODES: Record<number, string> = {
  408: 'TAKT_REQUEST_TIMEOUT',
  413: 'TAKT_TOO_LARGE',
  414: 'TAKT_URI_TOO_LONG',
  415: 'TAKT_UNSUPPORTED_MEDIA_TYPE',
  431: 'TAKT_HEADERS_TOO_LARGE',
};

export const titleOf = (status: number): string =>
  TITLES[status] ?? (status >= 500 ? 'Error' : 'Bad Request');

export function toProblem(error: unknown, request: FastifyRequest): Problem {
  const base = { instance: request.url.split('?')[0], requestId: String(request.id) };
  if (error instanceof TaktError) {
    return {
      type: error.type,
      title: TITLES[error.status] ?? 'Error',
      status: error.status,
      detail: error.message,
      code: error.code,
      retriable: error.retriable,
      ...base,
      ...(error.options.errors && error.options.errors.length > 0 ? { errors: error.options.errors } : {}),
      ...error.options.extra,
    };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const root = CONTEXT_ROOT[(error as { validationContext?: string }).validationContext ?? 'body'] ?? '';
    const errors = error.validation.map((v) => ({
      pointer: root + (v.instancePath === '/' ? '' : v.instancePath),
      detail: v.message ?? 'invalid',
    }));
    return {
      type: problemType('TAKT_VALIDATION'),
      title: TITLES[400]!,
      status: 400,
      detail: `invalid request: ${errors.length} problem${errors.length === 1 ? '' : 's'}, first at ${errors[0]?.pointer || '/'}: ${errors[0]?.detail}`,
      code: 'TAKT_VALIDATION',
      retriable: false,
      ...base,
      errors,
    };
  }
  const fe = error as Partial<FastifyError>;
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = (fe.code && FASTIFY_CODES[fe.code]) ?? STATUS_CODES[status] ?? 'TAKT_BAD_REQUEST';
    return {
      type: problemType(code),
      title: titleOf(status),
      status,
      detail: fe.message ?? 'bad request',
      code,
      retriable: status === 429,
      ...base,
      ...(code === 'TAKT_VALIDATION'
        ? { errors: [{ pointer: '', detail: fe.message ?? 'invalid body' }] }
        : {}),
    };
  }
  // Internals of a 5xx never reach the client: it is a bug, and the log has the details.
  return {
    type: problemType('TAKT_INTERNAL'),
    title: TITLES[500]!,
    status: 500,
    detail: 'internal error; quote the requestId when reporting it',
    code: 'TAKT_INTERNAL',
    retriable: true,
    ...base,
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error, request);
    if (problem.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else if (error instanceof TaktError && error.status === 503) {
      request.log.warn({ err: error }, 'dependency unavailable');
    }
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      toProblem(
        new TaktError('TAKT_NO_ROUTE', 404, `no route ${request.method} ${request.url.split('?')[0]}`),
        request,
      ),
    ),
  );
}
