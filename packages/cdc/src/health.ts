import { z } from 'zod';

/**
 * What counts as a healthy CDC source, as pure rules over one observation. The rules, thresholds
 * and reason codes are described in docs/cdc-health.md; the watcher that gathers the observation
 * lives in @takt/pipeline.
 */

/** Machine-readable reasons, stable: operators alert on them and /v1/freshness returns them. */
export const CDC_REASONS = [
  'connect_unreachable',
  'connector_missing',
  'connector_not_running',
  'task_failed',
  'task_not_running',
  'source_unreachable',
  'slot_missing',
  'slot_inactive',
  'slot_wal_lost',
  'slot_retained_wal_high',
  'heartbeat_stale',
  'kafka_unreachable',
  'dead_letters',
  'status_stale',
] as const;

export type CdcReason = (typeof CDC_REASONS)[number];

/** Dead letters are an operator's to-do, not an outage: they keep freshness false but not readiness. */
export const READINESS_REASONS: ReadonlySet<CdcReason> = new Set(
  CDC_REASONS.filter((r) => r !== 'dead_letters'),
);

/** The body of Kafka Connect's `GET /connectors/{name}/status`, as much of it as the rules read. */
export const connectorStatusSchema = z.object({
  name: z.string(),
  connector: z.object({ state: z.string(), trace: z.string().optional() }),
  tasks: z.array(z.object({ id: z.number().int(), state: z.string(), trace: z.string().optional() })),
});

export interface TaskObservation {
  readonly id: number;
  readonly state: string;
  /** A failed task's exception and root cause, from its Java stack trace (see traceSummary). */
  readonly error?: string;
}

export type ConnectorObservation =
  | { readonly kind: 'unreachable'; readonly error: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'status'; readonly state: string; readonly tasks: readonly TaskObservation[] };

/**
 * A Java stack trace down to what an operator reads first: the top exception and its root cause
 * (Connect wraps e.g. RecordTooLargeException in "Unrecoverable exception from producer send callback").
 */
export function traceSummary(trace: string): string {
  const lines = trace.split('\n').map((l) => l.trim());
  const top = lines[0] ?? '';
  const root = lines.filter((l) => l.startsWith('Caused by: ')).at(-1);
  return (root ? `${top} | ${root}` : top).slice(0, 1_000);
}

/** Connect's answer (HTTP status and parsed JSON body) to what the rules need. */
export function connectorObservation(httpStatus: number, body: unknown): ConnectorObservation {
  if (httpStatus === 404) return { kind: 'missing' };
  const parsed = connectorStatusSchema.safeParse(body);
  if (httpStatus !== 200 || !parsed.success)
    return { kind: 'unreachable', error: `Kafka Connect answered ${httpStatus} without a status` };
  return {
    kind: 'status',
    state: parsed.data.connector.state,
    tasks: parsed.data.tasks.map((t) => ({
      id: t.id,
      state: t.state,
      ...(t.trace ? { error: traceSummary(t.trace) } : {}),
    })),
  };
}

export type SourceObservation =
  | { readonly kind: 'unreachable'; readonly error: string }
  | {
      readonly kind: 'ok';
      /** Null when no slot of that name exists. */
      readonly slot: {
        readonly active: boolean;
        readonly retainedWalBytes: number | null;
        /** pg_replication_slots.wal_status: reserved, extended, unreserved or lost. */
        readonly walStatus: string | null;
      } | null;
      /** The server's clock minus the last heartbeat Debezium wrote; null if it never wrote one. */
      readonly heartbeatAgeMs: number | null;
    };

export interface CdcObservation {
  /** When the observation was completed (the watcher's clock). */
  readonly at: number;
  readonly connector: ConnectorObservation;
  /** Absent when the watcher has no database connection (slot and heartbeat then go unchecked). */
  readonly source?: SourceObservation;
  /** Unhandled dead letters per topic, or unreachable when Kafka did not answer. */
  readonly deadLetters:
    | { readonly kind: 'unreachable'; readonly error: string }
    | { readonly kind: 'ok'; readonly unhandled: Readonly<Record<string, number>> };
}

export interface CdcThresholds {
  readonly heartbeatMaxAgeMs: number;
  readonly retainedWalMaxBytes: number;
  /** An observation older than this no longer describes the present (the watcher itself is stuck). */
  readonly observationMaxAgeMs: number;
}

export interface CdcHealth {
  readonly healthy: boolean;
  /** Sorted in CDC_REASONS order, without duplicates; empty exactly when healthy. */
  readonly reasons: readonly CdcReason[];
}

function connectorReasons(c: ConnectorObservation): CdcReason[] {
  if (c.kind === 'unreachable') return ['connect_unreachable'];
  if (c.kind === 'missing') return ['connector_missing'];
  const out: CdcReason[] = [];
  if (c.state !== 'RUNNING') out.push('connector_not_running');
  // A running connector without tasks captures nothing.
  if (c.tasks.length === 0 && c.state === 'RUNNING') out.push('task_not_running');
  for (const t of c.tasks) {
    if (t.state === 'FAILED') out.push('task_failed');
    else if (t.state !== 'RUNNING') out.push('task_not_running');
  }
  return out;
}

function sourceReasons(s: SourceObservation, th: CdcThresholds): CdcReason[] {
  if (s.kind === 'unreachable') return ['source_unreachable'];
  const out: CdcReason[] = [];
  if (s.slot === null) out.push('slot_missing');
  else {
    if (!s.slot.active) out.push('slot_inactive');
    if (s.slot.walStatus === 'lost') out.push('slot_wal_lost');
    if (s.slot.retainedWalBytes !== null && s.slot.retainedWalBytes > th.retainedWalMaxBytes)
      out.push('slot_retained_wal_high');
  }
  if (s.heartbeatAgeMs === null || s.heartbeatAgeMs > th.heartbeatMaxAgeMs) out.push('heartbeat_stale');
  return out;
}

/** The verdict on one observation at `now`; no observation yet is unhealthy (unknown is never healthy). */
export function assessCdc(obs: CdcObservation | undefined, th: CdcThresholds, now: number): CdcHealth {
  if (obs === undefined) return { healthy: false, reasons: ['status_stale'] };
  const found = new Set<CdcReason>([
    ...connectorReasons(obs.connector),
    ...(obs.source ? sourceReasons(obs.source, th) : []),
  ]);
  if (obs.deadLetters.kind === 'unreachable') found.add('kafka_unreachable');
  else if (Object.values(obs.deadLetters.unhandled).some((n) => n > 0)) found.add('dead_letters');
  if (now - obs.at > th.observationMaxAgeMs) found.add('status_stale');
  const reasons = CDC_REASONS.filter((r) => found.has(r));
  return { healthy: reasons.length === 0, reasons };
}

/** The reasons that make a consumer unready (see READINESS_REASONS). */
export const readinessReasons = (health: CdcHealth): CdcReason[] =>
  health.reasons.filter((r) => READINESS_REASONS.has(r));
