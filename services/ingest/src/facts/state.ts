import { conflict } from '@takt/http';
import type { BatchHandler } from '../batch.js';
import type { BatchContext } from '../context.js';
import { auditColumns, factKey } from '../context.js';
import { type EquipmentRef, equipmentByCode, FieldErrors, reasonByCode, requireCodes } from '../lookup.js';
import type { StateRecord } from '../schemas.js';

interface Prepared {
  equipment: Map<string, EquipmentRef>;
  reasons: Map<string, { id: string; planned: boolean }>;
}

const FAR_FUTURE = new Date('9999-12-31T00:00:00Z');

async function overlapping(
  ctx: BatchContext,
  equipmentId: string,
  id: string,
  start: number,
  end: number | null,
): Promise<string | null> {
  const clash = await ctx.tx.equipmentState.findFirst({
    where: {
      equipmentId,
      id: { not: id },
      startAt: { lt: end === null ? FAR_FUTURE : new Date(end) },
      OR: [{ endAt: null }, { endAt: { gt: new Date(start) } }],
    },
    select: { id: true },
  });
  return clash?.id ?? null;
}

const overlapError = (i: number, id: string, other: string) =>
  conflict('TAKT_OVERLAP', `state ${id} overlaps state ${other} of the same equipment`, {
    conflictingId: other,
    errors: [{ pointer: `/records/${i}`, detail: `overlaps state ${other}` }],
  });

/**
 * The state stream of docs/api.md §2.3: records apply in array order; a new state closes the
 * equipment's open state at its start; an interval may not overlap another of its equipment;
 * a re-post may correct times, state and reason, never the equipment; identical re-posts are no-ops.
 */
export const stateBatch: BatchHandler<StateRecord, Prepared> = {
  kind: 'state',
  async prepare(ctx, records) {
    const errors = new FieldErrors();
    const [equipment, reasons] = await Promise.all([
      equipmentByCode(
        ctx.tx,
        records.map((r) => r.equipmentCode),
      ),
      reasonByCode(
        ctx.tx,
        records.flatMap((r) => (r.reasonCode ? [r.reasonCode] : [])),
      ),
    ]);
    requireCodes(errors, records, 'equipmentCode', equipment, 'equipment code');
    requireCodes(errors, records, 'reasonCode', reasons, 'downtime reason code');
    records.forEach((r, i) => {
      const reason = r.reasonCode ? reasons.get(r.reasonCode) : undefined;
      if (reason && reason.planned !== (r.state === 'planned_stop')) {
        errors.add(
          `/records/${i}/reasonCode`,
          reason.planned
            ? `reason "${r.reasonCode}" is planned and belongs to a planned_stop state`
            : `reason "${r.reasonCode}" is unplanned and belongs to a stopped state`,
        );
      }
    });
    errors.throwIfAny();
    return { equipment, reasons };
  },
  async apply(ctx, { equipment, reasons }, records) {
    let written = 0;
    for (const [i, r] of records.entries()) {
      const equipmentId = equipment.get(r.equipmentCode)!.id;
      const reasonId = r.reasonCode ? reasons.get(r.reasonCode)!.id : null;
      const end = r.end ?? null;
      const before = await ctx.tx.equipmentState.findUnique({ where: factKey(ctx, r.id) });

      if (before) {
        if (before.equipmentId !== equipmentId) {
          throw conflict('TAKT_OWNER_CHANGE', `state ${r.id} belongs to another equipment`, {
            errors: [{ pointer: `/records/${i}/equipmentCode`, detail: 'a state never changes equipment' }],
          });
        }
        const same =
          before.state === r.state &&
          before.reasonId === reasonId &&
          before.startAt.getTime() === r.start &&
          (before.endAt?.getTime() ?? null) === end;
        if (same) continue;
        if (end === null && before.endAt !== null) {
          // Reopening is only meaningful for the latest state: anything after it would overlap.
          const later = await ctx.tx.equipmentState.findFirst({
            where: { equipmentId, id: { not: r.id }, startAt: { gt: before.startAt } },
            select: { id: true },
          });
          if (later) {
            throw conflict(
              'TAKT_STATE_CONFLICT',
              `state ${r.id} is not the latest state of its equipment and cannot be reopened`,
              {
                conflictingId: later.id,
                errors: [{ pointer: `/records/${i}/end`, detail: `state ${later.id} follows it` }],
              },
            );
          }
        }
        const other = await overlapping(ctx, equipmentId, r.id, r.start, end);
        if (other) throw overlapError(i, r.id, other);
        await ctx.tx.equipmentState.update({
          where: factKey(ctx, r.id),
          data: {
            state: r.state,
            reasonId,
            startAt: new Date(r.start),
            endAt: end === null ? null : new Date(end),
            batchId: ctx.batchId,
            updatedAt: new Date(ctx.now),
            ...auditColumns(ctx),
          },
        });
        written++;
        continue;
      }

      const open = await ctx.tx.equipmentState.findFirst({
        where: { equipmentId, endAt: null },
        select: { id: true, startAt: true },
      });
      if (open) {
        if (r.start <= open.startAt.getTime()) {
          throw conflict(
            'TAKT_STATE_CONFLICT',
            `state ${r.id} starts at or before the open state ${open.id} of its equipment`,
            {
              conflictingId: open.id,
              errors: [
                {
                  pointer: `/records/${i}/start`,
                  detail: `must be after the start of open state ${open.id}`,
                },
              ],
            },
          );
        }
        await ctx.tx.equipmentState.update({
          where: factKey(ctx, open.id),
          data: {
            endAt: new Date(r.start),
            batchId: ctx.batchId,
            updatedAt: new Date(ctx.now),
            ...auditColumns(ctx),
          },
        });
        written++;
      }
      const other = await overlapping(ctx, equipmentId, r.id, r.start, end);
      if (other) throw overlapError(i, r.id, other);
      await ctx.tx.equipmentState.create({
        data: {
          id: r.id,
          tenantId: ctx.tenantId,
          equipmentId,
          state: r.state,
          reasonId,
          startAt: new Date(r.start),
          endAt: end === null ? null : new Date(end),
          batchId: ctx.batchId,
          ...auditColumns(ctx),
        },
      });
      written++;
    }
    return written;
  },
};
