/** Wall-clock arithmetic in IANA zones with nothing but Intl, plus the CLI's time syntax. */

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** The zone's offset from UTC at `instant`, in ms (Berlin in summer: +2 h). */
export function zoneOffset(instant: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(instant))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - Math.floor(instant / SECOND) * SECOND;
}

/**
 * The instant a local wall time names. Two passes settle on the offset in force at the result;
 * shift times (06:00, 14:00, 22:00) never fall into a DST gap or fold in the zones used here.
 */
export function localToUtc(date: LocalDate, minuteOfDay: number, zone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day) + minuteOfDay * MINUTE;
  const key = `${zone}|${wall}`;
  let utc = localCache.get(key);
  if (utc === undefined) {
    const first = wall - zoneOffset(wall, zone);
    utc = wall - zoneOffset(first, zone);
    // Shift calendars ask for the same few wall times over and over; Intl is the simulator's hot spot.
    if (localCache.size > 100_000) localCache.clear();
    localCache.set(key, utc);
  }
  return utc;
}

const localCache = new Map<string, number>();

export function localDateOf(instant: number, zone: string): LocalDate {
  const d = new Date(instant + zoneOffset(instant, zone));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** ISO weekday: Monday 1 … Sunday 7. */
export function weekday(date: LocalDate): number {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return d === 0 ? 7 : d;
}

/** Days since 1970-01-01 of a local date: a compact, zone-free key for seeds. */
export const dayNumber = (date: LocalDate): number =>
  Math.round(Date.UTC(date.year, date.month - 1, date.day) / DAY);

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT: Record<string, number> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY };

/** `10s`, `500ms`, `1.5h`, `7d` → ms; null when malformed. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * (UNIT[m[2] ?? ''] ?? Number.NaN);
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : null;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** `now`, `-7d` (relative to now) or an RFC 3339 time → epoch ms; null when malformed. */
export function parseInstant(text: string, now: number): number | null {
  const t = text.trim();
  if (t === 'now') return now;
  if (t.startsWith('-')) {
    const d = parseDuration(t.slice(1));
    return d === null ? null : now - d;
  }
  if (!RFC3339.test(t)) return null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
