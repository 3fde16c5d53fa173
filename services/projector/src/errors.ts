import { ClickHouseError } from '@takt/clickhouse';

export type ProjectorErrorCode =
  | 'TAKT_PROJECTOR_CLICKHOUSE_UNAVAILABLE'
  | 'TAKT_PROJECTOR_CLICKHOUSE_REJECTED'
  | 'TAKT_PROJECTOR_KAFKA_UNAVAILABLE'
  | 'TAKT_PROJECTOR_TOPIC_MISSING'
  | 'TAKT_PROJECTOR_INVALID_EVENT'
  | 'TAKT_PROJECTOR_UNREPRESENTABLE_TIME'
  | 'TAKT_PROJECTOR_MIGRATION_FAILED'
  | 'TAKT_PROJECTOR_STOPPED';

export class ProjectorError extends Error {
  constructor(
    readonly code: ProjectorErrorCode,
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProjectorError';
  }
}

/** Where a change came from, so the one message that cannot be projected can be set aside. */
export interface MessageCoordinates {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * A change carrying an instant ClickHouse cannot hold (before 1970 or after 2105, 18.16's DateTime).
 * Never retriable: the same message fails the same way forever. The API refuses such instants
 * (docs/time-range.md); this catches rows that reached PostgreSQL another way.
 */
export class UnrepresentableTimeError extends ProjectorError {
  constructor(
    readonly source: MessageCoordinates,
    readonly table: string,
    readonly column: string,
    readonly valueMs: number,
  ) {
    super(
      'TAKT_PROJECTOR_UNREPRESENTABLE_TIME',
      `${table}.${column} = ${valueMs} ms is outside what ClickHouse can hold (1970-01-01 .. 2105-12-31)`,
      false,
    );
    this.name = 'UnrepresentableTimeError';
  }
}

// A rebuild swaps tables by RENAME; a write landing in that instant sees UNKNOWN_TABLE (60) and
// succeeds a moment later, so the loops wait it out like an outage instead of crashing.
const SWAP_CODES: ReadonlySet<number> = new Set([60]);

/** Whether retrying the same work later can succeed: outages and load, not bad SQL or bad data. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof ProjectorError) return err.retriable;
  if (err instanceof ClickHouseError)
    return err.retriable || (err.code !== undefined && SWAP_CODES.has(err.code));
  const retriable = (err as { retriable?: unknown } | null)?.retriable;
  if (typeof retriable === 'boolean') return retriable;
  // kafkajs marks its own errors; a plain network error from a socket is worth another try too.
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONN|EPIPE|ETIMEDOUT|EHOST|ENET|EAI_AGAIN)/.test(code);
}

// Failures of the surroundings, not of a message: every message would fail the same way, so they
// block (and show in /readyz) instead of emptying the topic into the dead-letter queue.
const ENVIRONMENT_CODES: ReadonlySet<ProjectorErrorCode> = new Set([
  'TAKT_PROJECTOR_CLICKHOUSE_UNAVAILABLE',
  'TAKT_PROJECTOR_KAFKA_UNAVAILABLE',
  'TAKT_PROJECTOR_TOPIC_MISSING',
  'TAKT_PROJECTOR_MIGRATION_FAILED',
  'TAKT_PROJECTOR_STOPPED',
]);
// ClickHouse: unknown database/function/identifier/setting, syntax, read-only, users and access.
const CLICKHOUSE_ENVIRONMENT_CODES: ReadonlySet<number> = new Set([
  46, 47, 62, 81, 115, 164, 192, 193, 497, 516,
]);

/**
 * Whether a failure that retrying cannot fix lies in the data of the messages applied (a value
 * ClickHouse cannot store, a row the projector cannot map): those messages go to the dead-letter
 * topic (docs/cdc-health.md). Configuration, permission and Kafka failures are not theirs.
 */
export function isMessageError(err: unknown): boolean {
  if (isRetriable(err)) return false;
  if (err instanceof ProjectorError) return !ENVIRONMENT_CODES.has(err.code);
  if (err instanceof ClickHouseError)
    return err.kind === 'server' && !(err.code !== undefined && CLICKHOUSE_ENVIRONMENT_CODES.has(err.code));
  const name = (err as { name?: unknown } | null)?.name;
  return !(typeof name === 'string' && name.startsWith('KafkaJS'));
}

/** What a dead letter says about why: the stable code when there is one, then the message. */
export function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return code === undefined ? err.message : `${String(code)}: ${err.message}`;
}
