import { type ChangeEvent, type DeadLetterSource, decodeMessage } from '@takt/cdc';
import { ident, join, raw, sql } from '@takt/clickhouse';
import { BUCKET_MS, bucketOf } from '@takt/domain';
import type { Logger } from '@takt/log';
import type { KafkaMessage } from 'kafkajs';
import { coalesce, type DirtyMark, type Touch, touchesOf } from './dirty.js';
import { type MessageCoordinates, UnrepresentableTimeError } from './errors.js';
import type { ProjectorMetrics } from './metrics.js';
import { checkRepresentable, mirrorWriteOf } from './rows.js';
import { equipmentOfLines, historyExtent, insertMirror, type Tables, writeState } from './store.js';

export interface MirrorDeps {
  readonly tables: Tables;
  readonly topicPrefix: string;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly metrics: ProjectorMetrics;
  /** Publishes dirty marks; resolves once the broker has them. Null: marks are not wanted (rebuild). */
  readonly publish: ((marks: readonly DirtyMark[]) => Promise<void>) | null;
  /** Takes a message that does not decode; called only once the rest of its batch is written. */
  readonly deadLetter: (source: DeadLetterSource, reason: string) => Promise<void>;
}

export interface MirrorProgress {
  lastLsn: bigint;
  lastEventMs: number;
}

/**
 * Stage 1 for one batch of one CDC partition: mirror rows, then sensor minutes, then dirty marks,
 * then progress. Every step is idempotent, so the whole batch is simply run again after a failure;
 * the caller commits the offsets only after this resolved.
 */
export async function applyMirrorBatch(
  deps: MirrorDeps,
  progress: MirrorProgress,
  topic: string,
  partition: number,
  messages: readonly KafkaMessage[],
): Promise<void> {
  const events: ChangeEvent[] = [];
  const undecodable: { source: DeadLetterSource; reason: string }[] = [];
  for (const m of messages) {
    const source = { topic, partition, offset: m.offset, key: m.key, value: m.value };
    const decoded = decodeMessage(source, { prefix: deps.topicPrefix });
    if (decoded.kind === 'change') {
      const unrepresentable = unrepresentableReason(decoded.event, source);
      if (unrepresentable === null) events.push(decoded.event);
      else undecodable.push({ source, reason: unrepresentable });
    } else if (decoded.kind === 'invalid') undecodable.push({ source, reason: decoded.reason });
  }
  const writes = events.flatMap((e) => {
    const w = mirrorWriteOf(e);
    return w ? [w] : [];
  });
  await insertMirror(deps.tables, writes);

  let maxLsn = progress.lastLsn;
  let eventMs = progress.lastEventMs;
  for (const e of events) {
    if (e.lsn >= maxLsn) {
      maxLsn = e.lsn;
      eventMs = e.committedAtMs;
    }
  }
  // Roll-ups and marks go out only after the rows they read are in ClickHouse, so the recompute a mark
  // triggers sees them; the progress row has no such order and rides along.
  const now = deps.clock();
  let marks: DirtyMark[] = [];
  const publish = deps.publish;
  await Promise.all([
    rollUpSensorMinutes(deps.tables, events),
    publish
      ? resolveTouches(
          deps.tables,
          events.flatMap((e) => touchesOf(e, now)),
          now,
        ).then((resolved) => {
          marks = resolved;
          return resolved.length > 0 ? publish(resolved) : undefined;
        })
      : undefined,
    events.length > 0
      ? writeState(deps.tables, { key: 'mirror', lastLsn: maxLsn, lastEventMs: eventMs }, Date.now())
      : undefined,
  ]);
  // After the writes: a batch that fails and runs again must not dead-letter twice.
  for (const u of undecodable) await deps.deadLetter(u.source, u.reason);
  deps.metrics.dirtyMarks.inc(marks.length);
  for (const e of events) deps.metrics.eventsApplied.inc({ table: e.table });
  if (events.length > 0) {
    progress.lastLsn = maxLsn;
    progress.lastEventMs = eventMs;
    deps.metrics.lastLsn.set(Number(maxLsn));
    deps.metrics.lastEventSeconds.set(eventMs / 1000);
  }
}

/**
 * A change ClickHouse cannot hold goes to the dead letters like an undecodable message, instead of
 * failing its batch forever (docs/time-range.md, docs/cdc-health.md). Null: it can be held.
 */
function unrepresentableReason(event: ChangeEvent, at: MessageCoordinates): string | null {
  try {
    checkRepresentable(event, at);
    return null;
  } catch (err) {
    if (!(err instanceof UnrepresentableTimeError)) throw err;
    return err.message;
  }
}

