import {
  apiKeyId,
  Gauge,
  hashApiKey,
  type KeyResolver,
  type Principal,
  type Registry,
  SCOPES,
  type Scope,
  unavailable,
} from '@takt/http';
import type { Logger } from '@takt/log';
import pg from 'pg';
import { KeyCache } from './cache.js';

/** The channel the `api_key_notify` trigger announces changed key ids on ('*': all of them). */
export const API_KEY_CHANNEL = 'takt_api_key';

/** Longest a kept answer may be used: bounds how long a missed change notification can matter. */
export const MAX_CACHE_TTL_MS = 1_000;

export interface ApiKeyStoreOptions {
  /** The takt database as `takt_app`: keys are read through the `api_key_lookup` RLS policy. */
  connectionString: string;
  logger: Logger;
  /** 0 keeps nothing; at most MAX_CACHE_TTL_MS. */
  cacheTtlMs?: number;
  poolMax?: number;
  /** Connect and statement timeout of a lookup: past it the request is answered 503. */
  timeoutMs?: number;
  maxEntries?: number;
  clock?: () => number;
  applicationName?: string;
  metrics?: Registry;
}

interface KeyRow {
  id: string;
  tenant_id: string;
  scopes: string[] | null;
}

const LOOKUP = 'SELECT id, tenant_id, scopes FROM api_key WHERE key_hash = $1 AND revoked_at IS NULL';

/**
 * API keys as PostgreSQL has them now, for every HTTP service (docs/api-keys.md): each key is
 * looked up by its hash, the answer kept for at most a second, and dropped at once when the
 * `api_key_notify` trigger announces a change of that key. Answers are kept only while the
 * listener is connected; without it every request is checked in PostgreSQL. When PostgreSQL
 * cannot answer, `resolve` throws a retriable 503, never lets the request through.
 */
export class ApiKeyStore {
  readonly resolve: KeyResolver = (token) => this.lookup(token);
  private readonly pool: pg.Pool;
  private readonly cache: KeyCache;
  private readonly clock: () => number;
  private readonly timeoutMs: number;
  private listener: pg.Client | null = null;
  private listening = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly opts: ApiKeyStoreOptions) {
    const ttl = opts.cacheTtlMs ?? MAX_CACHE_TTL_MS;
    if (ttl < 0 || ttl > MAX_CACHE_TTL_MS) throw new RangeError(`cacheTtlMs must be 0..${MAX_CACHE_TTL_MS}`);
    this.cache = new KeyCache(ttl, opts.maxEntries);
    this.clock = opts.clock ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? 2_000;
    this.pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.poolMax ?? 4,
      connectionTimeoutMillis: this.timeoutMs,
      statement_timeout: this.timeoutMs,
      query_timeout: this.timeoutMs,
      application_name: opts.applicationName ?? 'takt-api-keys',
    });
    this.pool.on('error', (err) => opts.logger.warn({ err }, 'idle API key connection failed'));
    if (opts.metrics) this.registerMetrics(opts.metrics);
  }

  /** True while key changes are heard (and answers may be kept). */
  get live(): boolean {
    return this.listening;
  }

  /** Starts listening for key changes; a failed first attempt is retried in the background. */
  async start(): Promise<void> {
    await this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  /** Readiness: throws while PostgreSQL cannot be reached for key lookups. */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  private async lookup(token: string): Promise<Principal | null> {
    const tokenId = apiKeyId(token);
    if (tokenId === null) return null;
    const hash = hashApiKey(token);
    const startedAt = this.clock();
    const hit = this.listening ? this.cache.get(hash, startedAt) : undefined;
    if (hit) return hit.principal;
    const generation = this.cache.generation;
    let principal: Principal | null;
    try {
      principal = await this.read(hash);
    } catch (err) {
      this.opts.logger.warn({ err }, 'API key lookup failed');
      throw unavailable('API keys cannot be checked right now (PostgreSQL unreachable); retry shortly');
    }
    if (this.listening) this.cache.set(hash, principal?.keyId ?? tokenId, principal, startedAt, generation);
    return principal;
  }

  private async read(hash: string): Promise<Principal | null> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      // The row is visible to takt_app only through the api_key_lookup policy on app.key_hash.
      await client.query('BEGIN READ ONLY');
      await client.query("SELECT set_config('app.key_hash', $1, true)", [hash]);
      const { rows } = await client.query<KeyRow>(LOOKUP, [hash]);
      await client.query('COMMIT');
      const row = rows[0];
      if (!row) return null;
      return {
        tenantId: row.tenant_id,
        keyId: row.id,
        scopes: (row.scopes ?? []).filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
      };
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // A connection that failed mid-transaction is discarded, not handed to the next lookup.
      client.release(broken);
    }
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.opts.connectionString,
      connectionTimeoutMillis: this.timeoutMs,
      keepAlive: true,
      application_name: `${this.opts.applicationName ?? 'takt-api-keys'}-listener`,
    });
    let gone = false;
    const lost = (err?: unknown) => {
      if (gone) return;
      gone = true;
      this.dropListener(client, err);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (msg) => {
      if (msg.channel !== API_KEY_CHANNEL) return;
      if (!msg.payload || msg.payload === '*') this.cache.clear();
      else this.cache.invalidate(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${API_KEY_CHANNEL}`);
    } catch (err) {
      lost(err);
      return;
    }
    if (gone) return;
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    // Whatever changed while nobody listened is unknown: start from an empty cache.
    this.cache.clear();
    this.listener = client;
    this.listening = true;
    this.failures = 0;
  }

  private dropListener(client: pg.Client, err: unknown): void {
    if (this.listener === client) this.listener = null;
    this.listening = false;
    this.cache.clear();
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.opts.logger.warn(
      { err },
      'API key change listener lost; every key is checked in PostgreSQL until it is back',
    );
    const delay = Math.min(5_000, 250 * 2 ** this.failures);
    this.failures += 1;
    this.retry = setTimeout(() => void this.listen(), delay);
    this.retry.unref();
  }

  private registerMetrics(registry: Registry): void {
    const store = this;
    new Gauge({
      name: 'takt_api_key_cache',
      help: 'API key cache: live (1 while key changes are heard) and entries kept',
      labelNames: ['stat'],
      registers: [registry],
      collect() {
        this.set({ stat: 'live' }, store.listening ? 1 : 0);
        this.set({ stat: 'entries' }, store.cache.size);
      },
    });
  }
}

/** The settings of `apiKeysEnv` (packages/config) that a service passes on to its key store. */
export interface ApiKeySettings {
  API_KEYS_CACHE_TTL_MS: number;
  API_KEYS_POOL_MAX: number;
  API_KEYS_TIMEOUT_MS: number;
}

/** A started key store for one service, as every service configures it. */
export async function startApiKeyStore(opts: {
  service: string;
  connectionString: string;
  settings: ApiKeySettings;
  logger: Logger;
  metrics: Registry;
}): Promise<ApiKeyStore> {
  const keys = new ApiKeyStore({
    connectionString: opts.connectionString,
    logger: opts.logger,
    cacheTtlMs: opts.settings.API_KEYS_CACHE_TTL_MS,
    poolMax: opts.settings.API_KEYS_POOL_MAX,
    timeoutMs: opts.settings.API_KEYS_TIMEOUT_MS,
    applicationName: `takt-${opts.service}-keys`,
    metrics: opts.metrics,
  });
  await keys.start();
  return keys;
}
