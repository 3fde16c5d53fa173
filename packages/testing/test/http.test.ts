import { describe, expect, it } from 'vitest';
import { fetchRetryingLater } from '../src/index.js';

const answer = (status: number, headers: Record<string, string> = {}) =>
  new Response('{}', { status, headers });

describe('fetchRetryingLater', () => {
  it('waits as long as Retry-After says on 429 and 503, then returns the answer', async () => {
    const answers = [answer(429, { 'retry-after': '3' }), answer(503, { 'retry-after': '1' }), answer(201)];
    const waits: number[] = [];
    const res = await fetchRetryingLater(
      'http://x/',
      {},
      { fetch: async () => answers.shift()!, sleep: async (ms) => waits.push(ms) },
    );
    expect(res.status).toBe(201);
    expect(waits).toEqual([3000, 1000]);
  });

  it('returns other answers at once and gives up after the last attempt', async () => {
    let calls = 0;
    const fetch = async () => {
      calls++;
      return answer(calls === 1 ? 400 : 429);
    };
    expect((await fetchRetryingLater('http://x/', {}, { fetch, sleep: async () => {} })).status).toBe(400);
    const waits: number[] = [];
    const last = await fetchRetryingLater(
      'http://x/',
      {},
      { fetch, maxAttempts: 3, sleep: async (ms) => waits.push(ms) },
    );
    expect(last.status).toBe(429);
    expect(waits).toEqual([1000, 1000]);
  });
});
