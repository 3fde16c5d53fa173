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

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id a client sent in `x-request-id`, if it is safe to echo and store; otherwise a
 * fresh UUID. It ends up in every audited row, so it must not carry arbitrary client text.
 */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID.test(value) ? value : randomUUID();
}
export { kafkaLog } from './kafka.js';
export { runMain, stopOnSignals } from './process.js';
