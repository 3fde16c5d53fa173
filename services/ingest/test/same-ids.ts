import { randomUUID } from 'node:crypto';
import type { IngestHarness, TestTenant } from './harness.js';

// The facts whose ids clients choose, for the tests that prove those ids are per tenant
// (docs/identity.md).

/** One kind of fact: how to write a record of it, and which field tells tenants' versions apart. */
export interface FactKind {
  /** The audit entity type, also the name of the kind. */
  name: 'state' | 'production' | 'shift' | 'maintenance';
  url: string;
  /** The PostgreSQL table; its ClickHouse mirror is `${table}_v1`. */
  table: string;
  /** A valid record with id `id`; `hour` moves it in time, so two versions differ. */
  record(id: string, hour: number): Record<string, unknown>;
  /** The same record under another owner: a change the tenant's own rules refuse. */
  moved(record: Record<string, unknown>): Record<string, unknown>;
  /** The GET that reads one record back, if the API has one. */
  read?: (id: string) => string;
}

export const at = (hour: number) => `2026-11-30T${String(hour).padStart(2, '0')}:00:00Z`;

export const FACT_KINDS: readonly FactKind[] = [
  {
    name: 'state',
    url: '/v1/state-events',
    table: 'fact_equipment_state',
    record: (id, hour) => ({
      id,
      equipmentCode: 'press-01',
      state: 'stopped',
      reasonCode: 'jam',
      start: at(hour),
      end: at(hour + 1),
    }),
    moved: (r) => ({ ...r, equipmentCode: 'press-02' }),
  },
  {
    name: 'production',
    url: '/v1/production-counts',
    table: 'fact_production',
    record: (id, hour) => ({
      id,
      equipmentCode: 'press-01',
      productCode: 'bracket',
      start: at(hour),
      end: at(hour + 1),
      total: hour,
      good: hour,
      operator: `operator ${hour}`,
    }),
    moved: (r) => ({ ...r, equipmentCode: 'press-02' }),
    read: (id) => `/v1/production-counts/${id}`,
  },
  {
    name: 'shift',
    url: '/v1/shifts',
    table: 'fact_shift',
    record: (id, hour) => ({ id, lineCode: 'L1', name: `shift ${hour}`, start: at(hour), end: at(hour + 1) }),
    moved: ({ lineCode: _line, ...r }) => ({ ...r, equipmentCode: 'press-01' }),
  },
  {
    name: 'maintenance',
    url: '/v1/maintenance-events',
    table: 'fact_maintenance',
    record: (id, hour) => ({
      id,
      equipmentCode: 'press-01',
      kind: 'corrective',
      start: at(hour),
      end: at(hour + 1),
      technician: `technician ${hour}`,
    }),
    moved: (r) => ({ ...r, equipmentCode: 'press-02' }),
    read: (id) => `/v1/maintenance-events/${id}`,
  },
];

/** What `postSameIds` wrote: per kind the shared record id and batch id. */
export type SameIds = Record<FactKind['name'], { id: string; batchId: string }>;

/** The hour of each tenant's version of a record: the versions differ in time and counts. */
export const HOUR = { a: 8, b: 10 } as const;

/**
 * Posts one record of every kind for tenant `a` and then for tenant `b`, with the same record id
 * and batch id in both tenants; both tenants need `seedPlant`. Throws unless every post is a 201.
 */
export async function postSameIds(
  h: IngestHarness,
  a: TestTenant,
  b: TestTenant,
  headers: Record<string, string> = {},
): Promise<SameIds> {
  const ids = {} as SameIds;
  for (const kind of FACT_KINDS) ids[kind.name] = { id: randomUUID(), batchId: randomUUID() };
  for (const [tenant, hour] of [
    [a, HOUR.a],
    [b, HOUR.b],
  ] as const) {
    for (const kind of FACT_KINDS) {
      const { id, batchId } = ids[kind.name];
      const res = await h.app.inject({
        method: 'POST',
        url: kind.url,
        headers: { ...tenant.auth('ingest'), ...headers },
        payload: { batchId, records: [kind.record(id, hour)] },
      });
      if (res.statusCode !== 201) throw new Error(`${kind.url}: ${res.statusCode} ${res.body}`);
    }
  }
  return ids;
}
