/**
 * The accepted time range: every instant a client sends (a reading's `ts`, the `start`/`end` of
 * production, states, shifts and maintenance, a query's `from`/`to`) must lie inside it. The rule
 * and the reasons for its bounds are in docs/time-range.md.
 *
 * - Not older than the retention: PostgreSQL keeps daily sensor partitions for `retentionDays`,
 *   and a reading older than its partition would land in the default partition.
 * - Not further ahead than the horizon: partitions are premade at least that far, so an accepted
 *   reading always has one (and never stops partition maintenance in the default partition).
 * - Always inside what every store represents: ClickHouse 18.16's DateTime spans
 *   1970-01-01 .. 2105-12-31 UTC, whatever the clock says.
 */

export interface TimeRangePolicy {
  /** Days an instant may lie behind now; null where the data is never dropped (OEE history). */
  readonly retentionDays: number | null;
  /** Days an instant may lie ahead of now. */
  readonly horizonDays: number;
}

export const DEFAULT_TIME_RANGE_POLICY: TimeRangePolicy = { retentionDays: 400, horizonDays: 7 };

const DAY_MS = 86_400_000;

/** Instants every Takt store can hold: ClickHouse DateTime (UInt32 seconds, 18.16's date table ends 2105). */
export const REPRESENTABLE = { oldest: 0, newest: Date.UTC(2106, 0, 1) - 1 } as const;

/** Both bounds inclusive, in epoch milliseconds. */
export interface AcceptedRange {
  readonly oldest: number;
  readonly newest: number;
}

export function acceptedRange(now: number, policy: TimeRangePolicy): AcceptedRange {
  return {
    oldest:
      policy.retentionDays === null
        ? REPRESENTABLE.oldest
        : Math.max(REPRESENTABLE.oldest, now - policy.retentionDays * DAY_MS),
    newest: Math.min(REPRESENTABLE.newest, now + policy.horizonDays * DAY_MS),
  };
}

export type InstantCheck = 'ok' | 'too-old' | 'too-new';

export function checkInstant(instant: number, range: AcceptedRange): InstantCheck {
  if (!(instant >= range.oldest)) return 'too-old';
  if (!(instant <= range.newest)) return 'too-new';
  return 'ok';
}

export const isAccepted = (instant: number, range: AcceptedRange): boolean =>
  checkInstant(instant, range) === 'ok';

const MAX_DATE_MS = 8.64e15;
const isoOf = (at: number): string =>
  Number.isFinite(at) && Math.abs(at) <= MAX_DATE_MS ? new Date(at).toISOString() : String(at);

/** The rule in words, for a problem's detail: the bounds as the policy states them and as instants. */
export function describeRange(range: AcceptedRange, policy: TimeRangePolicy): string {
  const back = policy.retentionDays === null ? '1970-01-01' : `now - ${policy.retentionDays} days`;
  return (
    `times must lie between ${back} and now + ${policy.horizonDays} days ` +
    `(${isoOf(range.oldest)} .. ${isoOf(range.newest)})`
  );
}

/** One named instant of a request; `pointer` is an RFC 6901 pointer to where the client sent it. */
export interface NamedInstant {
  readonly pointer: string;
  readonly at: number;
}

export interface RangeViolation {
  readonly pointer: string;
  readonly detail: string;
}

/**
 * Every instant outside the range, each with the rule in its detail, in the order given; at most
 * `limit`, so a batch of 10,000 bad readings answers with a readable problem.
 */
export function rangeViolations(
  instants: Iterable<NamedInstant>,
  range: AcceptedRange,
  policy: TimeRangePolicy,
  limit = 100,
): RangeViolation[] {
  const rule = describeRange(range, policy);
  const out: RangeViolation[] = [];
  for (const { pointer, at } of instants) {
    const check = checkInstant(at, range);
    if (check === 'ok') continue;
    const what = check === 'too-old' ? 'older than the retention' : 'further ahead than the horizon';
    out.push({ pointer, detail: `${isoOf(at)} is ${what}: ${rule}` });
    if (out.length >= limit) break;
  }
  return out;
}
