import type { ComponentRow } from '@takt/domain';
import type { Logger } from '@takt/log';
import type { KafkaMessage } from 'kafkajs';
import { type DowntimeRow, downtimeRows, oeeRows } from './compute.js';
import { type DirtyMark, dirtyKey, parseDirtyMark } from './dirty.js';
import type { ProjectorMetrics } from './metrics.js';
import {
  type EquipmentKey,
  loadEquipment,
  loadProduction,
  loadShifts,
  loadStates,
  loadStoredDowntime,
  loadStoredOee,
  type Tables,
  type Window,
} from './store.js';

export interface RecomputeDeps {
  readonly tables: Tables;
  readonly clock: () => number;
  readonly metrics: ProjectorMetrics;
  readonly logger?: Logger;
}

/**
 * The version of the rows a recompute writes: the highest dirty-topic offset it covers, plus one so
 * it is never 0. All marks of an equipment go to one partition (keyed by equipment), whose offsets only
 * grow, so a recompute that started later for a later mark always carries a higher version, and an
 * older read finishing late can never overwrite a newer one. Equal versions only come from running
 * the same marks again (a redelivery after a crash or a rebalance), which reads a mirror at least as
 * new; ReplacingMergeTree keeps the last inserted of equal versions, i.e. that newer read.
 */
export const versionOf = (offset: string): bigint => BigInt(offset) + 1n;

export interface DirtyWork {
  readonly key: EquipmentKey;
  readonly ranges: { fromMs: number; toMs: number }[];
  version: bigint;
}

/** The marks of a batch, per equipment: ranges merged, version from the last mark. */
export function collectWork(messages: readonly KafkaMessage[]): DirtyWork[] {
  const work = new Map<string, DirtyWork>();
  for (const m of messages) {
    const mark = m.value ? parseDirtyMark(m.value.toString('utf8')) : null;
    if (!mark) continue;
    const key = dirtyKey(mark);
    const entry = work.get(key);
    const version = versionOf(m.offset);
    if (entry) {
      entry.ranges.push({ fromMs: mark.fromMs, toMs: mark.toMs });
      if (version > entry.version) entry.version = version;
    } else {
      work.set(key, {
        key: { tenantId: mark.tenantId, equipmentId: mark.equipmentId },
        ranges: [{ fromMs: mark.fromMs, toMs: mark.toMs }],
        version,
      });
    }
  }
  for (const w of work.values()) w.ranges.splice(0, w.ranges.length, ...mergeRanges(w.ranges));
  return [...work.values()];
}

function mergeRanges(
  ranges: readonly { fromMs: number; toMs: number }[],
): { fromMs: number; toMs: number }[] {
  const sorted = [...ranges].sort((a, b) => a.fromMs - b.fromMs);
  const out: { fromMs: number; toMs: number }[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.fromMs <= last.toMs) last.toMs = Math.max(last.toMs, r.toMs);
    else out.push({ ...r });
  }
  return out;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** Recomputes the dirty buckets of a batch from the mirrors and writes them with the batch's versions. */
