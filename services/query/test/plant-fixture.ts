import { randomUUID } from 'node:crypto';
import {
  type ComponentRow,
  computeKpis,
  type Granularity,
  type Interval,
  maintenanceTotals,
  oeeRow,
  offsetAt,
  type RollupRow,
  rollup,
  type Shift,
  secondsOf,
  sumComponents,
} from '@takt/domain';
import type { QueryHarness } from './harness.js';

/**
 * A small plant per tenant: a site in Berlin and one in Kolkata, lines, equipment (one soft-deleted with
 * history), line shifts and an equipment's own shift overlapping them, and stored component rows around both
 * of Berlin's 2026 DST changes. Expected answers are computed here from the per-equipment rows with
 * @takt/domain alone, never through the service's ClickHouse sums.
 */

const MINUTE = 60_000;
const BUCKET = 15 * MINUTE;
const DAY = 86_400_000;

export interface FxSite {
  id: string;
  code: string;
  timeZone: string;
}
export interface FxLine {
  id: string;
  code: string;
  siteId: string;
}
export interface FxEquipment {
  id: string;
  code: string;
  lineId: string;
  deleted: boolean;
}
export interface FxShift extends Shift {
  lineId: string;
  equipmentId: string;
}
export interface FxDowntime {
  equipmentId: string;
  bucketStart: number;
  shiftId: string;
  reasonId: string;
  planned: boolean;
  durationMs: number;
  occurrences: number;
}
export interface FxReason {
  id: string;
  code: string;
  name: string;
  planned: boolean;
}
export interface FxMaintenance {
  equipmentId: string;
  kind: 'corrective' | 'preventive';
  start: number;
  end: number | null;
}

export interface Fixture {
  tenantId: string;
  sites: FxSite[];
  lines: FxLine[];
  equipment: FxEquipment[];
  shifts: FxShift[];
  reasons: FxReason[];
  /** Effective rows (latest version, not deleted) per equipment. */
  components: Map<string, ComponentRow[]>;
  downtime: FxDowntime[];
  maintenance: FxMaintenance[];
}

/** mulberry32: the same plant on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A local wall-clock time (written as UTC) to its instant; fine away from the hour a clock jumps. */
export function localToInstant(timeZone: string, wall: number): number {
  return wall - offsetAt(timeZone, wall - offsetAt(timeZone, wall));
}

const DATA_DAYS = [
  ...[25, 26, 27, 28, 29, 30, 31].map((d) => Date.UTC(2026, 2, d)),
  Date.UTC(2026, 3, 1),
  ...[22, 23, 24, 25, 26, 27, 28].map((d) => Date.UTC(2026, 9, d)),
  Date.UTC(2026, 0, 15),
];

