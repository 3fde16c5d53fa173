import type { ChangeEvent } from '@takt/cdc';
import { BUCKET_MS, bucketCover, bucketOf, REPRESENTABLE } from '@takt/domain';

/** What the recompute stage reads from the dirty topic (key `tenantId:equipmentId`). */
export interface DirtyMark {
  readonly tenantId: string;
  readonly equipmentId: string;
  /** Bucket-aligned, half-open. */
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * What a change touches before it is resolved against the mirror: a line's shift touches every
 * equipment of the line, and an equipment's (re)assignment touches all of its history.
 */
export type Touch =
  | {
      readonly kind: 'equipment';
      readonly tenantId: string;
      readonly equipmentId: string;
      readonly fromMs: number;
      readonly toMs: number;
    }
  | {
      readonly kind: 'line';
      readonly tenantId: string;
      readonly lineId: string;
      readonly fromMs: number;
      readonly toMs: number;
    }
  | {
      readonly kind: 'history';
      readonly tenantId: string;
      readonly equipmentId: string;
      readonly lineId: string;
    };

const span = (start: number, end: number): { fromMs: number; toMs: number } => {
  const cover = bucketCover({ start, end: Math.max(end, start + 1) });
  return { fromMs: cover.start, toMs: cover.end };
};

/**
 * The touches of one change: both the before and the after image, so an update dirties where the
 * interval was and where it is now. An open state reaches to `now`; later growth is the timer's job.
 */
export function touchesOf(event: ChangeEvent, now: number): Touch[] {
  const images = <T>(before: T | null, after: T | null): T[] =>
    [before, after].filter((r): r is T => r !== null);
  switch (event.table) {
    case 'fact_equipment_state':
      return images(event.before, event.after).map((r) => ({
        kind: 'equipment',
        tenantId: r.tenant_id,
        equipmentId: r.equipment_id,
        ...span(r.start_at, r.end_at ?? Math.max(now, r.start_at + 1)),
      }));
    case 'fact_production':
      return images(event.before, event.after).map((r) => {
        const bucket = bucketOf(r.end_at - 1);
        return {
          kind: 'equipment',
          tenantId: r.tenant_id,
          equipmentId: r.equipment_id,
          fromMs: bucket,
          toMs: bucket + BUCKET_MS,
        };
      });
    case 'fact_shift':
      return images(event.before, event.after).flatMap((r): Touch[] => {
        const s = span(r.start_at, r.end_at);
        if (r.equipment_id !== null)
          return [{ kind: 'equipment', tenantId: r.tenant_id, equipmentId: r.equipment_id, ...s }];
        if (r.line_id !== null) return [{ kind: 'line', tenantId: r.tenant_id, lineId: r.line_id, ...s }];
        return [];
      });
    case 'dim_equipment': {
      const { before, after } = event;
      const current = after ?? before;
      if (!current) return [];
      // Which line's shifts apply and when the equipment stops counting (soft delete) change its whole
      // history; a rename changes nothing the buckets hold.
      const moved =
        before === null ||
        after === null ||
        before.line_id !== after.line_id ||
        (before.deleted_at ?? 0) !== (after.deleted_at ?? 0);
      return moved
        ? [{ kind: 'history', tenantId: current.tenant_id, equipmentId: current.id, lineId: current.line_id }]
        : [];
    }
    default:
      return [];
  }
}

// Marks closer than this are sent as one: a recompute of a few empty buckets costs less than a message.
const MERGE_GAP_MS = 4 * BUCKET_MS;

/** Per equipment, the marks merged into as few bucket ranges as is cheap, in a stable order. */
export function coalesce(marks: Iterable<DirtyMark>): DirtyMark[] {
  const byEquipment = new Map<string, DirtyMark[]>();
  for (const m of marks) {
    if (m.toMs <= m.fromMs) continue;
    const key = dirtyKey(m);
    const list = byEquipment.get(key);
    if (list) list.push(m);
    else byEquipment.set(key, [m]);
  }
  const out: DirtyMark[] = [];
  for (const key of [...byEquipment.keys()].sort()) {
    const list = byEquipment.get(key)!.sort((a, b) => a.fromMs - b.fromMs);
    let current: DirtyMark | undefined;
    for (const m of list) {
      if (current && m.fromMs <= current.toMs + MERGE_GAP_MS) {
        current = { ...current, toMs: Math.max(current.toMs, m.toMs) };
      } else {
        if (current) out.push(current);
        current = m;
      }
    }
    if (current) out.push(current);
  }
  return out;
}

export const dirtyKey = (m: { tenantId: string; equipmentId: string }): string =>
  `${m.tenantId}:${m.equipmentId}`;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** The value of a dirty-topic message, or null when it is not one (never thrown: it is skipped). */
export function parseDirtyMark(text: string): DirtyMark | null {
  try {
    const v = JSON.parse(text) as Partial<Record<keyof DirtyMark, unknown>>;
    if (typeof v.tenantId !== 'string' || typeof v.equipmentId !== 'string') return null;
    if (!isInt(v.fromMs) || !isInt(v.toMs) || v.toMs <= v.fromMs) return null;
    // A range ClickHouse cannot hold would fail its recompute forever (docs/time-range.md); such
    // marks came only from changes the mirror stage now sets aside.
    if (v.fromMs < REPRESENTABLE.oldest || v.toMs > REPRESENTABLE.newest + 1) return null;
    return { tenantId: v.tenantId, equipmentId: v.equipmentId, fromMs: v.fromMs, toMs: v.toMs };
  } catch {
    return null;
  }
}
