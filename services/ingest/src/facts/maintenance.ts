import { conflict } from '@takt/http';
import type { BatchHandler } from '../batch.js';
import { auditColumns, factKey } from '../context.js';
import { type EquipmentRef, FieldErrors, knownEquipment, requireUniqueIds } from '../lookup.js';
import type { MaintenanceRecord } from '../schemas.js';
import { openPii, sealPii } from './pii.js';

export const maintenanceBatch: BatchHandler<MaintenanceRecord, Map<string, EquipmentRef>> = {
  kind: 'maintenance',
  async prepare(ctx, records) {
    const errors = new FieldErrors();
    const equipment = await knownEquipment(ctx.tx, errors, records);
    requireUniqueIds(
      errors,
      records.map((r) => r.id),
    );
    errors.throwIfAny();
    return equipment;
  },
  async apply(ctx, equipment, records) {
    const existing = new Map(
      (await ctx.tx.maintenance.findMany({ where: { id: { in: records.map((r) => r.id) } } })).map((m) => [
        m.id,
        m,
      ]),
    );
    const creates = [];
    let written = 0;
    for (const [i, r] of records.entries()) {
      const equipmentId = equipment.get(r.equipmentCode)!.id;
      const fields = {
        kind: r.kind,
        startAt: new Date(r.start),
        endAt: r.end === undefined ? null : new Date(r.end),
        notes: r.notes ?? null,
      };
      const before = existing.get(r.id);
      if (!before) {
        creates.push({
          id: r.id,
          tenantId: ctx.tenantId,
          equipmentId,
          ...fields,
          technicianEnc: sealPii(ctx, 'fact_maintenance', 'technician', r.id, r.technician),
          batchId: ctx.batchId,
          ...auditColumns(ctx),
        });
        continue;
      }
      if (before.equipmentId !== equipmentId) {
        throw conflict('TAKT_OWNER_CHANGE', `maintenance event ${r.id} belongs to another equipment`, {
          errors: [
            { pointer: `/records/${i}/equipmentCode`, detail: 'a maintenance event never changes equipment' },
          ],
        });
      }
      const technician = openPii(ctx, 'fact_maintenance', 'technician', r.id, before.technicianEnc);
      const same =
        before.kind === fields.kind &&
        before.startAt.getTime() === r.start &&
        (before.endAt?.getTime() ?? null) === (r.end ?? null) &&
        before.notes === fields.notes &&
        technician === (r.technician ?? null);
      if (same) continue;
      await ctx.tx.maintenance.update({
        where: factKey(ctx, r.id),
        data: {
          ...fields,
          technicianEnc: sealPii(ctx, 'fact_maintenance', 'technician', r.id, r.technician),
          batchId: ctx.batchId,
          updatedAt: new Date(ctx.now),
          ...auditColumns(ctx),
        },
      });
      written++;
    }
    if (creates.length > 0) written += (await ctx.tx.maintenance.createMany({ data: creates })).count;
    return written;
  },
};