/** Turns touches into per-equipment marks, reading line membership and history spans from the mirror. */
export async function resolveTouches(
  tables: Tables,
  touches: readonly Touch[],
  now: number,
): Promise<DirtyMark[]> {
  const marks: DirtyMark[] = [];
  const lines: { tenantId: string; lineId: string }[] = [];
  for (const touch of touches) {
    if (touch.kind === 'equipment') marks.push(touch);
    else if (touch.kind === 'line') lines.push(touch);
  }
  if (lines.length > 0) {
    const unique = [...new Map(lines.map((l) => [`${l.tenantId}:${l.lineId}`, l])).values()];
    const members = await equipmentOfLines(tables, unique);
    for (const touch of touches) {
      if (touch.kind !== 'line') continue;
      for (const equipmentId of members.get(`${touch.tenantId}:${touch.lineId}`) ?? []) {
        marks.push({ tenantId: touch.tenantId, equipmentId, fromMs: touch.fromMs, toMs: touch.toMs });
      }
    }
  }
  for (const touch of touches) {
    if (touch.kind !== 'history') continue;
    const extent = await historyExtent(tables, touch.tenantId, touch.equipmentId, touch.lineId, now);
    if (!extent) continue;
    const from = bucketOf(extent.fromMs);
    const to = bucketOf(extent.toMs - 1) + BUCKET_MS;
    if (to > from)
      marks.push({ tenantId: touch.tenantId, equipmentId: touch.equipmentId, fromMs: from, toMs: to });
  }
  return coalesce(marks);
}

const MINUTE_MS = 60_000;

/**
 * Recomputes every minute a batch touched from the readings mirror (FINAL), so a redelivered or
 * corrected reading replaces its row instead of adding to a sum. Two instances can roll up the same
 * minute at once (a reading's partition follows its timestamp, not its minute), so the version must
 * rank the reads: it is the sum of the readings' LSNs, which grows with every reading a later read
 * sees and with every correction (a correction has a higher LSN). The highest LSN alone would tie a
 * partial read with a complete one whenever the missing reading is the older. The sum stays far below
 * 2^64: LSNs are under 2^45 (32 TiB of WAL) and a minute holds well under 2^18 readings of a tag.
 */
export async function rollUpSensorMinutes(tables: Tables, events: readonly ChangeEvent[]): Promise<void> {
  const spans = new Map<
    string,
    { tenantId: string; equipmentId: string; tag: string; from: number; to: number }
  >();
  for (const e of events) {
    if (e.table !== 'fact_sensor_reading') continue;
    for (const r of [e.before, e.after]) {
      if (!r) continue;
      const minute = Math.floor(r.ts / MINUTE_MS) * MINUTE_MS;
      const key = JSON.stringify([r.tenant_id, r.equipment_id, r.tag]);
      const span = spans.get(key);
      if (!span)
        spans.set(key, {
          tenantId: r.tenant_id,
          equipmentId: r.equipment_id,
          tag: r.tag,
          from: minute,
          to: minute + MINUTE_MS,
        });
      else {
        span.from = Math.min(span.from, minute);
        span.to = Math.max(span.to, minute + MINUTE_MS);
      }
    }
  }
  if (spans.size === 0) return;
  const all = [...spans.values()];
  const from = Math.min(...all.map((s) => s.from));
  const to = Math.max(...all.map((s) => s.to));
  // One key list and one time range use the sort key; recomputing an untouched minute inside the range
  // rewrites the same row. A batch spread over days gets one range per series instead.
  const where =
    to - from <= 86_400_000
      ? sql`(tenant_id, equipment_id, tag) IN (${join(all.map((s) => sql`(${s.tenantId}, ${s.equipmentId}, ${s.tag})`))})
           AND ts_ms >= ${from} AND ts_ms < ${to}`
      : join(
          all.map(
            (s) =>
              sql`(tenant_id = ${s.tenantId} AND equipment_id = ${s.equipmentId} AND tag = ${s.tag}
                   AND ts_ms >= ${s.from} AND ts_ms < ${s.to})`,
          ),
          raw(' OR '),
        );
  await tables.ch.command(sql`INSERT INTO ${ident(tables.database, 'sensor_minute_v1')}
    (tenant_id, equipment_id, tag, minute, min, max, sum, count, version)
    SELECT tenant_id, equipment_id, tag, toDateTime(intDiv(ts_ms, 60000) * 60, 'UTC') AS minute,
           min(value), max(value), sum(value), count(), sum(lsn)
      FROM ${ident(tables.database, 'sensor_reading_v1')} FINAL
     WHERE is_deleted = 0 AND (${where})
     GROUP BY tenant_id, equipment_id, tag, minute`);
}
