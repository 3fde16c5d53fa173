import type { ChangeEvent, TableName } from '@takt/cdc';
import { TIMESTAMP_COLUMNS } from '@takt/cdc';
import { canonicalJson, chainHash, type Json } from './canonical.js';

export type EntityType =
  | 'site'
  | 'line'
  | 'equipment'
  | 'product'
  | 'downtime_reason'
  | 'shift'
  | 'state'
  | 'production'
  | 'maintenance'
  | 'ingest_batch';

/**
 * The audited tables and their entity types. Sensor readings are audited through their
 * ingest_batch row (payload sha256 and count), the heartbeat is plumbing, and tenant and api_key
 * rows are the auth system's own data (api_key holds only hashes, but it is not an entity of the
 * audit contract), so those topics append nothing.
 */
export const ENTITY_TYPES: Partial<Record<TableName, EntityType>> = {
  dim_site: 'site',
  dim_line: 'line',
  dim_equipment: 'equipment',
  dim_product: 'product',
  dim_downtime_reason: 'downtime_reason',
  fact_shift: 'shift',
  fact_equipment_state: 'state',
  fact_production: 'production',
  fact_maintenance: 'maintenance',
  ingest_batch: 'ingest_batch',
};

export const MASTER_DATA = new Set<EntityType>(['site', 'line', 'equipment', 'product', 'downtime_reason']);

/** What one change contributes to a chain, before it has a position. */
export interface PendingEvent {
  tenantId: string;
  entityType: EntityType;
  entityId: string;
  op: ChangeEvent['op'];
  before: { [k: string]: Json } | null;
  after: { [k: string]: Json } | null;
  lsn: string;
  txId: number;
  committedAt: string;
  changedBy: string | null;
  requestId: string | null;
}

/** A chained event: what the API serves and what the hash covers (all fields but `hash`). */
export interface AuditEvent extends PendingEvent {
  position: number;
  version: number;
  prevHash: string;
  hash: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Row timestamps become RFC 3339 strings: the audit log speaks the API's time format. */
function present(table: TableName, row: Record<string, unknown> | null): { [k: string]: Json } | null {
  if (row === null) return null;
  const out: { [k: string]: Json } = {};
  const times = TIMESTAMP_COLUMNS[table];
  for (const [k, v] of Object.entries(row)) {
    out[k] = times.includes(k) && typeof v === 'number' ? iso(v) : (v as Json);
  }
  return out;
}

/** The audit view of a change, or null for a table that is not audited. */
export function pendingOf(event: ChangeEvent): PendingEvent | null {
  const entityType = ENTITY_TYPES[event.table];
  if (!entityType) return null;
  const row = (event.after ?? event.before) as Record<string, unknown> | null;
  if (!row) return null;
  const entityId = String(MASTER_DATA.has(entityType) ? row.code : row.id);
  return {
    tenantId: String(row.tenant_id),
    entityType,
    entityId,
    op: event.op,
    before: present(event.table, event.before as Record<string, unknown> | null),
    after: present(event.table, event.after as Record<string, unknown> | null),
    lsn: event.lsn.toString(),
    txId: event.txId,
    committedAt: iso(event.committedAtMs),
    changedBy: typeof row.changed_by === 'string' ? row.changed_by : null,
    requestId: typeof row.request_id === 'string' ? row.request_id : null,
  };
}

/** The hashed form of an event: every field of AuditEvent except `hash`, in canonical JSON. */
export function canonicalEvent(e: Omit<AuditEvent, 'hash'>): string {
  return canonicalJson({
    tenantId: e.tenantId,
    position: e.position,
    entityType: e.entityType,
    entityId: e.entityId,
    version: e.version,
    op: e.op,
    before: e.before,
    after: e.after,
    lsn: e.lsn,
    txId: e.txId,
    committedAt: e.committedAt,
    changedBy: e.changedBy,
    requestId: e.requestId,
    prevHash: e.prevHash,
  });
}

export const hashEvent = (e: Omit<AuditEvent, 'hash'>): string => chainHash(e.prevHash, canonicalEvent(e));

/** Why a link of the chain does not hold: a missing or extra position, a broken link, a wrong hash. */
export type LinkFailure = 'position' | 'link' | 'hash';

export type VerifyResult =
  | { ok: true; checked: number; lastHash: string }
  | { ok: false; checked: number; firstBadPosition: number; reason: LinkFailure };

/**
 * Walks a contiguous run of one tenant's chain. `prevHash` is the hash before `events[0]`
 * (GENESIS_HASH at position 1). Stops at the first event whose position, link or hash is wrong.
 */
export class ChainVerifier {
  private checked = 0;
  private bad: { position: number; reason: LinkFailure } | null = null;
  constructor(
    private prevHash: string,
    private nextPosition: number,
  ) {}

  push(e: AuditEvent): boolean {
    if (this.bad !== null) return false;
    const reason: LinkFailure | null =
      e.position !== this.nextPosition
        ? 'position'
        : e.prevHash !== this.prevHash
          ? 'link'
          : hashEvent(e) !== e.hash
            ? 'hash'
            : null;
    if (reason) {
      // A gap reports the missing position; a broken link or hash reports the event itself.
      this.bad = { position: this.nextPosition, reason };
      return false;
    }
    this.checked += 1;
    this.prevHash = e.hash;
    this.nextPosition += 1;
    return true;
  }

  /** Marks the chain bad at `position`, e.g. for rows missing after the last one pushed. */
  fail(position: number, reason: LinkFailure = 'position'): void {
    if (this.bad === null || position < this.bad.position) this.bad = { position, reason };
  }

  get expectedPosition(): number {
    return this.nextPosition;
  }

  result(): VerifyResult {
    return this.bad === null
      ? { ok: true, checked: this.checked, lastHash: this.prevHash }
      : { ok: false, checked: this.checked, firstBadPosition: this.bad.position, reason: this.bad.reason };
  }
}
