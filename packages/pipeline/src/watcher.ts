import {
  assessCdc,
  type CdcHealth,
  type CdcObservation,
  type CdcReason,
  type CdcThresholds,
  type ConnectorObservation,
  connectorObservation,
  readinessReasons,
  type SourceObservation,
} from '@takt/cdc';
import type { CdcWatchEnv } from '@takt/config';
import type { Logger } from '@takt/log';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

/**
 * Watches the CDC source for the services (docs/cdc-health.md): Kafka Connect's view of the
 * connector and its tasks, the replication slot and Debezium's heartbeat through PostgreSQL, and
 * unhandled dead letters through Kafka. It observes on a timer, so /readyz and /v1/freshness read
 * the last observation instead of sending three requests per HTTP request.
 */
export interface CdcWatcher {
  /** Takes a first observation (so nothing answers before one exists), then one per interval. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Observes now and keeps the result. */
  observe(): Promise<CdcObservation>;
  latest(): CdcObservation | undefined;
  health(): CdcHealth;
  /** For /readyz: throws a CdcUnhealthyError naming the reasons (dead letters excepted). */
  ready(): Promise<void>;
}

export class CdcUnhealthyError extends Error {
  readonly code = 'TAKT_CDC_UNHEALTHY';
  constructor(readonly reasons: readonly CdcReason[]) {
    super(`CDC source unhealthy: ${reasons.join(', ')}`);
    this.name = 'CdcUnhealthyError';
  }
}

export interface CdcWatcherOptions {
  readonly connectUrl: string;
  readonly connector: string;
  readonly slot: string;
  /** The takt database as a role allowed to call takt_cdc_health(); without it no slot or heartbeat check. */
  readonly monitorDatabaseUrl?: string;
  readonly kafkaBrokers: readonly string[];
  readonly clientId: string;
  readonly deadLetterTopics: readonly string[];
  readonly handledGroup: string;
  readonly heartbeatMaxAgeMs: number;
  readonly retainedWalMaxBytes: number;
  readonly intervalMs: number;
  /** Per request to Connect, PostgreSQL and Kafka. */
  readonly requestTimeoutMs?: number;
  readonly logger: Logger;
  readonly clock?: () => number;
}

/** The options a service's configuration gives, or undefined when CDC_WATCH is off. */
export function cdcWatcherOptions(
  env: CdcWatchEnv & { KAFKA_BROKERS: readonly string[] },
  service: { clientId: string; deadLetterTopics: readonly string[]; logger: Logger },
): CdcWatcherOptions | undefined {
  if (!env.CDC_WATCH) return undefined;
  return {
    connectUrl: env.CDC_CONNECT_URL,
    connector: env.CDC_CONNECTOR,
    slot: env.CDC_SLOT,
    ...(env.CDC_MONITOR_DATABASE_URL ? { monitorDatabaseUrl: env.CDC_MONITOR_DATABASE_URL } : {}),
    kafkaBrokers: env.KAFKA_BROKERS,
    clientId: service.clientId,
    deadLetterTopics: service.deadLetterTopics,
    handledGroup: env.CDC_DEAD_LETTERS_HANDLED_GROUP,
    heartbeatMaxAgeMs: env.CDC_HEARTBEAT_MAX_AGE_MS,
    retainedWalMaxBytes: env.CDC_SLOT_RETAINED_WAL_MAX_BYTES,
    intervalMs: env.CDC_WATCH_INTERVAL_MS,
    logger: service.logger,
  };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 300);

async function observeConnector(o: CdcWatcherOptions, timeoutMs: number): Promise<ConnectorObservation> {
  try {
    const res = await fetch(`${o.connectUrl}/connectors/${encodeURIComponent(o.connector)}/status`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return connectorObservation(res.status, body);
  } catch (err) {
    return { kind: 'unreachable', error: message(err) };
  }
}

interface HealthRow {
  slot_exists: boolean;
  slot_active: boolean;
  retained_wal_bytes: string | null;
  wal_status: string | null;
  heartbeat_age_ms: number | null;
}

async function observeSource(pool: pg.Pool, slot: string): Promise<SourceObservation> {
  try {
    const { rows } = await pool.query<HealthRow>('SELECT * FROM takt_cdc_health($1)', [slot]);
    const r = rows[0];
    if (!r) return { kind: 'unreachable', error: 'takt_cdc_health() returned no row' };
    return {
      kind: 'ok',
      slot: r.slot_exists
        ? {
            active: r.slot_active,
            retainedWalBytes: r.retained_wal_bytes === null ? null : Number(r.retained_wal_bytes),
            walStatus: r.wal_status,
          }
        : null,
      heartbeatAgeMs: r.heartbeat_age_ms === null ? null : Math.max(0, Math.round(r.heartbeat_age_ms)),
    };
  } catch (err) {
    return { kind: 'unreachable', error: message(err) };
  }
}

/** Dead letters past the handled group's committed offset (all retained ones when it never committed). */
async function unhandledDeadLetters(admin: Admin, topics: readonly string[], group: string) {
  // Listing topics is also the reachability check when there are no dead-letter topics to count.
  const existing = new Set(await admin.listTopics());
  const unhandled: Record<string, number> = {};
  for (const topic of topics) {
    if (!existing.has(topic)) {
      unhandled[topic] = 0;
      continue;
    }
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId: group, topics: [topic] }),
    ]);
    const at = new Map(committed.flatMap((t) => t.partitions.map((p) => [p.partition, Number(p.offset)])));
    unhandled[topic] = ends.reduce((sum, p) => {
      const c = at.get(p.partition) ?? -1;
      return sum + Math.max(0, Number(p.high) - (c < 0 ? Number(p.low) : c));
    }, 0);
  }
  return unhandled;
}

