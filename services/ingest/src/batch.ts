import { createHash } from 'node:crypto';
import { pgErrorCode, withTenant } from '@takt/db';
import { acceptedRange, type NamedInstant, rangeViolations, type TimeRangePolicy } from '@takt/domain';
import { badRequest, conflict, type Principal, TaktError } from '@takt/http';
import type { BatchContext, IngestDeps } from './context.js';

export type BatchKind = 'sensor' | 'production' | 'state' | 'shift' | 'maintenance';

export interface BatchBody<R> {
  batchId: string;
  records: R[];
}

export interface BatchResult {
  status: 200 | 201;
  body: { batchId: string; accepted: number };
}

export interface BatchHandler<R, P> {
  kind: BatchKind;
  /** Read-only checks of the whole batch (codes exist, …); throws 400 before anything is written. */
  prepare(ctx: BatchContext, records: R[]): Promise<P>;
  /** Writes the batch; throws 409 on a conflict, which rolls the whole batch back. */
  apply(ctx: BatchContext, prepared: P, records: R[]): Promise<number>;
}

/**
 * Constraint violations that a concurrent writer of the same tenant can cause after the batch's
 * own checks passed: a conflict, never a 5xx. Keys are per tenant (docs/identity.md), so
 * another tenant's rows can never be the cause.
 */
function constraintConflict(err: unknown): TaktError | undefined {
  switch (pgErrorCode(err)) {
    case '23505':
      return conflict('TAKT_ID_CONFLICT', 'a record id of this batch is already in use');
    case '23P01':
      return conflict('TAKT_OVERLAP', 'an interval of this batch overlaps a stored one');
    default:
      return undefined;
  }
}

/** The instants a client sends per batch kind; each must lie in the accepted time range. */
const TIME_FIELDS: Record<BatchKind, readonly string[]> = {
  sensor: ['ts'],
  production: ['start', 'end'],
  state: ['start', 'end'],
  shift: ['start', 'end'],
  maintenance: ['start', 'end'],
};

function* instantsOf(kind: BatchKind, records: readonly unknown[]): Generator<NamedInstant> {
  const fields = TIME_FIELDS[kind];
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as Record<string, unknown>;
    for (const field of fields) {
      const at = record[field];
      if (typeof at === 'number') yield { pointer: `/records/${i}/${field}`, at };
    }
  }
}

/**
 * 400 for any instant outside the accepted time range (docs/time-range.md), before anything is
 * read or written: such a reading would land in a default partition and stop partition
 * maintenance, and ClickHouse could not hold it.
 */
export function checkTimeRange(
  policy: TimeRangePolicy,
  now: number,
  kind: BatchKind,
  records: readonly unknown[],
): void {
  const errors = rangeViolations(instantsOf(kind, records), acceptedRange(now, policy), policy);
  if (errors.length === 0) return;
  const first = errors[0]!.detail;
  throw badRequest(
    errors.length === 1 ? first : `${errors.length} times outside the accepted range; ${first}`,
    errors,
  );
}

/** The body after validation, in schema key order: equal requests hash equally. */
export const payloadHash = (body: unknown): string =>
  createHash('sha256').update(JSON.stringify(body)).digest('hex');

/** The server's id of the request, and the client's correlation id if it sent a valid one. */
export interface RequestIds {
  requestId: string;
  correlationId: string | null;
}

interface StoredBatch {
  kind: string;
  payloadSha256: string;
  response: unknown;
}

function replayOrConflict(stored: StoredBatch, kind: BatchKind, hash: string, batchId: string): BatchResult {
  if (stored.kind === kind && stored.payloadSha256 === hash) {
    return { status: 200, body: stored.response as BatchResult['body'] };
  }
  throw conflict(
    'TAKT_BATCH_CONFLICT',
    stored.kind === kind
      ? `batch ${batchId} was already accepted with a different body`
      : `batch ${batchId} was already used on another batch endpoint`,
    { batchId },
  );
}

/**
 * The one path every batch endpoint takes (docs/api.md §3): validate the whole batch, then either write
 * all of it with its ingest_batch row in one transaction or nothing. A retried batch id answers
 * the first response; a 400 wins over a 409, and a rejected batch does not use up its id.
 */
export async function runBatch<R, P>(
  deps: IngestDeps,
  principal: Principal,
  { requestId, correlationId }: RequestIds,
  body: BatchBody<R>,
  handler: BatchHandler<R, P>,
): Promise<BatchResult> {
  const hash = payloadHash(body);
  const { batchId, records } = body;
  const result = await withTenant(
    deps.prisma,
    principal.tenantId,
    async (tx) => {
      const ctx: BatchContext = {
        tx,
        tenantId: principal.tenantId,
        keyId: principal.keyId,
        requestId,
        batchId,
        keyring: deps.keyring,
        now: deps.clock(),
      };
      const select = { kind: true, payloadSha256: true, response: true } as const;
      const stored = await tx.ingestBatch.findUnique({
        where: { tenantId_id: { tenantId: principal.tenantId, id: batchId } },
        select,
      });
      if (stored && stored.kind === handler.kind && stored.payloadSha256 === hash) {
        return replayOrConflict(stored, handler.kind, hash, batchId);
      }
      // After the replay check: a retry answers its first response even once its times have aged out.
      checkTimeRange(deps.timeRange, ctx.now, handler.kind, records);
      const prepared = await handler.prepare(ctx, records);
      if (stored) return replayOrConflict(stored, handler.kind, hash, batchId);

      const response = { batchId, accepted: records.length };
      // A concurrent request with the same id blocks here until the first one commits, then
      // finds the row and answers like a retry.
      const inserted = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO ingest_batch (tenant_id, id, kind, record_count, payload_sha256, response, changed_by,
                                  request_id, correlation_id)
        VALUES (${principal.tenantId}::uuid, ${batchId}::uuid, ${handler.kind}, ${records.length}, ${hash},
                ${JSON.stringify(response)}::jsonb, ${principal.keyId}::uuid, ${requestId}, ${correlationId})
        ON CONFLICT (tenant_id, id) DO NOTHING
        RETURNING id`;
      if (inserted.length === 0) {
        const winner = await tx.ingestBatch.findUniqueOrThrow({
          where: { tenantId_id: { tenantId: principal.tenantId, id: batchId } },
          select,
        });
        return replayOrConflict(winner, handler.kind, hash, batchId);
      }
      const written = await handler.apply(ctx, prepared, records);
      deps.metrics.rowsWritten.inc({ kind: handler.kind }, written);
      return { status: 201, body: response } satisfies BatchResult;
    },
    { requestId, changedBy: principal.keyId, timeoutMs: 60_000, maxWaitMs: 10_000 },
  ).catch((cause: unknown) => {
    const err = constraintConflict(cause) ?? cause;
    deps.metrics.batches.inc({
      kind: handler.kind,
      outcome: err instanceof TaktError ? String(err.status) : 'error',
    });
    throw err;
  });
  deps.metrics.batches.inc({ kind: handler.kind, outcome: String(result.status) });
  deps.metrics.batchSize.observe({ kind: handler.kind }, records.length);
  return result;
}
