import { getHeapStatistics } from 'node:v8';

/**
 * What the HTTP frame accepts before a route sees a request, and when it sheds load.
 * Every number is explained in docs/http.md, "Limits"; 0 turns a rate limit or a pressure
 * check off.
 */
export interface HttpLimits {
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  /** Path and query string together; longer is 414. */
  maxUrlBytes: number;
  /** Request line plus headers (Node's parser); larger is 431. */
  maxHeaderBytes: number;
  /** Arrays and objects inside each other in a JSON body; deeper is 400. */
  maxJsonDepth: number;
  rateLimit: {
    windowMs: number;
    /** Requests per window from one client address, counted before authentication. */
    perIp: number;
    /** Requests per window with one API key, counted after authentication. */
    perKey: number;
  };
  pressure: {
    sampleIntervalMs: number;
    maxEventLoopDelayMs: number;
    maxEventLoopUtilization: number;
    maxHeapUsedBytes: number;
    maxRssBytes: number;
    retryAfterS: number;
  };
}

/**
 * Without configuration the frame neither rate-limits nor sheds load: the services' entry
 * points pass `limitsFromEnv(config)`, whose defaults (in @takt/config) turn both on. Apps
 * built directly, as tests do, get only the size limits, so a loaded test machine never
 * sheds their requests.
 */
export const DEFAULT_LIMITS: HttpLimits = {
  bodyLimitBytes: 16 * 1024 * 1024,
  requestTimeoutMs: 30_000,
  maxUrlBytes: 8 * 1024,
  maxHeaderBytes: 16 * 1024,
  maxJsonDepth: 64,
  rateLimit: { windowMs: 60_000, perIp: 0, perKey: 0 },
  pressure: {
    sampleIntervalMs: 1_000,
    maxEventLoopDelayMs: 0,
    maxEventLoopUtilization: 0,
    maxHeapUsedBytes: 0,
    maxRssBytes: 0,
    retryAfterS: 10,
  },
};

export type HttpLimitsInput = Partial<Omit<HttpLimits, 'rateLimit' | 'pressure'>> & {
  rateLimit?: Partial<HttpLimits['rateLimit']>;
  pressure?: Partial<HttpLimits['pressure']>;
};

export const resolveLimits = (input: HttpLimitsInput = {}): HttpLimits => ({
  ...DEFAULT_LIMITS,
  ...input,
  rateLimit: { ...DEFAULT_LIMITS.rateLimit, ...input.rateLimit },
  pressure: { ...DEFAULT_LIMITS.pressure, ...input.pressure },
});

/** The frame's variables as parsed by `httpEnv` of @takt/config. */
export interface HttpEnv {
  BODY_LIMIT_BYTES: number;
  REQUEST_TIMEOUT_MS: number;
  MAX_URL_BYTES: number;
  MAX_HEADER_BYTES: number;
  MAX_JSON_DEPTH: number;
  RATE_LIMIT_WINDOW_MS: number;
  RATE_LIMIT_PER_IP: number;
  RATE_LIMIT_PER_KEY: number;
  PRESSURE_SAMPLE_INTERVAL_MS: number;
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: number;
  PRESSURE_MAX_EVENT_LOOP_UTILIZATION: number;
  /** 0: 90% of V8's heap limit. */
  PRESSURE_MAX_HEAP_USED_BYTES: number;
  PRESSURE_MAX_RSS_BYTES: number;
  PRESSURE_RETRY_AFTER_S: number;
}

export const limitsFromEnv = (env: HttpEnv): HttpLimitsInput => ({
  bodyLimitBytes: env.BODY_LIMIT_BYTES,
  requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
  maxUrlBytes: env.MAX_URL_BYTES,
  maxHeaderBytes: env.MAX_HEADER_BYTES,
  maxJsonDepth: env.MAX_JSON_DEPTH,
  rateLimit: {
    windowMs: env.RATE_LIMIT_WINDOW_MS,
    perIp: env.RATE_LIMIT_PER_IP,
    perKey: env.RATE_LIMIT_PER_KEY,
  },
  pressure: {
    sampleIntervalMs: env.PRESSURE_SAMPLE_INTERVAL_MS,
    maxEventLoopDelayMs: env.PRESSURE_MAX_EVENT_LOOP_DELAY_MS,
    maxEventLoopUtilization: env.PRESSURE_MAX_EVENT_LOOP_UTILIZATION,
    maxHeapUsedBytes:
      env.PRESSURE_MAX_HEAP_USED_BYTES || Math.floor(getHeapStatistics().heap_size_limit * 0.9),
    maxRssBytes: env.PRESSURE_MAX_RSS_BYTES,
    retryAfterS: env.PRESSURE_RETRY_AFTER_S,
  },
});
