import type { ClickHouse } from '@takt/clickhouse';
import { sql } from '@takt/clickhouse';
import { notFound } from '@takt/http';
import type { ScopeKind } from './params.js';
import { memo, read } from './store.js';

export interface Site {
  readonly id: string;
  readonly code: string;
  readonly timeZone: string;
}
export interface Line {
  readonly id: string;
  readonly code: string;
  readonly siteId: string;
}
export interface Equipment {
  readonly id: string;
  readonly code: string;
  readonly lineId: string;
}

/** A tenant's sites, lines and equipment, soft-deleted ones included: they keep their history. */
export interface Plant {
  readonly sites: ReadonlyMap<string, Site>;
  readonly lines: ReadonlyMap<string, Line>;
  readonly equipment: ReadonlyMap<string, Equipment>;
  readonly codes: Readonly<Record<ScopeKind, ReadonlyMap<string, string>>>;
}

/** What one requested id stands for: its equipment (current assignment) and the zone of its site. */
export interface ScopeTarget {
  readonly scopeId: string;
  readonly timeZone: string;
  readonly equipmentIds: readonly string[];
  /** Lines of those equipment, whose shifts apply to them. */
  readonly lineIds: readonly string[];
}

interface DimRow {
  id: string;
  code: string;
  ref: string;
  deleted_at_ms: string;
}

// A code is unique per tenant; should a deleted and a live row share one, the live row wins.
function byCode(rows: readonly DimRow[]): Map<string, string> {
  const codes = new Map<string, string>();
  for (const row of [...rows].sort(
    (a, b) => Number(b.deleted_at_ms !== '0') - Number(a.deleted_at_ms !== '0'),
  ))
    codes.set(row.code, row.id);
  return codes;
}

export async function loadPlant(clickhouse: ClickHouse, tenantId: string): Promise<Plant> {
  const [sites, lines, equipment] = await Promise.all([
    read<DimRow>(
      clickhouse,
      sql`SELECT id, code, time_zone AS ref, deleted_at_ms FROM dim_site_v1 FINAL
          WHERE tenant_id = ${tenantId} AND is_deleted = 0`,
    ),
    read<DimRow>(
      clickhouse,
      sql`SELECT id, code, site_id AS ref, deleted_at_ms FROM dim_line_v1 FINAL
          WHERE tenant_id = ${tenantId} AND is_deleted = 0`,
    ),
    read<DimRow>(
      clickhouse,
      sql`SELECT id, code, line_id AS ref, deleted_at_ms FROM dim_equipment_v1 FINAL
          WHERE tenant_id = ${tenantId} AND is_deleted = 0`,
    ),
  ]);
  return {
    sites: new Map(sites.map((r) => [r.id, { id: r.id, code: r.code, timeZone: r.ref }])),
    lines: new Map(lines.map((r) => [r.id, { id: r.id, code: r.code, siteId: r.ref }])),
    equipment: new Map(equipment.map((r) => [r.id, { id: r.id, code: r.code, lineId: r.ref }])),
    codes: { site: byCode(sites), line: byCode(lines), equipment: byCode(equipment) },
  };
}

export type PlantSource = (tenantId: string) => Promise<Plant>;

export function cachedPlants(clickhouse: ClickHouse, ttlMs: number): PlantSource {
  const cache = memo<Plant>(ttlMs);
  return (tenantId) => cache(tenantId, () => loadPlant(clickhouse, tenantId));
}

// An equipment whose line or site the mirror does not (yet) hold has no local time but UTC.
const zoneOfLine = (plant: Plant, lineId: string): string =>
  plant.sites.get(plant.lines.get(lineId)?.siteId ?? '')?.timeZone || 'UTC';

function target(scopeId: string, equipment: readonly Equipment[], timeZone: string): ScopeTarget {
  return {
    scopeId,
    timeZone,
    equipmentIds: equipment.map((e) => e.id),
    lineIds: [...new Set(equipment.map((e) => e.lineId))].filter((id) => id !== ''),
  };
}

/** The requested codes as targets, in request order; an unknown code (or another tenant's) is a 404. */
export function resolveScope(
  plant: Plant,
  kind: ScopeKind,
  codes: readonly string[],
  pointer = '/query/ids',
) {
  const unknown = codes.filter((code) => !plant.codes[kind].has(code));
  if (unknown.length > 0) {
    throw notFound(
      `unknown ${kind} ${unknown.map((c) => `"${c}"`).join(', ')}`,
      unknown.map((code) => ({ pointer, detail: `no ${kind} with code "${code}"` })),
    );
  }
  const all = [...plant.equipment.values()];
  return codes.map((code): ScopeTarget => {
    const id = plant.codes[kind].get(code)!;
    switch (kind) {
      case 'equipment': {
        const equipment = plant.equipment.get(id)!;
        return target(code, [equipment], zoneOfLine(plant, equipment.lineId));
      }
      case 'line':
        return target(
          code,
          all.filter((e) => e.lineId === id),
          zoneOfLine(plant, id),
        );
      case 'site': {
        const lines = new Set([...plant.lines.values()].filter((l) => l.siteId === id).map((l) => l.id));
        return target(
          code,
          all.filter((e) => lines.has(e.lineId)),
          plant.sites.get(id)?.timeZone || 'UTC',
        );
      }
      default: {
        const unexpected: never = kind;
        throw new Error(`unexpected scope ${String(unexpected)}`);
      }
    }
  });
}
