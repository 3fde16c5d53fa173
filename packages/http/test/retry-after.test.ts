import { describe, expect, it } from 'vitest';
import { isRetryLater, retryAfterMs } from '../src/index.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-12-07T04:00:00Z');
  it('reads delay-seconds and HTTP dates, and nothing else', () => {
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Mon, 07 Dec 2026 04:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Mon, 07 Dec 2026 03:00:00 GMT', now)).toBe(0);
    for (const bad of [null, undefined, '', '-1', '1.5', 'soon'])
      expect(retryAfterMs(bad, now)).toBeUndefined();
  });
  it('knows which answers mean "later"', () => {
    expect([200, 400, 429, 500, 503].filter(isRetryLater)).toEqual([429, 503]);
  });
});
