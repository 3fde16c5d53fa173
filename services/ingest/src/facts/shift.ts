import { conflict } from '@takt/http';
import type { BatchHandler } from '../batch.js';
import { auditColumns, factKey } from '../context.js';
import { type EquipmentRef, equipmentByCode, FieldErrors, lineByCode, requireCodes } from '../lookup.js';
import type { ShiftRecord } from '../schemas.js';

interface Prepared {
  equipment: Map<string, EquipmentRef>;
  lines: Map<string, string>;
}

/** Shifts define planned operation time; shifts of one owner never overlap (docs/oee.md §3). */
export const shiftBatch: BatchHandler<ShiftRecord, Prepared> = {
  kind: 'shift',
  async prepare(ctx, records) {
    const errors = new FieldErrors();
    const [equipment, lines] = await Promise.all([
      equipmentByCode(
        ctx.tx,
        records.flatMap((r) => (r.equipmentCode ? [r.equipmentCode] : [])),
      ),
      lineByCode(
        ctx.tx,
        records.flatMap((r) => (r.lineCode ? [r.lineCode] : [])),
      ),
    ]);
    requireCodes(errors, records, 'equipmentCode', equipment, 'equipment code');
    requireCodes(errors, records, 'lineCode', lines, 'line code');
    errors.throwIfAny();
    return { equipment, lines };
  },
  // Applied in array order, one record at a time, so a later record sees the earlier ones.
  async apply(ctx, { equipment, lines }, records) {
    let written = 0;
    for (const [i, r] of records.entries()) {
      const lineId = r.lineCode ? lines.get(r.lineCode)! : null;
      const equipmentId = r.equipmentCode ? equipment.get(r.equipmentCode)!.id : null;
      const before = await ctx.tx.shift.findUnique({ where: factKey(ctx, r.id) });
      if (before && (before.lineId !== lineId || before.equipmentId !== equipmentId)) {
        throw conflict(
          'TAKT_OWNER_CHANGE',
          `shift ${r.id} belongs to another ${before.lineId ? 'line' : 'equipment'}`,
          {
            errors: [
              {
                pointer: `/records/${i}/${r.lineCode ? 'lineCode' : 'equipmentCode'}`,
                detail: 'a shift never changes its owner',
              },
            ],
          },
        );
      }
      if (
        before &&
        before.name === r.name &&
        before.startAt.getTime() === r.start &&
        before.endAt.getTime() === r.end
      ) {
        continue;
      }
      const start = new Date(r.start);
      const end = new Date(r.end);
      const clash = await ctx.tx.shift.findFirst({
        where: {
          id: { not: r.id },
          ...(lineId ? { lineId } : { equipmentId }),
          startAt: { lt: end },
          endAt: { gt: start },
        },
        select: { id: true },
      });
      if (clash) {
        throw conflict('TAKT_OVERLAP', `shift ${r.id} overlaps shift ${clash.id} of the same owner`, {
          conflictingId: clash.id,
          errors: [{ pointer: `/records/${i}`, detail: `overlaps shift ${clash.id}` }],
        });
      }
      const fields = { name: r.name, startAt: start, endAt: end, batchId: ctx.batchId, ...auditColumns(ctx) };
      if (before) {
        await ctx.tx.shift.update({
          where: factKey(ctx, r.id),
          data: { ...fields, updatedAt: new Date(ctx.now) },
        });
      } else {
        await ctx.tx.shift.create({
          data: { id: r.id, tenantId: ctx.tenantId, lineId, equipmentId, ...fields },
        });
      }
      written++;
    }
    return written;
  },
};
