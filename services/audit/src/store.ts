import type pg from 'pg';
import { GENESIS_HASH, type Json } from './canonical.js';
import type { SignedCheckpoint, Signer } from './checkpoint.js';
import { type AuditEvent, hashEvent, type PendingEvent } from './event.js';

export interface ChunkItem {
  offset: string;
  /** null for a message that appends nothing (tombstone, heartbeat, unaudited table, dead letter). */
  event: PendingEvent | null;
}

export interface Chunk {
  groupId: string;
  topic: string;
  partition: number;
  items: ChunkItem[];
}

export interface CheckpointPolicy {
  everyEvents: number;
  everyMs: number;
}

export interface AppendResult {
  appended: number;
  /** Messages below the stored offset: already applied by an earlier run or another instance. */
  skipped: number;
  nextOffset: bigint;
  last: { tenantId: string; position: number }[];
  checkpoints: number;
}

interface EventRow {
  tenant_id: string;
  position: string;
  entity_type: string;
  entity_id: string;
  version: string;
  op: string;
  before: Json;
  after: Json;
  lsn: string;
  tx_id: string;
  committed_at: Date;
  changed_by: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

const EVENT_COLUMNS = `tenant_id, position, entity_type, entity_id, version, op, before, after, lsn::text AS lsn,
  tx_id, committed_at, changed_by, request_id, prev_hash, hash`;

export const toAuditEvent = (r: EventRow): AuditEvent => ({
  tenantId: r.tenant_id,
  position: Number(r.position),
  entityType: r.entity_type as AuditEvent['entityType'],
  entityId: r.entity_id,
  version: Number(r.version),
  op: r.op as AuditEvent['op'],
  before: r.before as AuditEvent['before'],
  after: r.after as AuditEvent['after'],
  lsn: r.lsn,
  txId: Number(r.tx_id),
  committedAt: r.committed_at.toISOString(),
  changedBy: r.changed_by,
  requestId: r.request_id,
  prevHash: r.prev_hash,
  hash: r.hash,
});

interface CheckpointRow {
  tenant_id: string;
  position: string;
  hash: string;
  signature: string;
  public_key: string;
  signed_at: Date;
  prev_position?: string | null;
}

const toCheckpoint = (r: CheckpointRow): SignedCheckpoint => ({
  tenantId: r.tenant_id,
  position: Number(r.position),
  hash: r.hash,
  signature: r.signature,
  publicKey: r.public_key,
  signedAt: r.signed_at.toISOString(),
  // Absent (not only NULL) on a database the link's migration has not reached yet.
  ...(r.prev_position === null || r.prev_position === undefined
    ? {}
    : { prevPosition: Number(r.prev_position) }),
});

export interface AppendHooks {
  /** Runs after the rows are written and before COMMIT; tests use it to kill the process there. */
  beforeCommit?: () => void | Promise<void>;
  /** Runs once COMMIT has been answered, before anything else of the consumer's; likewise for tests. */
  afterCommit?: () => void | Promise<void>;
  now?: () => number;
}

/** Everything the audit service reads from and writes to its own database. */
export class AuditStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly signer: Signer,
    private readonly policy: CheckpointPolicy,
    private readonly hooks: AppendHooks = {},
  ) {}

  private now(): number {
    return this.hooks.now?.() ?? Date.now();
  }

  async storedOffsets(groupId: string): Promise<Map<string, bigint>> {
    const { rows } = await this.pool.query<{ topic: string; partition: number; next_offset: string }>(
      'SELECT topic, partition, next_offset FROM audit_consumer_offset WHERE group_id = $1',
      [groupId],
    );
    return new Map(rows.map((r) => [`${r.topic}:${r.partition}`, BigInt(r.next_offset)]));
  }

  /**
   * Appends a chunk of one partition's messages and stores the partition's next offset, in one
   * transaction. The offset row is locked first and re-read, so a message below it (a redelivery
   * after a crash, or a zombie instance after a rebalance) is dropped here, under the lock: that,
   * not the Kafka commit, is what makes it exactly one row per change.
   */
  async append(chunk: Chunk): Promise<AppendResult> {
    const last = chunk.items.at(-1);
    if (!last) return { appended: 0, skipped: 0, nextOffset: 0n, last: [], checkpoints: 0 };
    const endOffset = BigInt(last.offset) + 1n;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO audit_consumer_offset (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
         ON CONFLICT DO NOTHING`,
        [chunk.groupId, chunk.topic, chunk.partition],
      );
      const stored = await client.query<{ next_offset: string }>(
        `SELECT next_offset FROM audit_consumer_offset WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
        [chunk.groupId, chunk.topic, chunk.partition],
      );
      const from = BigInt(stored.rows[0]?.next_offset ?? '0');
      const fresh = chunk.items.filter((i) => BigInt(i.offset) >= from);
      const skipped = chunk.items.length - fresh.length;
      if (fresh.length === 0) {
        await client.query('ROLLBACK');
        return { appended: 0, skipped, nextOffset: from, last: [], checkpoints: 0 };
      }

      const byTenant = new Map<string, (PendingEvent & { offset: string })[]>();
      for (const i of fresh) {
        if (!i.event) continue;
        const list = byTenant.get(i.event.tenantId) ?? [];
        list.push({ ...i.event, offset: i.offset });
        byTenant.set(i.event.tenantId, list);
      }
      let appended = 0;
      let checkpoints = 0;
      const heads: { tenantId: string; position: number }[] = [];
      // Tenants in a fixed order, so two instances locking overlapping sets cannot deadlock.
      for (const tenantId of [...byTenant.keys()].sort()) {
        const pending = byTenant.get(tenantId)!;
        const r = await this.appendTenant(client, tenantId, pending, chunk);
        appended += pending.length;
        checkpoints += r.checkpointed ? 1 : 0;
        heads.push({ tenantId, position: r.position });
      }
      await client.query(
        `UPDATE audit_consumer_offset SET next_offset = $4, updated_at = now()
          WHERE group_id = $1 AND topic = $2 AND partition = $3`,
        [chunk.groupId, chunk.topic, chunk.partition, endOffset.toString()],
      );
      await this.hooks.beforeCommit?.();
      await client.query('COMMIT');
      await this.hooks.afterCommit?.();
      return { appended, skipped, nextOffset: endOffset, last: heads, checkpoints };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async appendTenant(
    client: pg.PoolClient,
    tenantId: string,
    pending: (PendingEvent & { offset: string })[],
    source: { topic: string; partition: number },
  ): Promise<{ position: number; checkpointed: boolean }> {
    await client.query(
      `INSERT INTO audit_chain_head (tenant_id, position, hash) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING`,
      [tenantId, GENESIS_HASH],
    );
    const head = await client.query<{
      position: string;
      hash: string;
      checkpoint_position: string;
      checkpoint_at: Date;
    }>(
      'SELECT position, hash, checkpoint_position, checkpoint_at FROM audit_chain_head WHERE tenant_id = $1 FOR UPDATE',
      [tenantId],
    );
    const h = head.rows[0]!;
    const streams = new Map<string, { type: string; id: string }>();
    for (const e of pending)
      streams.set(`${e.entityType}\u0000${e.entityId}`, { type: e.entityType, id: e.entityId });
    const versions = new Map<string, number>();
    const known = await client.query<{ entity_type: string; entity_id: string; version: string }>(
      `SELECT s.entity_type, s.entity_id, coalesce(
          (SELECT max(version) FROM audit_event a
            WHERE a.tenant_id = $1 AND a.entity_type = s.entity_type AND a.entity_id = s.entity_id), 0) AS version
         FROM unnest($2::text[], $3::text[]) AS s(entity_type, entity_id)`,
      [tenantId, [...streams.values()].map((s) => s.type), [...streams.values()].map((s) => s.id)],
    );
    for (const r of known.rows) versions.set(`${r.entity_type}\u0000${r.entity_id}`, Number(r.version));

    let position = Number(h.position);
    let prevHash = h.hash;
    const events: AuditEvent[] = [];
    for (const { offset: _offset, ...p } of pending) {
      const k = `${p.entityType}\u0000${p.entityId}`;
      const version = (versions.get(k) ?? 0) + 1;
      versions.set(k, version);
      position += 1;
      const unhashed = { ...p, position, version, prevHash };
      const hash = hashEvent(unhashed);
      events.push({ ...unhashed, hash });
      prevHash = hash;
    }
    const col = <T>(f: (e: AuditEvent) => T) => events.map(f);
    const json = (v: Json | null) => (v === null ? null : JSON.stringify(v));
    await client.query(
      `INSERT INTO audit_event (tenant_id, position, entity_type, entity_id, version, op, before, after, lsn, tx_id,
          committed_at, changed_by, request_id, prev_hash, hash, source_topic, source_partition, source_offset)
       SELECT $1, u.position, u.entity_type, u.entity_id, u.version, u.op, u.before::jsonb, u.after::jsonb,
              u.lsn::numeric, u.tx_id, u.committed_at::timestamptz, u.changed_by::uuid, u.request_id, u.prev_hash,
              u.hash, $16, $17, u.source_offset
         FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[],
                     $9::text[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
                     $18::bigint[])
           AS u(position, entity_type, entity_id, version, op, before, after, lsn, tx_id, committed_at, changed_by,
                request_id, prev_hash, hash, source_offset)`,
      [
        tenantId,
        col((e) => e.position),
        col((e) => e.entityType),
        col((e) => e.entityId),
        col((e) => e.version),
        col((e) => e.op),
        col((e) => json(e.before)),
        col((e) => json(e.after)),
        col((e) => e.lsn),
        col((e) => e.txId),
        col((e) => e.committedAt),
        col((e) => e.changedBy),
        col((e) => e.requestId),
        col((e) => e.prevHash),
        col((e) => e.hash),
        source.topic,
        source.partition,
        pending.map((p) => p.offset),
      ],
    );
    const now = this.now();
    const sinceCheckpoint = position - Number(h.checkpoint_position);
    const due =
      sinceCheckpoint >= this.policy.everyEvents ||
      (sinceCheckpoint > 0 && now - h.checkpoint_at.getTime() >= this.policy.everyMs);
    if (due)
      await this.writeCheckpoint(
        client,
        { tenantId, position, hash: prevHash, prevPosition: Number(h.checkpoint_position) },
        now,
      );
    await client.query('UPDATE audit_chain_head SET position = $2, hash = $3 WHERE tenant_id = $1', [
      tenantId,
      position,
      prevHash,
    ]);
    return { position, checkpointed: due };
  }

  /** `prevPosition` is the head's checkpoint position, read under the head's row lock. */
  private async writeCheckpoint(
    client: pg.PoolClient,
    at: { tenantId: string; position: number; hash: string; prevPosition: number },
    now: number,
  ): Promise<void> {
    const c = this.signer.sign({ ...at, signedAt: new Date(now).toISOString() });
    await client.query(
      `INSERT INTO audit_checkpoint (tenant_id, position, hash, signature, public_key, signed_at, prev_position)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [c.tenantId, c.position, c.hash, c.signature, c.publicKey, c.signedAt, c.prevPosition],
    );
    await client.query(
      'UPDATE audit_chain_head SET checkpoint_position = $2, checkpoint_at = $3 WHERE tenant_id = $1',
      [c.tenantId, c.position, c.signedAt],
    );
  }

  /** Signs the head of every chain that moved since its last checkpoint more than `everyMs` ago. */
  async checkpointIdleChains(): Promise<number> {
    const now = this.now();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{
        tenant_id: string;
        position: string;
        hash: string;
        checkpoint_position: string;
      }>(
        `SELECT tenant_id, position, hash, checkpoint_position FROM audit_chain_head
          WHERE position > checkpoint_position AND checkpoint_at <= $1
          ORDER BY tenant_id FOR UPDATE SKIP LOCKED`,
        [new Date(now - this.policy.everyMs).toISOString()],
      );
      for (const r of rows) {
        const at = { tenantId: r.tenant_id, position: Number(r.position), hash: r.hash };
        await this.writeCheckpoint(client, { ...at, prevPosition: Number(r.checkpoint_position) }, now);
      }
      await client.query('COMMIT');
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async stream(tenantId: string, entityType: string, entityId: string, fromVersion: number, limit: number) {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM audit_event
        WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3 AND version >= $4
        ORDER BY version LIMIT $5`,
      [tenantId, entityType, entityId, fromVersion, limit],
    );
    return rows.map(toAuditEvent);
  }

  /** Events of a chain in position order, `pageSize` rows per query (keyset paging, constant memory). */
  async *range(
    tenantId: string,
    fromPosition: number,
    toPosition: number,
    pageSize = 5_000,
  ): AsyncGenerator<AuditEvent[]> {
    let next = fromPosition;
    while (next <= toPosition) {
      const { rows } = await this.pool.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM audit_event
          WHERE tenant_id = $1 AND position >= $2 AND position <= $3 ORDER BY position LIMIT $4`,
        [tenantId, next, toPosition, pageSize],
      );
      if (rows.length === 0) return;
      const events = rows.map(toAuditEvent);
      yield events;
      next = events.at(-1)!.position + 1;
      if (rows.length < pageSize) return;
    }
  }

  async hashAt(tenantId: string, position: number): Promise<string | null> {
    if (position === 0) return GENESIS_HASH;
    const { rows } = await this.pool.query<{ hash: string }>(
      'SELECT hash FROM audit_event WHERE tenant_id = $1 AND position = $2',
      [tenantId, position],
    );
    return rows[0]?.hash ?? null;
  }

  /** The last position of a chain, read from the log itself (the head row is only a cache). */
  async lastPosition(tenantId: string): Promise<number> {
    const { rows } = await this.pool.query<{ p: string | null }>(
      'SELECT max(position) AS p FROM audit_event WHERE tenant_id = $1',
      [tenantId],
    );
    return Number(rows[0]?.p ?? 0);
  }

  async checkpoints(tenantId: string, fromPosition: number, toPosition: number): Promise<SignedCheckpoint[]> {
    const { rows } = await this.pool.query<CheckpointRow>(
      `SELECT * FROM audit_checkpoint WHERE tenant_id = $1 AND position BETWEEN $2 AND $3 ORDER BY position`,
      [tenantId, fromPosition, toPosition],
    );
    return rows.map(toCheckpoint);
  }

  /** Where a verification of the whole chain ends: its last event, or a checkpoint past it (a truncated log). */
  async endPosition(tenantId: string): Promise<number> {
    const { rows } = await this.pool.query<{ p: string | null }>(
      `SELECT greatest((SELECT max(position) FROM audit_event WHERE tenant_id = $1),
                       (SELECT max(position) FROM audit_checkpoint WHERE tenant_id = $1)) AS p`,
      [tenantId],
    );
    return Number(rows[0]?.p ?? 0);
  }

  async latestCheckpoint(tenantId: string): Promise<SignedCheckpoint | null> {
    const { rows } = await this.pool.query<CheckpointRow>(
      'SELECT * FROM audit_checkpoint WHERE tenant_id = $1 ORDER BY position DESC LIMIT 1',
      [tenantId],
    );
    return rows[0] ? toCheckpoint(rows[0]) : null;
  }
}
