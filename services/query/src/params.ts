import {
  type AcceptedRange,
  acceptedRange,
  checkInstant,
  checkWindow,
  describeRange,
  type Granularity,
  type Interval,
  maxWindowDays,
  type TimeRangePolicy,
} from '@takt/domain';
import { type FieldError, TaktError } from '@takt/http';

export const SCOPE_KINDS = ['equipment', 'line', 'site'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

export const SENSOR_STEPS = ['1m', '5m', '15m', '1h'] as const;
export type SensorStep = (typeof SENSOR_STEPS)[number];

export const CODE = /^[A-Za-z0-9._-]{1,64}$/;

/** More ids than this in one request is a 400: dense rows grow with ids × buckets. */
export const MAX_IDS = 100;

// RFC 3339 date-time; the offset is mandatory, so a time is never read in the server's zone.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Epoch milliseconds of an RFC 3339 time with an offset, or null; sub-millisecond digits are truncated. */
export function parseInstant(text: string): number | null {
  const m = RFC3339.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(wall).getUTCDate() !== day || year < 1970) return null;
  const millis = Number(`${(m[7] ?? '.').slice(1)}000`.slice(0, 3));
  let offsetMs = 0;
  if (m[8] === undefined) {
    const offsetHours = Number(m[10]);
    const offsetMinutes = Number(m[11]);
    if (offsetHours > 23 || offsetMinutes > 59) return null;
    offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000 * (m[9] === '-' ? 1 : -1);
  }
  return wall + millis + offsetMs;
}

export const iso = (instant: number): string => new Date(instant).toISOString();

const validation = (errors: FieldError[], extra: Record<string, unknown> = {}): TaktError =>
  new TaktError(
    'TAKT_VALIDATION',
    400,
    errors.length === 1 ? errors[0]!.detail : `invalid request: ${errors.length} problems`,
    { errors, extra },
  );

/** The accepted time range at the time of the request, and the policy that made it (docs/time-range.md). */
export interface AcceptedWindow {
  readonly range: AcceptedRange;
  readonly policy: TimeRangePolicy;
}

export const acceptedAt = (now: number, policy: TimeRangePolicy): AcceptedWindow => ({
  range: acceptedRange(now, policy),
  policy,
});

/**
 * `from` not before the accepted range and `to` not after it: a window ClickHouse cannot represent
 * is a 400, never a 5xx, and no answer is read from before the retention or beyond the horizon.
 */
function checkAccepted(window: Interval, accepted: AcceptedWindow): void {
  const rule = describeRange(accepted.range, accepted.policy);
  const errors: FieldError[] = [];
  if (checkInstant(window.start, accepted.range) !== 'ok')
    errors.push({
      pointer: '/query/from',
      detail: `from ${iso(window.start)} is outside the accepted range: ${rule}`,
    });
  if (checkInstant(window.end, accepted.range) !== 'ok')
    errors.push({
      pointer: '/query/to',
      detail: `to ${iso(window.end)} is outside the accepted range: ${rule}`,
    });
  if (errors.length > 0) throw validation(errors);
}

/**
 * `from`/`to` as an interval under the API's window rules (15-minute boundaries, `from < to`, the
 * granularity's largest window, inside the accepted time range). Every problem of a rule is
 * reported at once, each at its parameter.
 */
export function parseWindow(
  from: string,
  to: string,
  granularity: Granularity,
  accepted: AcceptedWindow,
): Interval {
  const start = parseInstant(from);
  const end = parseInstant(to);
  const errors: FieldError[] = [];
  if (start === null)
    errors.push({ pointer: '/query/from', detail: 'from must be an RFC 3339 time with an offset' });
  if (end === null)
    errors.push({ pointer: '/query/to', detail: 'to must be an RFC 3339 time with an offset' });
  if (start === null || end === null) throw validation(errors);
  const window = { start, end };
  const check = checkWindow(window, granularity);
  if (check.ok) {
    checkAccepted(window, accepted);
    return window;
  }
  switch (check.problem) {
    case 'not-on-bucket-boundary': {
      const bad = [
        { field: 'from', at: start },
        { field: 'to', at: end },
      ].filter(({ at }) => at % 900_000 !== 0);
      throw validation(
        bad.map(({ field }) => ({
          pointer: `/query/${field}`,
          detail: `${field} must lie on a 15-minute boundary (hh:00, hh:15, hh:30 or hh:45 UTC)`,
        })),
      );
    }
    case 'empty':
      throw validation([{ pointer: '/query/to', detail: 'to must be later than from' }]);
    case 'too-long':
      throw validation(
        [
          {
            pointer: '/query/to',
            detail: `the window from..to is longer than ${check.limitDays} days, the largest for granularity=${granularity}`,
          },
        ],
        { limitDays: check.limitDays },
      );
    default: {
      const unexpected: never = check;
      throw new Error(`unexpected window check ${JSON.stringify(unexpected)}`);
    }
  }
}

/** `a,b,c` as distinct codes in the order given. */
export function parseIds(text: string, pointer = '/query/ids'): string[] {
  const ids = [...new Set(text.split(',').map((id) => id.trim()))];
  if (ids.length === 0 || ids.every((id) => id === ''))
    throw validation([{ pointer, detail: 'ids must name at least one code' }]);
  const bad = ids.filter((id) => !CODE.test(id));
  if (bad.length > 0) {
    throw validation(
      bad.map((id) => ({ pointer, detail: `"${id.slice(0, 70)}" is not a code ([A-Za-z0-9._-]{1,64})` })),
    );
  }
  if (ids.length > MAX_IDS)
    throw validation([{ pointer, detail: `at most ${MAX_IDS} ids per request` }], { limit: MAX_IDS });
  return ids;
}

/** Sensor series have no granularity; their steps get limits that keep a series under ~10,000 points. */
export const SENSOR_STEP_MS: Record<SensorStep, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
};

const SENSOR_WINDOW_GRANULARITY: Record<SensorStep, Granularity> = {
  '1m': '15m',
  '5m': 'hour',
  '15m': 'shift',
  '1h': 'week',
};

export const sensorWindowDays = (step: SensorStep): number => maxWindowDays(SENSOR_WINDOW_GRANULARITY[step]);

export function parseSensorWindow(
  from: string,
  to: string,
  step: SensorStep,
  accepted: AcceptedWindow,
): Interval {
  try {
    return parseWindow(from, to, SENSOR_WINDOW_GRANULARITY[step], accepted);
  } catch (err) {
    if (err instanceof TaktError && err.options.extra?.limitDays !== undefined) {
      const limitDays = err.options.extra.limitDays;
      throw validation(
        [
          {
            pointer: '/query/to',
            detail: `the window from..to is longer than ${limitDays} days, the largest for step=${step}`,
          },
        ],
        { limitDays },
      );
    }
    throw err;
  }
}
