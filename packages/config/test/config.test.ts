import { describe, expect, it } from 'vitest';
import { baseEnv, ConfigError, csv, httpEnv, parseEnv, postgresEnv, z } from '../src/index.js';

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
});
