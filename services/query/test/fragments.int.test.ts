import type { Granularity, Interval } from '@takt/domain';
import { createLogger } from '@takt/log';
import { deleteTopics, testKafka, topicPrefix, waitFor } from '@takt/testing';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTopics } from '../../projector/test/harness.js';
import { FragmentCache } from '../src/fragments.js';
import { type InvalidationFeed, invalidationFeed } from '../src/invalidation.js';
import type { OeeFragment } from '../src/oee.js';
import { type QueryHarness, startQuery, type TestTenant } from './harness.js';
import { buildFixture, expectedOee, type Fixture, storeFixture } from './plant-fixture.js';

// The fragment cache against the real ClickHouse and Kafka: answers assembled from kept buckets equal
// the domain's, and a bucket the projector rewrites is read again once (and only once) it says so.
const kafka = testKafka();
const topic = `${topicPrefix()}.projector.applied`;
let h: QueryHarness;
let a: TestTenant;
let fx: Fixture;
let cache: FragmentCache<OeeFragment>;
let feed: InvalidationFeed;
let producer: Producer;

beforeAll(async () => {
  await makeTopics(kafka, [topic], 2);
  cache = new FragmentCache<OeeFragment>({ maxFragments: 100_000, maxAgeMs: 600_000 });
  feed = invalidationFeed({
    kafka,
    topic,
    cache,
    logger: createLogger({ service: 'query', level: 'silent' }),
  });
  feed.start();
  producer = kafka.producer();
  await producer.connect();
  h = await startQuery({ fragments: cache });
  a = await h.tenant();
  fx = { ...buildFixture(7), tenantId: a.id };
  await storeFixture(h, fx, 7);
  await waitFor(async () => cache.live, { timeoutMs: 30_000, what: 'the invalidation feed to fetch' });
});
afterAll(async () => {
  await producer?.disconnect();
  await feed?.stop();
  await h?.close();
  await deleteTopics(kafka, [topic]).catch(() => undefined);
});

const at = (text: string) => Date.parse(text);
const w = (from: string, to: string): Interval => ({ start: at(from), end: at(to) });

async function oee(scope: string, ids: readonly string[], granularity: Granularity, window: Interval) {
  const res = await h.app.inject({
    method: 'GET',
    url: '/v1/oee',
    query: {
      scope,
      ids: ids.join(','),
      granularity,
      from: new Date(window.start).toISOString(),
      to: new Date(window.end).toISOString(),
    },
    headers: a.auth(),
  });
  expect(res.statusCode).toBe(200);
  return res.json().rows;
}

// Windows that overlap in time and cut buckets differently, so later answers mix kept and read buckets.
const CASES: [Granularity, Interval][] = [
  ['day', w('2026-03-24T00:00:00Z', '2026-04-03T00:00:00Z')],
  ['day', w('2026-03-26T06:45:00Z', '2026-04-02T00:00:00Z')],
  ['day', w('2026-03-20T00:00:00Z', '2026-03-30T00:00:00Z')],
  ['hour', w('2026-03-28T10:15:00Z', '2026-03-31T00:00:00Z')],
  ['hour', w('2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z')],
  ['15m', w('2026-10-24T20:00:00Z', '2026-10-26T00:00:00Z')],
  ['week', w('2026-01-01T00:00:00Z', '2026-11-01T00:00:00Z')],
  ['month', w('2026-01-01T00:00:00Z', '2026-11-01T00:00:00Z')],
  ['total', w('2026-03-29T00:00:00Z', '2026-03-29T12:00:00Z')],
];
const SCOPES = [
  ['equipment', ['M1', 'K1']],
  ['line', ['BER-L1', 'KOL-L1']],
  ['site', ['BER', 'KOL']],
] as const;

