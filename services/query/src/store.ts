import { type ClickHouse, ClickHouseError, type Sql } from '@takt/clickhouse';
import { unavailable } from '@takt/http';

/**
 * Reads through here so that a ClickHouse outage answers 503 (retry later) rather than 500 (a bug);
 * any other ClickHouse failure stays a 500: a query we wrote is wrong.
 */
export async function read<T>(clickhouse: ClickHouse, statement: Sql): Promise<T[]> {
  try {
    return await clickhouse.query<T>(statement);
  } catch (err) {
    if (err instanceof ClickHouseError && err.retriable) throw unavailable('ClickHouse is unavailable');
    throw err;
  }
}

/** JSONEachRow sends 64-bit integers as strings. */
export const int = (value: string | number): number => (typeof value === 'number' ? value : Number(value));

/** Shares one computation among concurrent callers and keeps its result for `ttlMs`. */
export function memo<T>(
  ttlMs: number,
  maxEntries = 10_000,
): (key: string, compute: () => Promise<T>) => Promise<T> {
  const entries = new Map<string, { at: number; value: Promise<T> }>();
  return (key, compute) => {
    const now = Date.now();
    const hit = entries.get(key);
    if (hit !== undefined && now - hit.at < ttlMs) return hit.value;
    const value = compute();
    if (ttlMs > 0) {
      if (entries.size >= maxEntries) entries.clear();
      entries.set(key, { at: now, value });
      // A failure is not remembered: the next caller tries again.
      value.catch(() => {
        if (entries.get(key)?.value === value) entries.delete(key);
      });
    }
    return value;
  };
}
