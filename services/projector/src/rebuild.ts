import { type ClickHouse, ident, join, sql } from '@takt/clickhouse';
import { kafkaFetchBytes } from '@takt/config';
import { BUCKET_MS, bucketOf } from '@takt/domain';
import type { Logger } from '@takt/log';
import type { Kafka } from 'kafkajs';
import { createTables, REBUILT_TABLES } from './ddl.js';
import type { ProjectorMetrics } from './metrics.js';
import { applyMirrorBatch, type MirrorProgress } from './mirror.js';
import { cdcTopics, dirtyPublisher } from './projector.js';
import { type DirtyWork, recompute } from './recompute.js';
import { historyExtent, loadEquipment, type Tables } from './store.js';

export interface RebuildOptions {
  readonly ch: ClickHouse;
  /** A client on `default`: the staging databases do not exist yet. */
  readonly adminCh: ClickHouse;
  readonly kafka: Kafka;
  readonly database: string;
  readonly topicPrefix: string;
  readonly dirtyTopic: string;
  /** Told to drop everything once the rebuilt tables are swapped in (see ProjectorSettings). */
  readonly appliedTopic?: string;
  readonly mirrorGroup: string;
  readonly logger: Logger;
  readonly metrics: ProjectorMetrics;
  readonly clock: () => number;
  /** Called as events are replayed: done and total of the replay so far. */
  readonly onProgress?: (phase: string, done: number, total: number) => void;
  readonly keepOld?: boolean;
}

type Ends = Map<string, Map<number, bigint>>;

async function endOffsets(kafka: Kafka, topics: readonly string[]): Promise<{ ends: Ends; starts: Ends }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends: Ends = new Map();
    const starts: Ends = new Map();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
      starts.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.low)])));
    }
    return { ends, starts };
  } finally {
    await admin.disconnect();
  }
}

const total = (ends: Ends, from: Ends): number => {
  let n = 0n;
  for (const [topic, parts] of ends) for (const [p, end] of parts) n += end - (from.get(topic)?.get(p) ?? 0n);
  return Number(n);
};

/**
 * Replays the CDC topics from the earliest offsets into fresh tables of a staging database, recomputes
 * every equipment's whole history there, swaps the tables in by RENAME, then catches up on what arrived
 * meanwhile (mirror writes and dirty marks into the live tables). The running projector carries on
 * throughout; a write of it that hits the instant of the swap is retried like an outage.
 */
