import { describe, expect, it } from 'vitest';
import {
  apiKeysDatabaseEnv,
  baseEnv,
  ConfigError,
  cdcWatchEnv,
  csv,
  httpEnv,
  parseEnv,
  postgresEnv,
  timeRangeEnv,
  z,
} from '../src/index.js';

describe('parseEnv', () => {
  const schema = baseEnv.extend(httpEnv.shape).extend(postgresEnv.shape);

  it('coerces and defaults valid variables', () => {
    const cfg = parseEnv(schema, { PORT: '3001', DATABASE_URL: 'postgresql://u@127.0.0.1:5432/takt' });
    expect(cfg.PORT).toBe(3001);
    expect(cfg.LOG_LEVEL).toBe('info');
    expect(cfg.BODY_LIMIT_BYTES).toBe(16 * 1024 * 1024);
  });

  it('names every bad variable, not only the first', () => {
    let caught: unknown;
    try {
      parseEnv(schema, { PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const names = (caught as ConfigError).problems.map((p) => p.variable).sort();
    expect(names).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
    expect((caught as ConfigError).message).toContain('PORT');
  });

  it('defaults the HTTP frame limits and accepts 0 to turn a rate limit off', () => {
    const base = { PORT: '3001', DATABASE_URL: 'postgresql://u@127.0.0.1:5432/takt' };
    const cfg = parseEnv(schema, base);
    expect(cfg.RATE_LIMIT_PER_KEY).toBe(30_000);
    expect(cfg.PRESSURE_MAX_EVENT_LOOP_DELAY_MS).toBe(1_000);
    expect(parseEnv(schema, { ...base, RATE_LIMIT_PER_IP: '0' }).RATE_LIMIT_PER_IP).toBe(0);
    expect(() => parseEnv(schema, { ...base, PRESSURE_MAX_EVENT_LOOP_UTILIZATION: '1.5' })).toThrow(
      ConfigError,
    );
  });

  it('parses comma-separated lists', () => {
    expect(csv.parse(' a:1, b:2 ,,')).toEqual(['a:1', 'b:2']);
    expect(() => csv.parse(' , ')).toThrow();
  });

  it('reports cross-field rules from superRefine', () => {
    const s = z.object({ A: z.coerce.number(), B: z.coerce.number() }).superRefine((v, ctx) => {
      if (v.A > v.B) ctx.addIssue({ code: 'custom', path: ['A'], message: 'A must not exceed B' });
    });
    expect(() => parseEnv(s, { A: '5', B: '1' })).toThrow(/A: A must not exceed B/);
  });

  it('caps the API key cache at one second and needs the key database', () => {
    const ok = parseEnv(apiKeysDatabaseEnv, {
      API_KEYS_DATABASE_URL: 'postgresql://takt_app@127.0.0.1:5432/takt',
    });
    expect(ok.API_KEYS_CACHE_TTL_MS).toBe(1_000);
    expect(() => parseEnv(apiKeysDatabaseEnv, {})).toThrow(/API_KEYS_DATABASE_URL/);
    expect(() =>
      parseEnv(apiKeysDatabaseEnv, {
        API_KEYS_DATABASE_URL: 'postgresql://takt_app@127.0.0.1:5432/takt',
        API_KEYS_CACHE_TTL_MS: '30000',
      }),
    ).toThrow(/API_KEYS_CACHE_TTL_MS/);
  });
});

describe('cdcWatchEnv', () => {
  it('defaults to the stack connector and slot, with the slot and heartbeat unchecked without a database', () => {
    const cfg = parseEnv(cdcWatchEnv, {});
    expect(cfg).toMatchObject({
      CDC_WATCH: true,
      CDC_CONNECT_URL: 'http://127.0.0.1:8083',
      CDC_CONNECTOR: 'takt-postgres',
      CDC_SLOT: 'takt_slot',
      CDC_HEARTBEAT_MAX_AGE_MS: 60_000,
      CDC_SLOT_RETAINED_WAL_MAX_BYTES: 256 * 1024 * 1024,
    });
    expect(cfg.CDC_MONITOR_DATABASE_URL).toBeUndefined();
  });

  it('names every bad variable', () => {
    let caught: unknown;
    try {
      parseEnv(cdcWatchEnv, {
        CDC_SLOT: 'Bad-Slot',
        CDC_CONNECT_URL: 'ftp://x',
        CDC_HEARTBEAT_MAX_AGE_MS: '0',
      });
    } catch (err) {
      caught = err;
    }
    expect((caught as ConfigError).problems.map((p) => p.variable).sort()).toEqual([
      'CDC_CONNECT_URL',
      'CDC_HEARTBEAT_MAX_AGE_MS',
      'CDC_SLOT',
    ]);
  });
});

describe('timeRangeEnv', () => {
  it('defaults to 400 days back and 7 days ahead', () => {
    expect(parseEnv(timeRangeEnv, {})).toEqual({
      TIME_RANGE_RETENTION_DAYS: 400,
      TIME_RANGE_HORIZON_DAYS: 7,
    });
  });

  it('refuses bounds the sensor partitions do not cover', () => {
    expect(() => parseEnv(timeRangeEnv, { TIME_RANGE_RETENTION_DAYS: '401' })).toThrow(/kept 400 days/);
    expect(() => parseEnv(timeRangeEnv, { TIME_RANGE_HORIZON_DAYS: '15' })).toThrow(/premade 14 days/);
  });
});