export async function recompute(
  deps: RecomputeDeps,
  work: readonly DirtyWork[],
  /** Runs beside the final inserts (progress bookkeeping), saving a round trip. */
  afterWrite?: () => Promise<void>,
): Promise<number> {
  if (work.length === 0) return 0;
  const { tables } = deps;
  const now = deps.clock();
  const keys = work.map((w) => w.key);
  const plain: Window[] = work.flatMap((w) => w.ranges.map((r) => ({ ...w.key, ...r, lineId: '' })));
  // States from one instant before each window: whether downtime at a window's first instant goes on
  // from before (no new occurrence) is decided by that instant alone, so no state beyond it matters.
  const stateWindows = plain.map((w) => ({ ...w, fromMs: w.fromMs - 1 }));
  const t0 = performance.now();
  const [equipment, shifts, states, production, storedOee, storedDowntime] = await Promise.all([
    loadEquipment(tables, keys),
    loadShifts(tables, plain),
    loadStates(tables, stateWindows),
    loadProduction(tables, plain),
    loadStoredOee(tables, plain),
    loadStoredDowntime(tables, plain),
  ]);
  const windows: (Window & { work: DirtyWork })[] = work.flatMap((w) => {
    const info = equipment.get(dirtyKey(w.key));
    return w.ranges.map((r) => ({ ...w.key, ...r, lineId: info?.lineId ?? '', work: w }));
  });
  const shiftsOf = (w: Window) =>
    shifts.filter(
      (s) =>
        s.tenantId === w.tenantId &&
        (s.equipmentId === w.equipmentId || (s.lineId !== '' && s.lineId === w.lineId)) &&
        s.start < w.toMs &&
        s.end > w.fromMs,
    );

  const oeeOut: Record<string, string | number>[] = [];
  const downtimeOut: Record<string, string | number>[] = [];
  let buckets = 0;
  const t1 = performance.now();
  windows.forEach((w) => {
    const info = equipment.get(dirtyKey(w));
    // A soft-deleted equipment keeps its history; nothing after its deletion counts.
    const evalNow = info && info.deletedAtMs > 0 ? Math.min(now, info.deletedAtMs) : now;
    const same = (r: EquipmentKey) => r.tenantId === w.tenantId && r.equipmentId === w.equipmentId;
    const input = {
      shifts: shiftsOf(w),
      states: states.filter((s) => same(s) && s.start < w.toMs && (s.end === null || s.end > w.fromMs - 1)),
      production: production.filter((p) => same(p) && p.end > w.fromMs && p.end <= w.toMs),
      now: evalNow,
    };
    const range = { start: w.fromMs, end: w.toMs };
    const version = w.work.version.toString();
    const rows = oeeRows(input, range);
    const kept = new Set(rows.map((r) => `${r.bucketStart}|${r.shiftId}`));
    for (const r of rows) oeeOut.push(oeeRow(w, r, version, 0));
    for (const s of storedOee) {
      if (!same(s) || s.bucketStart < w.fromMs || s.bucketStart >= w.toMs) continue;
      if (kept.has(`${s.bucketStart}|${s.shiftId}`)) continue;
      oeeOut.push(oeeRow(w, { ...ZERO, bucketStart: s.bucketStart, shiftId: s.shiftId }, version, 1));
    }
    const down = downtimeRows(input, range);
    const keptDown = new Set(
      down.map((r) => `${r.bucketStart}|${r.shiftId}|${r.reasonId}|${r.planned ? 1 : 0}`),
    );
    for (const r of down) downtimeOut.push(downtimeRow(w, r, version, 0));
    for (const s of storedDowntime) {
      if (!same(s) || s.bucketStart < w.fromMs || s.bucketStart >= w.toMs) continue;
      if (keptDown.has(`${s.bucketStart}|${s.shiftId}|${s.reasonId}|${s.planned}`)) continue;
      downtimeOut.push(
        downtimeRow(
          w,
          {
            bucketStart: s.bucketStart,
            shiftId: s.shiftId,
            reasonId: s.reasonId ?? '',
            planned: s.planned === 1,
            durationMs: 0,
            occurrences: 0,
          },
          version,
          1,
        ),
      );
    }
    buckets += (w.toMs - w.fromMs) / 900_000;
  });
  const t2 = performance.now();
  await Promise.all([
    tables.ch.insert(`${tables.database}.oee_bucket_v1`, oeeOut),
    tables.ch.insert(`${tables.database}.downtime_bucket_v1`, downtimeOut),
    ...(afterWrite ? [afterWrite()] : []),
  ]);
  deps.metrics.rowsWritten.inc({ table: 'oee_bucket_v1' }, oeeOut.length);
  deps.metrics.rowsWritten.inc({ table: 'downtime_bucket_v1' }, downtimeOut.length);
  deps.metrics.bucketsRecomputed.inc(buckets);
  deps.logger?.debug(
    {
      equipment: work.length,
      buckets,
      rows: oeeOut.length + downtimeOut.length,
      readMs: Math.round(t1 - t0),
      computeMs: Math.round(t2 - t1),
      writeMs: Math.round(performance.now() - t2),
    },
    'recomputed',
  );
  return buckets;
}

const ZERO = { pot: 0, pdot: 0, apt: 0, pq: 0, gq: 0, sq: 0, rq: 0, ideal: 0 };

function oeeRow(
  k: EquipmentKey,
  r: ComponentRow,
  version: string,
  deleted: 0 | 1,
): Record<string, string | number> {
  return {
    tenant_id: k.tenantId,
    equipment_id: k.equipmentId,
    bucket_start: seconds(r.bucketStart),
    shift_id: r.shiftId,
    pot_ms: r.pot,
    pdot_ms: r.pdot,
    apt_ms: r.apt,
    pq: r.pq,
    gq: r.gq,
    sq: r.sq,
    rq: r.rq,
    ideal_ms: r.ideal,
    version,
    is_deleted: deleted,
  };
}

function downtimeRow(
  k: EquipmentKey,
  r: DowntimeRow,
  version: string,
  deleted: 0 | 1,
): Record<string, string | number> {
  return {
    tenant_id: k.tenantId,
    equipment_id: k.equipmentId,
    bucket_start: seconds(r.bucketStart),
    shift_id: r.shiftId,
    reason_id: r.reasonId,
    planned: r.planned ? 1 : 0,
    duration_ms: r.durationMs,
    occurrences: r.occurrences,
    version,
    is_deleted: deleted,
  };
}

export type { DirtyMark };
