import { z } from 'zod';
import { asciiText, attributes, boundedText, count, finiteDouble, idealCycleTimeS } from './bounds.js';

/** Tenant-scoped codes (docs/data-model.md): what machines and ERP exports use to name things. */
export const code = asciiText('code', '[A-Za-z0-9._-]');

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 time with an offset to epoch milliseconds, truncating sub-millisecond
 * digits (docs/oee.md §2) instead of rounding them, so a re-post never moves a boundary.
 */
export function parseRfc3339(value: string): number | null {
  const m = RFC3339.exec(value);
  if (!m) return null;
  const fraction = (m[7] ?? '').slice(0, 3).padEnd(3, '0');
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${fraction}${m[8]?.toUpperCase()}`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  // Date.parse accepts 2026-02-30 by rolling over; a real calendar date must round-trip.
  const offset = m[8]?.toUpperCase() === 'Z' ? 0 : offsetMinutes(m[8] ?? '+00:00');
  const local = new Date(ms + offset * 60_000);
  if (local.getUTCDate() !== Number(m[3]) || local.getUTCMonth() + 1 !== Number(m[2])) return null;
  return ms;
}

function offsetMinutes(offset: string): number {
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, min] = offset.slice(1).split(':').map(Number);
  return sign * ((h ?? 0) * 60 + (min ?? 0));
}

/** An RFC 3339 time with offset, delivered to handlers as epoch milliseconds. */
export const time = z.string().transform((value, ctx) => {
  const ms = parseRfc3339(value);
  if (ms === null) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an RFC 3339 time with an offset, e.g. 2026-03-01T06:00:00Z',
    });
    return z.NEVER;
  }
  return ms;
});

const name = boundedText('name');

export const siteBody = z.strictObject({ name, timeZone: boundedText('timeZone') });
export const lineBody = z.strictObject({ name, siteCode: code });
export const equipmentBody = z.strictObject({ name, lineCode: code, attributes: attributes.optional() });
export const productBody = z.strictObject({ name, idealCycleTimeS });
export const downtimeReasonBody = z.strictObject({ name, planned: z.boolean() });

export const SCOPE_VALUES = ['ingest', 'read', 'audit', 'admin'] as const;
export const apiKeyBody = z.strictObject({
  name,
  scopes: z.array(z.enum(SCOPE_VALUES)).min(1).max(4),
});

export const sensorRecord = z.strictObject({
  equipmentCode: code,
  tag: asciiText('tag', '[A-Za-z0-9._:/-]'),
  ts: time,
  value: finiteDouble,
  quality: z.enum(['good', 'uncertain', 'bad']).optional(),
});

export const productionRecord = z
  .strictObject({
    id: z.uuid().optional(),
    equipmentCode: code,
    productCode: code,
    start: time,
    end: time,
    total: count,
    good: count,
    scrap: count.optional(),
    rework: count.optional(),
    orderId: boundedText('orderId').optional(),
    operator: boundedText('person').optional(),
  })
  .superRefine((r, ctx) => {
    if (r.end <= r.start) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    if (r.good + (r.scrap ?? 0) + (r.rework ?? 0) > r.total)
      ctx.addIssue({
        code: 'custom',
        path: ['good'],
        message: 'good + scrap + rework must not exceed total',
      });
  });

export const STATES = ['running', 'stopped', 'planned_stop'] as const;
export const stateRecord = z
  .strictObject({
    id: z.uuid(),
    equipmentCode: code,
    state: z.enum(STATES),
    reasonCode: code.optional(),
    start: time,
    end: time.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.end !== undefined && r.end <= r.start)
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    if (r.state === 'running' && r.reasonCode !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['reasonCode'],
        message: 'a running state has no downtime reason',
      });
  });

export const shiftRecord = z
  .strictObject({
    id: z.uuid(),
    lineCode: code.optional(),
    equipmentCode: code.optional(),
    name,
    start: time,
    end: time,
  })
  .superRefine((r, ctx) => {
    if ((r.lineCode === undefined) === (r.equipmentCode === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['lineCode'],
        message: 'exactly one of lineCode and equipmentCode is required',
      });
    if (r.end <= r.start) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
  });

export const maintenanceRecord = z
  .strictObject({
    id: z.uuid(),
    equipmentCode: code,
    kind: z.enum(['preventive', 'corrective']),
    start: time,
    end: time.optional(),
    technician: boundedText('person').optional(),
    notes: boundedText('notes', { min: 0 }).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.end !== undefined && r.end <= r.start)
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
  });

export const batchOf = <T extends z.ZodType>(record: T) =>
  z.strictObject({ batchId: z.uuid(), records: z.array(record).min(1) });

export type SensorRecord = z.infer<typeof sensorRecord>;
export type ProductionRecord = z.infer<typeof productionRecord>;
export type StateRecord = z.infer<typeof stateRecord>;
export type ShiftRecord = z.infer<typeof shiftRecord>;
export type MaintenanceRecord = z.infer<typeof maintenanceRecord>;

export const batchResponse = z.object({
  batchId: z.uuid(),
  accepted: z.number().int(),
  lsn: z.string().optional(),
});