export function buildFixture(seed: number): Fixture {
  const rnd = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const tenantId = randomUUID();
  const site = (code: string, timeZone: string): FxSite => ({ id: randomUUID(), code, timeZone });
  const sites = [site('BER', 'Europe/Berlin'), site('KOL', 'Asia/Kolkata')];
  const line = (code: string, s: FxSite): FxLine => ({ id: randomUUID(), code, siteId: s.id });
  const lines = [line('BER-L1', sites[0]!), line('BER-L2', sites[0]!), line('KOL-L1', sites[1]!)];
  const eq = (code: string, l: FxLine, deleted = false): FxEquipment => ({
    id: randomUUID(),
    code,
    lineId: l.id,
    deleted,
  });
  const equipment = [
    eq('M1', lines[0]!),
    eq('M2', lines[0]!),
    eq('M3', lines[1]!),
    eq('M4', lines[1]!, true),
    eq('K1', lines[2]!),
    eq('K2', lines[2]!),
  ];
  const zoneOf = (lineId: string) =>
    sites.find((s) => s.id === lines.find((l) => l.id === lineId)!.siteId)!.timeZone;

  const shifts: FxShift[] = [];
  const addShift = (
    name: string,
    owner: FxLine | FxEquipment,
    zone: string,
    day: number,
    from: number,
    to: number,
  ) => {
    const isLine = !('lineId' in owner);
    shifts.push({
      id: randomUUID(),
      name,
      owner: isLine ? 'line' : 'equipment',
      start: localToInstant(zone, day + from * 3_600_000),
      end: localToInstant(zone, day + to * 3_600_000),
      lineId: isLine ? owner.id : '',
      equipmentId: isLine ? '' : owner.id,
    });
  };
  for (const day of DATA_DAYS) {
    for (const l of lines) {
      const zone = zoneOf(l.id);
      addShift('early', l, zone, day, 6, 14);
      addShift('late', l, zone, day, 14, 22);
    }
    // M1's own shift overlaps both line shifts: the overlap is M1's (docs/oee.md §3).
    addShift('overtime', equipment[0]!, 'Europe/Berlin', day, 12, 16);
    // K1 runs a night shift of its own across local midnight.
    addShift('night', equipment[4]!, 'Asia/Kolkata', day, 22, 26);
  }

  const reasons: FxReason[] = [
    { id: randomUUID(), code: 'JAM', name: 'Material jam', planned: false },
    { id: randomUUID(), code: 'TOOL', name: 'Tool change', planned: false },
    { id: randomUUID(), code: 'CHANGEOVER', name: 'Changeover', planned: true },
  ];

  const components = new Map<string, ComponentRow[]>();
  const downtime: FxDowntime[] = [];
  for (const e of equipment) {
    const applying = shifts
      .filter((s) => s.equipmentId === e.id || (s.equipmentId === '' && s.lineId === e.lineId))
      .sort((a, b) => (a.owner === b.owner ? a.start - b.start : a.owner === 'equipment' ? -1 : 1));
    const owner = new Map<number, FxShift>();
    for (const s of applying)
      for (let b = s.start; b < s.end; b += BUCKET) if (!owner.has(b)) owner.set(b, s);
    const rows: ComponentRow[] = [];
    for (const [bucketStart, s] of [...owner.entries()].sort((a, b) => a[0] - b[0])) {
      const pot = rnd() < 0.05 ? 600_000 : BUCKET;
      const pdot = pick([0, 0, 0, 120_000, 300_000]);
      const apt = Math.floor((rnd() * (pot - pdot + 1)) / 1000) * 1000;
      const pq = Math.floor(rnd() * 25);
      const sq = Math.floor(rnd() * Math.min(3, pq + 1));
      const rq = Math.floor(rnd() * Math.min(2, pq - sq + 1));
      const gq = pq - sq - rq;
      const ideal = pq * (e.code.startsWith('K') ? 45_500 : 30_000);
      rows.push({ bucketStart, shiftId: s.id, pot, pdot, apt, pq, gq, sq, rq, ideal });
      if (rnd() < 0.3) {
        const reason = pick([...reasons, undefined]);
        downtime.push({
          equipmentId: e.id,
          bucketStart,
          shiftId: s.id,
          reasonId: reason?.id ?? '',
          planned: reason?.planned ?? false,
          durationMs: Math.floor(rnd() * 900) * 1000,
          occurrences: rnd() < 0.7 ? 1 : 0,
        });
      }
    }
    components.set(e.id, rows);
  }

  const maintenance: FxMaintenance[] = [];
  for (const e of equipment) {
    for (const day of DATA_DAYS.slice(0, 8)) {
      if (rnd() < 0.5) {
        const start = day + Math.floor(rnd() * 20) * 3_600_000;
        maintenance.push({
          equipmentId: e.id,
          kind: 'corrective',
          start,
          end: start + Math.floor(rnd() * 90) * MINUTE,
        });
      }
      if (rnd() < 0.3) {
        const start = day + 3_600_000;
        maintenance.push({ equipmentId: e.id, kind: 'preventive', start, end: start + 45 * MINUTE });
      }
    }
  }
  maintenance.push({
    equipmentId: equipment[0]!.id,
    kind: 'corrective',
    start: Date.UTC(2026, 2, 31, 20),
    end: null,
  });

  return { tenantId, sites, lines, equipment, shifts, reasons, components, downtime, maintenance };
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** Writes the fixture as the projector would, with superseded and deleted versions the reads must ignore. */
export async function storeFixture(h: QueryHarness, fx: Fixture, seed: number): Promise<void> {
  const rnd = random(seed + 1);
  const t = fx.tenantId;
  const dim = (lsn: number) => ({ tenant_id: t, lsn, is_deleted: 0 });
  await h.insert('dim_site_v1', [
    ...fx.sites.map((s) => ({
      ...dim(2),
      id: s.id,
      code: s.code,
      name: s.code,
      time_zone: s.timeZone,
      deleted_at_ms: 0,
    })),
    // An older version in another zone: FINAL must pick the newer one.
    ...fx.sites.map((s) => ({
      ...dim(1),
      id: s.id,
      code: s.code,
      name: s.code,
      time_zone: 'America/New_York',
      deleted_at_ms: 0,
    })),
  ]);
  await h.insert(
    'dim_line_v1',
    fx.lines.map((l) => ({
      ...dim(2),
      id: l.id,
      code: l.code,
      name: l.code,
      site_id: l.siteId,
      deleted_at_ms: 0,
    })),
  );
  await h.insert('dim_equipment_v1', [
    ...fx.equipment.map((e) => ({
      ...dim(3),
      id: e.id,
      code: e.code,
      name: e.code,
      line_id: e.lineId,
      deleted_at_ms: e.deleted ? Date.UTC(2026, 3, 2) : 0,
    })),
    // M2 used to sit on BER-L2: roll-ups follow the current assignment.
    {
      ...dim(2),
      id: fx.equipment[1]!.id,
      code: 'M2',
      name: 'M2',
      line_id: fx.lines[1]!.id,
      deleted_at_ms: 0,
    },
    // A hard-deleted equipment is gone, code and all.
    {
      ...dim(5),
      id: randomUUID(),
      code: 'GONE',
      name: 'gone',
      line_id: fx.lines[0]!.id,
      deleted_at_ms: 0,
      is_deleted: 1,
    },
  ]);
  await h.insert(
    'dim_downtime_reason_v1',
    fx.reasons.map((r) => ({
      ...dim(1),
      id: r.id,
      code: r.code,
      name: r.name,
      planned: r.planned ? 1 : 0,
      deleted_at_ms: 0,
    })),
  );
  await h.insert('fact_shift_v1', [
    ...fx.shifts.map((s) => ({
      ...dim(4),
      id: s.id,
      line_id: s.lineId,
      equipment_id: s.equipmentId,
      name: s.name,
      start_ms: s.start,
      end_ms: s.end,
    })),
    // A deleted shift must not appear as a shift row.
    {
      ...dim(9),
      id: randomUUID(),
      line_id: fx.lines[0]!.id,
      equipment_id: '',
      name: 'deleted',
      start_ms: Date.UTC(2026, 2, 29, 0),
      end_ms: Date.UTC(2026, 2, 29, 4),
      is_deleted: 1,
    },
  ]);
  const componentRows: object[] = [];
  for (const [equipmentId, rows] of fx.components) {
    for (const r of rows) {
      const stored = {
        tenant_id: t,
        equipment_id: equipmentId,
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
        version: 10,
        is_deleted: 0,
      };
      componentRows.push(stored);
      if (rnd() < 0.05) componentRows.push({ ...stored, version: 3, pot_ms: 1, apt_ms: 7, pq: 999 });
    }
    // Rows a recompute withdrew: stored again with is_deleted = 1 and a higher version.
    const bogus = rows.slice(0, 3).map((r) => ({
      tenant_id: t,
      equipment_id: equipmentId,
      bucket_start: seconds(r.bucketStart),
      shift_id: randomUUID(),
      pot_ms: 900_000,
      pdot_ms: 0,
      apt_ms: 900_000,
      pq: 1_000,
      gq: 1_000,
      sq: 0,
      rq: 0,
      ideal_ms: 1e6,
    }));
    componentRows.push(...bogus.map((b) => ({ ...b, version: 4, is_deleted: 0 })));
    componentRows.push(...bogus.map((b) => ({ ...b, version: 5, is_deleted: 1 })));
  }
  await h.insert('oee_bucket_v1', componentRows);
  const downtimeRows = fx.downtime.map((d) => ({
    tenant_id: t,
    equipment_id: d.equipmentId,
    bucket_start: seconds(d.bucketStart),
    shift_id: d.shiftId,
    reason_id: d.reasonId,
    planned: d.planned ? 1 : 0,
    duration_ms: d.durationMs,
    occurrences: d.occurrences,
    version: 10,
    is_deleted: 0,
  }));
  await h.insert('downtime_bucket_v1', [
    ...downtimeRows,
    ...downtimeRows.slice(0, 20).map((d) => ({ ...d, version: 2, duration_ms: 1_000_000_000 })),
    ...downtimeRows.slice(0, 5).map((d) => ({ ...d, reason_id: 'withdrawn', version: 11, is_deleted: 1 })),
  ]);
  await h.insert('fact_maintenance_v1', [
    ...fx.maintenance.map((m) => ({
      ...dim(2),
      id: randomUUID(),
      equipment_id: m.equipmentId,
      kind: m.kind,
      start_ms: m.start,
      end_ms: m.end ?? 0,
    })),
    {
      ...dim(3),
      id: randomUUID(),
      equipment_id: fx.equipment[0]!.id,
      kind: 'corrective',
      start_ms: Date.UTC(2026, 2, 28),
      end_ms: Date.UTC(2026, 2, 29),
      is_deleted: 1,
    },
  ]);
}

/** The requested codes' equipment and zone, computed from the fixture rather than the service's model. */
export function targetsOf(fx: Fixture, scope: 'equipment' | 'line' | 'site', codes: readonly string[]) {
  return codes.map((code) => {
    let members: FxEquipment[];
    let zone: string;
    if (scope === 'equipment') {
      const e = fx.equipment.find((x) => x.code === code)!;
      members = [e];
      zone = fx.sites.find((s) => s.id === fx.lines.find((l) => l.id === e.lineId)!.siteId)!.timeZone;
    } else if (scope === 'line') {
      const l = fx.lines.find((x) => x.code === code)!;
      members = fx.equipment.filter((e) => e.lineId === l.id);
      zone = fx.sites.find((s) => s.id === l.siteId)!.timeZone;
    } else {
      const s = fx.sites.find((x) => x.code === code)!;
      const lineIds = new Set(fx.lines.filter((l) => l.siteId === s.id).map((l) => l.id));
      members = fx.equipment.filter((e) => lineIds.has(e.lineId));
      zone = s.timeZone;
    }
    return { code, members, zone };
  });
}

const isoOf = (ms: number) => new Date(ms).toISOString();

function out(scopeId: string, row: RollupRow) {
  return {
    scopeId,
    bucketStart: isoOf(row.bucketStart),
    bucketEnd: isoOf(row.bucketEnd),
    ...(row.shift
      ? {
          shift: {
            id: row.shift.id,
            name: row.shift.name,
            start: isoOf(row.shift.start),
            end: isoOf(row.shift.end),
          },
        }
      : {}),
    ...oeeRow(row),
  };
}

export function expectedOee(
  fx: Fixture,
  scope: 'equipment' | 'line' | 'site',
  codes: readonly string[],
  window: Interval,
  granularity: Granularity,
) {
  return targetsOf(fx, scope, codes).flatMap(({ code, members, zone }) => {
    const rows = members.flatMap((e) => fx.components.get(e.id) ?? []);
    if (granularity === 'total') {
      const inside = rows.filter((r) => r.bucketStart >= window.start && r.bucketStart < window.end);
      return [out(code, { bucketStart: window.start, bucketEnd: window.end, ...sumComponents(inside) })];
    }
    if (granularity === 'shift') {
      const ids = new Set(members.map((e) => e.id));
      const lineIds = new Set(members.map((e) => e.lineId));
      const shifts = fx.shifts.filter((s) =>
        s.equipmentId === '' ? lineIds.has(s.lineId) : ids.has(s.equipmentId),
      );
      return rollup(rows, { window, granularity, shifts }).map((r) => out(code, r));
    }
    return rollup(rows, { window, granularity, timeZone: zone }).map((r) => out(code, r));
  });
}

export const DAY_MS = DAY;

/** ISO 22400 KPIs per requested code from the fixture: summed components and maintenance started in the window. */
export function expectedKpis(
  fx: Fixture,
  scope: 'equipment' | 'line' | 'site',
  codes: readonly string[],
  window: Interval,
  now: number,
) {
  return targetsOf(fx, scope, codes).map(({ code, members }) => {
    const ids = new Set(members.map((e) => e.id));
    const c = sumComponents(
      members
        .flatMap((e) => fx.components.get(e.id) ?? [])
        .filter((r) => r.bucketStart >= window.start && r.bucketStart < window.end),
    );
    const totals = maintenanceTotals(
      fx.maintenance.filter((m) => ids.has(m.equipmentId)),
      window,
      now,
    );
    return {
      scopeId: code,
      from: isoOf(window.start),
      to: isoOf(window.end),
      ...computeKpis(c, totals),
      plannedOperationS: secondsOf(c.pot),
      productionS: secondsOf(c.apt),
      produced: c.pq,
      failures: totals.failures,
      correctiveMaintenanceS: secondsOf(totals.correctiveMs),
      preventiveMaintenanceS: secondsOf(totals.preventiveMs),
    };
  });
}
