import { randomUUID } from 'node:crypto';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that never reach a log line: credentials, and the personal data that the API
 * accepts (operator, technician). Wildcards cover batch records and nested bodies.
 */
export const redactPaths: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'password',
  '*.password',
  'key',
  '*.key',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'operator',
  '*.operator',
  'records[*].operator',
  'body.records[*].operator',
  'technician',
  '*.technician',
  'records[*].technician',
  'body.records[*].technician',
  'DATABASE_URL',
  'config.DATABASE_URL',
];

export interface LoggerSettings {
  service: string;
  level?: LoggerOptions['level'];
  destination?: DestinationStream;
}

export function createLogger({ service, level = 'info', destination }: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...redactPaths], censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The one shape of client correlation id Takt keeps (docs/identity.md). */
export const CORRELATION_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The id of one request: always made here, never taken from the client (docs/identity.md). */
export const newRequestId = (): string => randomUUID();

type CorrelationHeaders = Record<string, string | string[] | undefined>;

const correlationHeader = (headers: CorrelationHeaders) =>
  headers['x-correlation-id'] ?? headers['x-request-id'];

/** Whether the client sent a correlation header at all, kept or not: an ignored one is worth a flag. */
export const sentCorrelationId = (headers: CorrelationHeaders): boolean =>
  correlationHeader(headers) !== undefined;

/**
 * The client's correlation id: `x-correlation-id`, or else `x-request-id`, when it has the one
 * shape Takt stores, logs and echoes; anything else (too long, control characters, non-ASCII,
 * a header sent twice) is null and ignored, so client text never reaches a row, a log line or a
 * response header (docs/identity.md).
 */
export function correlationIdFrom(headers: CorrelationHeaders): string | null {
  const value = correlationHeader(headers);
  // The length test first: a 10 kB header is refused without being scanned.
  return typeof value === 'string' && value.length <= 64 && CORRELATION_ID.test(value) ? value : null;
}
export { kafkaLog } from './kafka.js';
export { runMain, stopOnSignals } from './process.js';