export function createCdcWatcher(o: CdcWatcherOptions): CdcWatcher {
  const clock = o.clock ?? Date.now;
  // Not tied to the interval: a short interval on a loaded machine must not turn slow answers into outages.
  const timeoutMs = o.requestTimeoutMs ?? 5_000;
  const thresholds: CdcThresholds = {
    heartbeatMaxAgeMs: o.heartbeatMaxAgeMs,
    retainedWalMaxBytes: o.retainedWalMaxBytes,
    // Three missed observations (each bounded by the request timeout) mean the watcher itself is stuck.
    observationMaxAgeMs: 3 * (o.intervalMs + timeoutMs),
  };
  const pool = o.monitorDatabaseUrl
    ? new pg.Pool({
        connectionString: o.monitorDatabaseUrl,
        max: 1,
        connectionTimeoutMillis: timeoutMs,
        statement_timeout: timeoutMs,
        // The client-side bound too: a server that stops answering must not hang the observation.
        query_timeout: timeoutMs,
        application_name: `${o.clientId}-cdc-watch`,
      })
    : undefined;
  pool?.on('error', (err) => o.logger.warn({ err }, 'CDC monitor connection lost'));
  const kafka = new Kafka({
    clientId: `${o.clientId}-cdc-watch`,
    brokers: [...o.kafkaBrokers],
    logLevel: logLevel.NOTHING,
    requestTimeout: timeoutMs,
    connectionTimeout: timeoutMs,
    retry: { retries: 1 },
  });
  let admin: Admin | undefined;
  let last: CdcObservation | undefined;
  let lastReasons = '';
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<CdcObservation> | undefined;

  async function deadLetters(): Promise<CdcObservation['deadLetters']> {
    try {
      if (admin === undefined) {
        const a = kafka.admin();
        await a.connect();
        admin = a;
      }
      return { kind: 'ok', unhandled: await unhandledDeadLetters(admin, o.deadLetterTopics, o.handledGroup) };
    } catch (err) {
      const stale = admin;
      admin = undefined;
      await stale?.disconnect().catch(() => undefined);
      return { kind: 'unreachable', error: message(err) };
    }
  }

  async function observeOnce(): Promise<CdcObservation> {
    const [connector, source, dead] = await Promise.all([
      observeConnector(o, timeoutMs),
      pool ? observeSource(pool, o.slot) : undefined,
      deadLetters(),
    ]);
    const obs: CdcObservation = { at: clock(), connector, ...(source ? { source } : {}), deadLetters: dead };
    last = obs;
    report(obs);
    return obs;
  }

  /** One log line per change of verdict, with what an operator needs to start (the task's exception). */
  function report(obs: CdcObservation): void {
    const { reasons } = assessCdc(obs, thresholds, clock());
    const key = reasons.join(',');
    if (key === lastReasons) return;
    lastReasons = key;
    if (reasons.length === 0) o.logger.info({ connector: o.connector, slot: o.slot }, 'CDC source healthy');
    else
      o.logger.error(
        { connector: o.connector, slot: o.slot, reasons, observation: obs },
        'CDC source unhealthy',
      );
  }

  const observe = () => {
    inFlight ??= observeOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  function schedule(): void {
    timer = setTimeout(() => {
      void observe().finally(() => {
        if (timer !== undefined) schedule();
      });
    }, o.intervalMs);
    timer.unref();
  }

  const health = () => assessCdc(last, thresholds, clock());
  return {
    async start() {
      await observe();
      schedule();
    },
    async stop() {
      const t = timer;
      timer = undefined;
      if (t) clearTimeout(t);
      await inFlight?.catch(() => undefined);
      await admin?.disconnect().catch(() => undefined);
      admin = undefined;
      await pool?.end();
    },
    observe,
    latest: () => last,
    health,
    async ready() {
      const reasons = readinessReasons(health());
      if (reasons.length > 0) throw new CdcUnhealthyError(reasons);
    },
  };
}
