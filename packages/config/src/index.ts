import { z } from 'zod';

/** Raised once at start-up; lists every bad variable so an operator fixes them in one go. */
export class ConfigError extends Error {
  readonly code = 'TAKT_CONFIG_INVALID';
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Parses the environment against a zod object schema, reporting all issues at once. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    variable: issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)',
    message: issue.message,
  }));
  throw new ConfigError(problems);
}

/** A comma-separated list, trimmed, empty entries dropped. */
export const csv = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  )
  .pipe(z.array(z.string()).min(1));

export const port = z.coerce.number().int().min(1).max(65535);

export const boolFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

/** Variables every Takt process understands. Services extend this with their own. */
export const baseEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: logLevel,
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

export const postgresEnv = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  PG_POOL_MAX: z.coerce.number().int().positive().default(10),
  PG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
});

/**
 * API key checks (docs/api-keys.md). A key's change is announced to every service at once; the
 * cache TTL only bounds how long a missed announcement can matter, so it is capped at a second.
 */
export const apiKeysEnv = z.object({
  API_KEYS_CACHE_TTL_MS: z.coerce.number().int().min(0).max(1_000).default(1_000),
  API_KEYS_POOL_MAX: z.coerce.number().int().positive().default(4),
  /** A key check that cannot connect or answer within this is refused with a retriable 503. */
  API_KEYS_TIMEOUT_MS: z.coerce.number().int().positive().default(2_000),
});

/** For services whose own database is not `takt`: the takt database as `takt_app`, for key checks only. */
export const apiKeysDatabaseEnv = apiKeysEnv.extend({
  API_KEYS_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
});

export const kafkaEnv = z.object({
  KAFKA_BROKERS: csv.default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .default('takt'),
});

export const clickhouseEnv = z.object({
  CLICKHOUSE_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8123'),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('takt'),
  CLICKHOUSE_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
});

export const httpEnv = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: port,
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  // The HTTP frame's limits, rate limits and load shedding: docs/http.md. 0 turns a limit off.
  MAX_URL_BYTES: z.coerce
    .number()
    .int()
    .min(256)
    .default(8 * 1024),
  MAX_HEADER_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024),
  MAX_JSON_DEPTH: z.coerce.number().int().min(2).max(1_000).default(64),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().positive().default(60_000),
  RATE_LIMIT_PER_IP: z.coerce.number().int().nonnegative().default(60_000),
  RATE_LIMIT_PER_KEY: z.coerce.number().int().nonnegative().default(30_000),
  PRESSURE_SAMPLE_INTERVAL_MS: z.coerce.number().int().min(10).default(1_000),
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().nonnegative().default(1_000),
  PRESSURE_MAX_EVENT_LOOP_UTILIZATION: z.coerce.number().min(0).max(1).default(0),
  /** 0: 90% of the V8 heap limit. */
  PRESSURE_MAX_HEAP_USED_BYTES: z.coerce.number().int().nonnegative().default(0),
  PRESSURE_MAX_RSS_BYTES: z.coerce.number().int().nonnegative().default(0),
  PRESSURE_RETRY_AFTER_S: z.coerce.number().int().positive().default(10),
});

export * from './limits.js';
/**
 * Watching the CDC source (docs/cdc-health.md): the Debezium connector through Kafka Connect's REST
 * API, its replication slot and heartbeat through PostgreSQL, and dead letters through Kafka.
 */
export const cdcWatchEnv = z.object({
  /** Off only where no Kafka Connect runs; then no source-side stall is reported. */
  CDC_WATCH: boolFlag.default(true),
  CDC_CONNECT_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8083'),
  CDC_CONNECTOR: z.string().min(1).default('takt-postgres'),
  CDC_SLOT: z
    .string()
    .regex(/^[a-z0-9_]+$/)
    .default('takt_slot'),
  /**
   * The takt database as takt_app, only to call takt_cdc_health() (slot and heartbeat); kept apart
   * from any connection a service has for its own data. Unset: slot and heartbeat go unchecked.
   */
  CDC_MONITOR_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  CDC_WATCH_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  /** Debezium writes a heartbeat every 10 s (infra/connect/takt-postgres.json): six missed ones. */
  CDC_HEARTBEAT_MAX_AGE_MS: z.coerce.number().int().positive().default(60_000),
  CDC_SLOT_RETAINED_WAL_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024),
  /** The consumer group whose committed offsets mark dead letters as handled. */
  CDC_DEAD_LETTERS_HANDLED_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .default('takt-dead-letters-handled'),
});

export type CdcWatchEnv = z.infer<typeof cdcWatchEnv>;

/**
 * The accepted time range of client-sent instants (docs/time-range.md). The bounds are what the
 * sensor partitions guarantee: they keep 400 days and are premade 14 days ahead.
 */
export const timeRangeEnv = z.object({
  TIME_RANGE_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(400, 'at most 400: sensor partitions are kept 400 days')
    .default(400),
  TIME_RANGE_HORIZON_DAYS: z.coerce
    .number()
    .int()
    .min(0)
    .max(14, 'at most 14: sensor partitions are premade 14 days ahead')
    .default(7),
});

export { z };
