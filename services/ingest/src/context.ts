import type { Keyring } from '@takt/crypto';
import type { PrismaClient, TenantTx } from '@takt/db';
import type { TimeRangePolicy } from '@takt/domain';
import type { Counter, Histogram } from '@takt/http';

export type Clock = () => number;

export interface IngestMetrics {
  rowsWritten: Counter<'kind'>;
  batchSize: Histogram<'kind'>;
  batches: Counter<'kind' | 'outcome'>;
}

/** What every route needs: passed explicitly, built once in main.ts (or a test). */
export interface IngestDeps {
  prisma: PrismaClient;
  keyring: Keyring;
  clock: Clock;
  metrics: IngestMetrics;
  limits: { sensorRecords: number; factRecords: number };
  /** The accepted time range of every instant a client sends (docs/time-range.md). */
  timeRange: TimeRangePolicy;
}

/** One batch being applied inside its tenant's transaction. */
export interface BatchContext {
  tx: TenantTx;
  tenantId: string;
  keyId: string;
  requestId: string;
  batchId: string;
  keyring: Keyring;
  now: number;
}

/**
 * The key of a fact row: ids are chosen by clients, so they are unique per tenant only and every
 * lookup by id names the tenant too (docs/identity.md).
 */
export const factKey = (ctx: Pick<BatchContext, 'tenantId'>, id: string) => ({
  tenantId_id: { tenantId: ctx.tenantId, id },
});

/** The audit columns every written row carries (docs/data-model.md: the WAL itself says who and why). */
export const auditColumns = (ctx: Pick<BatchContext, 'keyId' | 'requestId'>) => ({
  changedBy: ctx.keyId,
  requestId: ctx.requestId,
});
