import { createTopics, deleteTopics, testKafka, uniqueName } from '@takt/testing';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaLagProbe, type LagProbe } from '../src/freshness.js';
import { type QueryHarness, startQuery, type TestTenant } from './harness.js';

const NOW = Date.parse('2026-04-01T12:00:00Z');

describe('/v1/freshness without Kafka', () => {
  let h: QueryHarness;
  let t: TestTenant;
  beforeAll(async () => {
    h = await startQuery({ clock: () => NOW });
    t = await h.tenant();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('before the projector ever ran: nothing applied, never caught up', async () => {
    const res = await h.app.inject({ url: '/v1/freshness', headers: t.auth() });
    expect(res.json()).toEqual({
      caughtUp: false,
      lagMs: null,
      lastAppliedLsn: null,
      lastEventAt: null,
      reasons: ['lag_unknown'],
    });
  });

  it("reports the mirror's position; unknown lag is not caught up", async () => {
    await h.insert('projector_state_v1', [
      { key: 'mirror', last_lsn: 1234, last_event_ms: NOW - 5_000, updated_ms: 1 },
      { key: 'mirror', last_lsn: 5678, last_event_ms: NOW - 2_000, updated_ms: 2 },
      { key: 'recompute', last_lsn: 5000, last_event_ms: NOW - 9_000, updated_ms: 2 },
    ]);
    const res = await h.app.inject({ url: '/v1/freshness', headers: t.auth() });
    expect(res.json()).toEqual({
      caughtUp: false,
      lagMs: 2_000,
      lastAppliedLsn: 5678,
      lastEventAt: '2026-04-01T11:59:58.000Z',
      reasons: ['lag_unknown'],
    });
  });
});

describe('/v1/freshness against the real Kafka', () => {
  const prefix = uniqueName('tq');
  const cdcTopic = `${prefix}.public.fact_production`;
  // Debezium writes this table's topic too, but the projector never consumes it.
  const unprojectedTopic = `${prefix}.public.ingest_batch`;
  const dirtyTopic = `${prefix}.projector.dirty`;
  const mirrorGroup = `${prefix}-mirror`;
  const recomputeGroup = `${prefix}-recompute`;
  const kafka = testKafka();
  let admin: Admin;
  let probe: LagProbe;
  let h: QueryHarness;
  let t: TestTenant;

  beforeAll(async () => {
    await createTopics(kafka, [cdcTopic, dirtyTopic, unprojectedTopic], { partitions: 2 });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: cdcTopic,
      messages: Array.from({ length: 6 }, (_, k) => ({ key: `k${k}`, value: 'x', partition: k % 2 })),
    });
    await producer.send({ topic: dirtyTopic, messages: [{ key: 'a', value: '{}', partition: 0 }] });
    await producer.send({ topic: unprojectedTopic, messages: [{ key: 'b', value: '{}', partition: 1 }] });
    await producer.disconnect();
    admin = kafka.admin();
    await admin.connect();
    probe = kafkaLagProbe({
      brokers: ['127.0.0.1:9092'],
      topicPrefix: prefix,
      mirrorGroup,
      recomputeGroup,
      dirtyTopic,
    });
    h = await startQuery({ clock: () => NOW, lagProbe: probe });
    t = await h.tenant();
    await h.insert('projector_state_v1', [
      { key: 'mirror', last_lsn: 42, last_event_ms: NOW - 3_000, updated_ms: 1 },
      { key: 'recompute', last_lsn: 40, last_event_ms: NOW - 7_000, updated_ms: 1 },
    ]);
  });
  afterAll(async () => {
    await h?.close();
    await probe?.close();
    await admin?.disconnect();
    await deleteTopics(kafka, [cdcTopic, dirtyTopic, unprojectedTopic]);
  });

  const freshness = async () => (await h.app.inject({ url: '/v1/freshness', headers: t.auth() })).json();
  const commit = async (groupId: string, topic: string, offsets: [number, number][]) =>
    admin.setOffsets({
      groupId,
      topic,
      partitions: offsets.map(([partition, offset]) => ({ partition, offset: String(offset) })),
    });

  it('a group that never committed lags by everything retained', async () => {
    expect(await probe.lag()).toEqual({ mirror: 6, recompute: 1 });
    expect(await freshness()).toMatchObject({
      caughtUp: false,
      lagMs: 3_000,
      lastAppliedLsn: 42,
      reasons: ['projector_lag'],
    });
  });

  it('mirror caught up, recompute behind: the lag is the recompute stage', async () => {
    await commit(mirrorGroup, cdcTopic, [
      [0, 3],
      [1, 3],
    ]);
    expect(await probe.lag()).toEqual({ mirror: 0, recompute: 1 });
    expect(await freshness()).toMatchObject({ caughtUp: false, lagMs: 7_000 });
  });

  it('both groups at the end of every partition they consume: caught up, lag 0', async () => {
    await commit(recomputeGroup, dirtyTopic, [
      [0, 1],
      [1, 0],
    ]);
    expect(await freshness()).toEqual({
      caughtUp: true,
      lagMs: 0,
      lastAppliedLsn: 42,
      lastEventAt: new Date(NOW - 3_000).toISOString(),
      reasons: [],
    });
  });

  it('an unreachable Kafka is a 503, not a guess', async () => {
    const dead = kafkaLagProbe({
      brokers: ['127.0.0.1:1'],
      topicPrefix: prefix,
      mirrorGroup,
      recomputeGroup,
      dirtyTopic,
      requestTimeoutMs: 500,
    });
    const h2 = await startQuery({ lagProbe: dead });
    const t2 = await h2.tenant();
    const res = await h2.app.inject({ url: '/v1/freshness', headers: t2.auth() });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('TAKT_UNAVAILABLE');
    await dead.close();
    await h2.close();
  });
});
