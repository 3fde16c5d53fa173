/**
 * How long a `Retry-After` header asks a client to wait, in ms: delay-seconds or an HTTP date
 * (RFC 9110 §10.2.3). Undefined when absent or unreadable; never negative.
 */
export function retryAfterMs(
  header: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date names its day and month; V8 would otherwise read "1.5" or "-1" as dates.
  if (!/^[A-Za-z]{3}, /.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** 429 and 503 are the answers that say "the same request later", usually with Retry-After. */
export const isRetryLater = (status: number): boolean => status === 429 || status === 503;
