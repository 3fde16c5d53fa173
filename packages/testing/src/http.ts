import { setTimeout as delay } from 'node:timers/promises';
import { isRetryLater, retryAfterMs } from '@takt/http';

export interface RetryLaterOptions {
  /** Attempts in all, the first included. */
  maxAttempts?: number;
  /** Waits without a Retry-After header, and the cap on any wait. */
  fallbackMs?: number;
  maxWaitMs?: number;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Told of each wait: harnesses count them. */
  onWait?: (status: number, ms: number) => void;
  sleep?: (ms: number) => Promise<unknown>;
}

/**
 * fetch that answers 429 and 503 the way every Takt client should: wait as long as
 * Retry-After says (docs/http.md, "Rate limits and load shedding"), then send the same
 * request again. Any other answer, and the last one, is returned as it is.
 */
export async function fetchRetryingLater(
  url: string,
  init: RequestInit = {},
  opts: RetryLaterOptions = {},
): Promise<Response> {
  const { maxAttempts = 10, fallbackMs = 1_000, maxWaitMs = 60_000, onWait } = opts;
  const send = opts.fetch ?? ((u: string, i: RequestInit) => fetch(u, i));
  const sleep = opts.sleep ?? delay;
  for (let attempt = 1; ; attempt++) {
    const res = await send(url, init);
    if (!isRetryLater(res.status) || attempt >= maxAttempts) return res;
    const ms = Math.min(maxWaitMs, retryAfterMs(res.headers.get('retry-after')) ?? fallbackMs);
    await res.arrayBuffer();
    onWait?.(res.status, ms);
    await sleep(ms);
  }
}