export async function rebuild(opts: RebuildOptions): Promise<{ events: number; equipment: number }> {
  const stamp = opts.clock().toString(36);
  const staging = `${opts.database}_rebuild_${stamp}`;
  const old = `${opts.database}_old_${stamp}`;
  const topics = cdcTopics(opts.topicPrefix);
  const { ends: target, starts } = await endOffsets(opts.kafka, topics);
  const { ends: dirtyEnds } = await endOffsets(opts.kafka, [opts.dirtyTopic]);
  await createTables(opts.adminCh, staging);
  const stagingTables: Tables = { ch: opts.ch, database: staging };
  const liveTables: Tables = { ch: opts.ch, database: opts.database };
  const groupId = `${opts.mirrorGroup}-rebuild-${stamp}`;
  const position: Ends = new Map(topics.map((t) => [t, new Map()]));
  let tables = stagingTables;
  let publish: ((marks: Parameters<ReturnType<typeof dirtyPublisher>>[0]) => Promise<void>) | null = null;
  const progress: MirrorProgress = { lastLsn: 0n, lastEventMs: 0 };
  let applied = 0;
  let goal = total(target, starts);
  opts.onProgress?.('replay', 0, goal);

  const consumer = opts.kafka.consumer({
    groupId,
    maxBytesPerPartition: kafkaFetchBytes(4).maxBytesPerPartition,
    maxWaitTimeInMs: 200,
  });
  const producer = opts.kafka.producer();
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      if (batch.messages.length === 0) return;
      // Retried in place until ClickHouse takes it: a rebuild that skipped a batch would be wrong.
      for (let attempt = 0; ; attempt++) {
        try {
          await applyMirrorBatch(
            {
              tables,
              topicPrefix: opts.topicPrefix,
              clock: opts.clock,
              logger: opts.logger,
              metrics: opts.metrics,
              publish,
              // The live projector dead-lettered these when it first met them; a replay only notes them.
              deadLetter: async (source, reason) =>
                opts.logger.warn(
                  { topic: source.topic, partition: source.partition, offset: source.offset, reason },
                  'rebuild: message left out (it is in the dead-letter topic since it was first consumed)',
                ),
            },
            progress,
            batch.topic,
            batch.partition,
            batch.messages,
          );
          break;
        } catch (err) {
          const delay = Math.min(30_000, 500 * 2 ** attempt);
          opts.logger.warn(
            { err, retryInMs: delay },
            `rebuild: ClickHouse write failed, retrying in ${delay} ms`,
          );
          await new Promise((r) => setTimeout(r, delay));
        }
      }
      position.get(batch.topic)!.set(batch.partition, BigInt(batch.lastOffset()) + 1n);
      applied += batch.messages.length;
      opts.onProgress?.(tables === stagingTables ? 'replay' : 'catch-up', applied, goal);
    },
  });

  const reached = (ends: Ends) =>
    [...ends].every(([topic, parts]) =>
      [...parts].every(
        ([p, end]) => end === 0n || (position.get(topic)?.get(p) ?? starts.get(topic)?.get(p) ?? 0n) >= end,
      ),
    );
  const until = async (ends: Ends) => {
    while (!reached(ends)) await new Promise((r) => setTimeout(r, 200));
  };

  try {
    await until(target);
    await consumer.pause(topics.map((topic) => ({ topic })));

    // Versions of the rebuilt rows stay below every later dirty mark's, in whichever partition.
    const floor = [...(dirtyEnds.get(opts.dirtyTopic)?.values() ?? [])].reduce(
      (a, b) => (b < a ? b : a),
      2n ** 62n,
    );
    const equipment = await opts.ch.query<{ tenant_id: string; equipment_id: string }>(sql`
      SELECT DISTINCT tenant_id, equipment_id FROM (
        SELECT tenant_id, id AS equipment_id FROM ${ident(staging, 'dim_equipment_v1')}
        UNION ALL SELECT tenant_id, equipment_id FROM ${ident(staging, 'fact_equipment_state_v1')}
        UNION ALL SELECT tenant_id, equipment_id FROM ${ident(staging, 'fact_production_v1')})`);
    const now = opts.clock();
    let done = 0;
    opts.onProgress?.('recompute', 0, equipment.length);
    for (let k = 0; k < equipment.length; k += 50) {
      const keys = equipment
        .slice(k, k + 50)
        .map((e) => ({ tenantId: e.tenant_id, equipmentId: e.equipment_id }));
      const info = await loadEquipment(stagingTables, keys);
      const work: DirtyWork[] = [];
      for (const key of keys) {
        const lineId = info.get(`${key.tenantId}:${key.equipmentId}`)?.lineId ?? '';
        const extent = await historyExtent(stagingTables, key.tenantId, key.equipmentId, lineId, now);
        if (!extent) continue;
        const fromMs = bucketOf(extent.fromMs);
        const toMs = bucketOf(extent.toMs - 1) + BUCKET_MS;
        work.push({ key, ranges: [{ fromMs, toMs }], version: floor });
      }
      await recompute({ tables: stagingTables, clock: () => now, metrics: opts.metrics }, work);
      done += keys.length;
      opts.onProgress?.('recompute', done, equipment.length);
    }

    await opts.adminCh.command(sql`CREATE DATABASE IF NOT EXISTS ${ident(old)}`);
    const existing = new Set(
      (
        await opts.ch.query<{ name: string }>(
          sql`SELECT name FROM system.tables WHERE database = ${opts.database}`,
        )
      ).map((r) => r.name),
    );
    const pairs = REBUILT_TABLES.flatMap((t) => [
      ...(existing.has(t) ? [sql`${ident(opts.database, t)} TO ${ident(old, t)}`] : []),
      sql`${ident(staging, t)} TO ${ident(opts.database, t)}`,
    ]);
    await opts.adminCh.command(sql`RENAME TABLE ${join(pairs)}`);
    opts.logger.info({ database: opts.database, old }, 'rebuilt tables swapped in');
    if (opts.appliedTopic)
      await producer.send({
        topic: opts.appliedTopic,
        acks: -1,
        messages: [{ value: JSON.stringify({ flush: true }) }],
      });

    // What the live projector wrote into the old tables while the replay ran is applied again, now
    // into the swapped-in tables, with dirty marks so stage 2 recomputes those buckets.
    tables = liveTables;
    publish = dirtyPublisher(producer, opts.dirtyTopic);
    const { ends: after } = await endOffsets(opts.kafka, topics);
    goal = applied + total(after, target);
    consumer.resume(topics.map((topic) => ({ topic })));
    await until(after);
    if (!opts.keepOld) await opts.adminCh.command(sql`DROP DATABASE IF EXISTS ${ident(old)}`);
    return { events: applied, equipment: equipment.length };
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await opts.adminCh.command(sql`DROP DATABASE IF EXISTS ${ident(staging)}`).catch(() => undefined);
    const admin = opts.kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** A one-line progress bar on a terminal, a log line every few seconds elsewhere. */
export function progressBar(
  stream: NodeJS.WriteStream,
  logger: Logger,
): (phase: string, done: number, total: number) => void {
  let lastLine = 0;
  let lastPhase = '';
  const started = Date.now();
  return (phase, done, total) => {
    const share = total === 0 ? 1 : Math.min(1, done / total);
    const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round(share * width);
      stream.write(
        `\r${phase.padEnd(9)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(1).padStart(5)}% ${done}/${total} (${rate}/s)`,
      );
      if (phase !== lastPhase && lastPhase !== '') stream.write('\n');
    } else if (Date.now() - lastLine > 2_000 || phase !== lastPhase || done === total) {
      logger.info(
        { phase, done, total, percent: Math.round(share * 1000) / 10, perSecond: rate },
        'rebuild progress',
      );
      lastLine = Date.now();
    }
    lastPhase = phase;
  };
}
