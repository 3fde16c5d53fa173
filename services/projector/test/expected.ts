import { computeComponentsForWindow, type EquipmentState, type Interval, type Shift } from '@takt/domain';
import type { IngestHarness } from '../../ingest/test/harness.js';
import type { StoredBucket } from './harness.js';

const ms = (v: Date | null): number | null => (v === null ? null : v.getTime());

/** What @takt/domain computes over the facts as Postgres holds them: the reference the buckets must equal. */
export async function expectedBuckets(
  h: IngestHarness,
  tenantId: string,
  window: Interval,
  now: number,
): Promise<StoredBucket[]> {
  const equipment = await h.sql<{ id: string; line_id: string }>(
    'SELECT id, line_id FROM dim_equipment WHERE tenant_id = $1 ORDER BY id',
    [tenantId],
  );
  const shifts = await h.sql<{
    id: string;
    name: string;
    line_id: string | null;
    equipment_id: string | null;
    start_at: Date;
    end_at: Date;
  }>('SELECT id, name, line_id, equipment_id, start_at, end_at FROM fact_shift WHERE tenant_id = $1', [
    tenantId,
  ]);
  const states = await h.sql<{
    equipment_id: string;
    state: EquipmentState;
    start_at: Date;
    end_at: Date | null;
  }>('SELECT equipment_id, state, start_at, end_at FROM fact_equipment_state WHERE tenant_id = $1', [
    tenantId,
  ]);
  const production = await h.sql<{
    equipment_id: string;
    start_at: Date;
    end_at: Date;
    total: number;
    good: number;
    scrap: number;
    rework: number;
    ideal_cycle_time_s: string;
  }>(
    'SELECT equipment_id, start_at, end_at, total, good, scrap, rework, ideal_cycle_time_s FROM fact_production WHERE tenant_id = $1',
    [tenantId],
  );
  const out: StoredBucket[] = [];
  for (const e of equipment) {
    const own: Shift[] = shifts
      .filter((s) => s.equipment_id === e.id || (s.equipment_id === null && s.line_id === e.line_id))
      .map((s) => ({
        id: s.id,
        name: s.name,
        owner: s.equipment_id === null ? 'line' : 'equipment',
        start: s.start_at.getTime(),
        end: s.end_at.getTime(),
      }));
    const rows = computeComponentsForWindow({
      shifts: own,
      states: states
        .filter((s) => s.equipment_id === e.id)
        .map((s) => ({ state: s.state, start: s.start_at.getTime(), end: ms(s.end_at) })),
      production: production
        .filter((p) => p.equipment_id === e.id)
        .map((p) => ({
          start: p.start_at.getTime(),
          end: p.end_at.getTime(),
          total: p.total,
          good: p.good,
          scrap: p.scrap,
          rework: p.rework,
          idealCycleTimeMs: Number(p.ideal_cycle_time_s) * 1000,
        })),
      now,
      window,
    });
    for (const r of rows) {
      out.push({
        equipment_id: e.id,
        b: r.bucketStart,
        shift_id: r.shiftId,
        pot_ms: r.pot,
        pdot_ms: r.pdot,
        apt_ms: r.apt,
        pq: r.pq,
        gq: r.gq,
        sq: r.sq,
        rq: r.rq,
        ideal_ms: r.ideal,
      });
    }
  }
  return out.sort((a, b) => cmp(a.equipment_id, b.equipment_id) || a.b - b.b || cmp(a.shift_id, b.shift_id));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export type Sums = Omit<StoredBucket, 'equipment_id' | 'b' | 'shift_id'>;

/** Component sums per equipment over a window: what a roll-up of the window reads. */
export function sumsIn(rows: readonly StoredBucket[], window: Interval): Record<string, Sums> {
  const out: Record<string, Sums> = {};
  for (const r of rows) {
    if (r.b < window.start || r.b >= window.end) continue;
    const s = out[r.equipment_id] ?? {
      pot_ms: 0,
      pdot_ms: 0,
      apt_ms: 0,
      pq: 0,
      gq: 0,
      sq: 0,
      rq: 0,
      ideal_ms: 0,
    };
    out[r.equipment_id] = s;
    s.pot_ms += r.pot_ms;
    s.pdot_ms += r.pdot_ms;
    s.apt_ms += r.apt_ms;
    s.pq += r.pq;
    s.gq += r.gq;
    s.sq += r.sq;
    s.rq += r.rq;
    s.ideal_ms += r.ideal_ms;
  }
  return out;
}
