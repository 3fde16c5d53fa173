import { randomUUID } from 'node:crypto';
import { conflict } from '@takt/http';
import type { BatchHandler } from '../batch.js';
import { auditColumns, factKey } from '../context.js';
import {
  type EquipmentRef,
  equipmentByCode,
  FieldErrors,
  productByCode,
  requireCodes,
  requireUniqueIds,
} from '../lookup.js';
import type { ProductionRecord } from '../schemas.js';
import { openPii, sealPii } from './pii.js';

interface Prepared {
  equipment: Map<string, EquipmentRef>;
  products: Map<string, { id: string; idealCycleTimeS: string }>;
  ids: string[];
}

export const productionBatch: BatchHandler<ProductionRecord, Prepared> = {
  kind: 'production',
  async prepare(ctx, records) {
    const errors = new FieldErrors();
    const [equipment, products] = await Promise.all([
      equipmentByCode(
        ctx.tx,
        records.map((r) => r.equipmentCode),
      ),
      productByCode(
        ctx.tx,
        records.map((r) => r.productCode),
      ),
    ]);
    requireCodes(errors, records, 'equipmentCode', equipment, 'equipment code');
    requireCodes(errors, records, 'productCode', products, 'product code');
    requireUniqueIds(
      errors,
      records.map((r) => r.id),
    );
    errors.throwIfAny();
    return { equipment, products, ids: records.map((r) => r.id ?? randomUUID()) };
  },
  async apply(ctx, { equipment, products, ids }, records) {
    const existing = new Map(
      (await ctx.tx.production.findMany({ where: { id: { in: ids } } })).map((row) => [row.id, row]),
    );
    const creates = [];
    let written = 0;
    for (const [i, r] of records.entries()) {
      const id = ids[i]!;
      const equipmentId = equipment.get(r.equipmentCode)!.id;
      const product = products.get(r.productCode)!;
      const before = existing.get(id);
      const fields = {
        productId: product.id,
        startAt: new Date(r.start),
        endAt: new Date(r.end),
        total: r.total,
        good: r.good,
        scrap: r.scrap ?? 0,
        rework: r.rework ?? 0,
        orderId: r.orderId ?? null,
      };
      if (!before) {
        creates.push({
          id,
          tenantId: ctx.tenantId,
          equipmentId,
          ...fields,
          // Copied at write time: a later edit of the product never rewrites history.
          idealCycleTimeS: product.idealCycleTimeS,
          operatorEnc: sealPii(ctx, 'fact_production', 'operator', id, r.operator),
          batchId: ctx.batchId,
          ...auditColumns(ctx),
        });
        continue;
      }
      if (before.equipmentId !== equipmentId) {
        throw conflict('TAKT_OWNER_CHANGE', `production record ${id} belongs to another equipment`, {
          errors: [
            { pointer: `/records/${i}/equipmentCode`, detail: 'a production record never changes equipment' },
          ],
        });
      }
      const operator = openPii(ctx, 'fact_production', 'operator', id, before.operatorEnc);
      const same =
        before.productId === fields.productId &&
        before.startAt.getTime() === r.start &&
        before.endAt.getTime() === r.end &&
        before.total === fields.total &&
        before.good === fields.good &&
        before.scrap === fields.scrap &&
        before.rework === fields.rework &&
        before.orderId === fields.orderId &&
        operator === (r.operator ?? null);
      if (same) continue;
      await ctx.tx.production.update({
        where: factKey(ctx, id),
        data: {
          ...fields,
          idealCycleTimeS: before.productId === product.id ? before.idealCycleTimeS : product.idealCycleTimeS,
          operatorEnc: sealPii(ctx, 'fact_production', 'operator', id, r.operator),
          batchId: ctx.batchId,
          updatedAt: new Date(ctx.now),
          ...auditColumns(ctx),
        },
      });
      written++;
    }
    if (creates.length > 0) written += (await ctx.tx.production.createMany({ data: creates })).count;
    return written;
  },
};