describe('OEE answers from kept fragments', () => {
  it('equal the domain over the stored rows, read cold and again warm', async () => {
    for (const pass of ['cold', 'warm']) {
      const before = cache.stats();
      for (const [scope, ids] of SCOPES)
        for (const [granularity, window] of CASES)
          expect(await oee(scope, ids, granularity, window), `${pass} ${scope} ${granularity}`).toEqual(
            expectedOee(fx, scope, ids, window, granularity),
          );
      const after = cache.stats();
      if (pass === 'warm') expect(after.misses).toBe(before.misses);
      else expect(after.fragments).toBeGreaterThan(0);
    }
  });

  it('keep answering from the old rows until the projector announces the rewrite, then read it', async () => {
    const window = w('2026-03-24T00:00:00Z', '2026-04-03T00:00:00Z');
    const m1 = fx.equipment.find((e) => e.code === 'M1')!;
    const rows = fx.components.get(m1.id)!;
    const target = rows.find(
      (r) => r.bucketStart >= window.start && r.bucketStart < window.end && r.pot > 0,
    )!;
    const first = await oee('line', ['BER-L1'], 'day', window);
    expect(first).toEqual(expectedOee(fx, 'line', ['BER-L1'], window, 'day'));

    // The projector rewrites one bucket of M1 (a higher version), as a recompute would.
    const changed = { ...target, apt: target.apt === 0 ? 60_000 : 0, pq: target.pq + 5, gq: target.gq + 5 };
    await h.insert('oee_bucket_v1', [
      {
        tenant_id: a.id,
        equipment_id: m1.id,
        bucket_start: Math.floor(changed.bucketStart / 1000),
        shift_id: changed.shiftId,
        pot_ms: changed.pot,
        pdot_ms: changed.pdot,
        apt_ms: changed.apt,
        pq: changed.pq,
        gq: changed.gq,
        sq: changed.sq,
        rq: changed.rq,
        ideal_ms: changed.ideal,
        version: 1_000_000,
        is_deleted: 0,
      },
    ]);
    fx.components.set(
      m1.id,
      rows.map((r) => (r === target ? changed : r)),
    );
    const expected = expectedOee(fx, 'line', ['BER-L1'], window, 'day');
    expect(expected).not.toEqual(first);
    // Not announced yet: the kept buckets still answer (this is what makes the cache a cache).
    expect(await oee('line', ['BER-L1'], 'day', window)).toEqual(first);

    await producer.send({
      topic,
      messages: [
        {
          key: `${a.id}:${m1.id}`,
          value: JSON.stringify({
            tenantId: a.id,
            equipmentId: m1.id,
            fromMs: changed.bucketStart,
            toMs: changed.bucketStart + 900_000,
          }),
        },
      ],
    });
    await waitFor(
      async () =>
        JSON.stringify(await oee('line', ['BER-L1'], 'day', window)) === JSON.stringify(expected) ||
        undefined,
      { timeoutMs: 15_000, intervalMs: 100, what: 'the announced bucket to be read again' },
    );
    // Every scope containing M1 sees it; the equipment alone too.
    expect(await oee('site', ['BER'], 'day', window)).toEqual(
      expectedOee(fx, 'site', ['BER'], window, 'day'),
    );
    expect(await oee('equipment', ['M1'], 'day', window)).toEqual(
      expectedOee(fx, 'equipment', ['M1'], window, 'day'),
    );
  });

  it('drops everything on a flush (a rebuild swapped the tables in)', async () => {
    await oee('site', ['BER'], 'month', w('2026-01-01T00:00:00Z', '2026-11-01T00:00:00Z'));
    expect(cache.stats().fragments).toBeGreaterThan(0);
    await producer.send({ topic, messages: [{ value: JSON.stringify({ flush: true }) }] });
    await waitFor(async () => cache.stats().fragments === 0 || undefined, {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'the flush to empty the cache',
    });
    expect(cache.live).toBe(true);
  });

  it('keeps nothing once the feed stops, and still answers from ClickHouse', async () => {
    await feed.stop();
    expect(cache.live).toBe(false);
    const window = w('2026-03-24T00:00:00Z', '2026-04-03T00:00:00Z');
    expect(await oee('line', ['BER-L2'], 'day', window)).toEqual(
      expectedOee(fx, 'line', ['BER-L2'], window, 'day'),
    );
    expect(cache.stats().fragments).toBe(0);
  });

  it('starts without its topic, answering uncached, and goes live once the topic exists', async () => {
    const late = `${topicPrefix()}.projector.applied`;
    const lateCache = new FragmentCache<OeeFragment>({ maxFragments: 1_000, maxAgeMs: 600_000 });
    const lateFeed = invalidationFeed({
      kafka,
      topic: late,
      cache: lateCache,
      logger: createLogger({ service: 'query', level: 'silent' }),
      retryMs: 300,
    });
    lateFeed.start();
    try {
      await new Promise((r) => setTimeout(r, 1_500));
      expect(lateCache.live).toBe(false);
      await makeTopics(kafka, [late], 1);
      await waitFor(async () => lateCache.live, { timeoutMs: 30_000, what: 'the feed to find its topic' });
    } finally {
      await lateFeed.stop();
      await deleteTopics(kafka, [late]).catch(() => undefined);
    }
    expect(lateCache.live).toBe(false);
  });
});
