import type { BatchHandler } from '../batch.js';
import { type EquipmentRef, FieldErrors, knownEquipment } from '../lookup.js';
import type { SensorRecord } from '../schemas.js';

/**
 * Sensor readings are the volume path: one INSERT … SELECT FROM unnest(arrays) per batch.
 * COPY would be faster, but PostgreSQL refuses COPY FROM into a table with forced RLS unless
 * the role bypasses RLS, and the services' role must not.
 */
export const sensorBatch: BatchHandler<SensorRecord, Map<string, EquipmentRef>> = {
  kind: 'sensor',
  async prepare(ctx, records) {
    const errors = new FieldErrors();
    const equipment = await knownEquipment(ctx.tx, errors, records);
    // One reading per (equipment, tag, instant): a batch that says two things about it is ambiguous.
    const seen = new Map<string, number>();
    records.forEach((r, i) => {
      const key = `${r.equipmentCode}\u0000${r.tag}\u0000${r.ts}`;
      const first = seen.get(key);
      if (first !== undefined) errors.add(`/records/${i}/ts`, `duplicate reading of /records/${first}`);
      else seen.set(key, i);
    });
    errors.throwIfAny();
    return equipment;
  },
  async apply(ctx, equipment, records) {
    const n = records.length;
    const equipmentIds = new Array<string>(n);
    const tags = new Array<string>(n);
    const times = new Array<string>(n);
    const values = new Array<number>(n);
    const qualities = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      equipmentIds[i] = equipment.get(r.equipmentCode)!.id;
      tags[i] = r.tag;
      times[i] = new Date(r.ts).toISOString();
      values[i] = r.value;
      qualities[i] = r.quality ?? 'good';
    }
    // A reading re-sent by a later batch is a correction: the newest value wins.
    return ctx.tx.$executeRaw`
      INSERT INTO fact_sensor_reading (tenant_id, equipment_id, tag, ts, value, quality, batch_id)
      SELECT ${ctx.tenantId}::uuid, e, t, ts, v, q, ${ctx.batchId}::uuid
        FROM unnest(${equipmentIds}::uuid[], ${tags}::text[], ${times}::timestamptz[],
                    ${values}::float8[], ${qualities}::text[]) AS u(e, t, ts, v, q)
      ON CONFLICT (tenant_id, equipment_id, tag, ts) DO UPDATE
        SET value = EXCLUDED.value, quality = EXCLUDED.quality, batch_id = EXCLUDED.batch_id
        WHERE (fact_sensor_reading.value, fact_sensor_reading.quality)
              IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.quality)`;
  },
};
