import { GRANULARITIES } from '@takt/domain';
import { z } from 'zod';
import { SCOPE_KINDS, SENSOR_STEPS } from '../params.js';

const time = z.string().describe('RFC 3339 time with an offset, on a 15-minute boundary');

export const scopeQuery = z.object({
  scope: z.enum(SCOPE_KINDS),
  ids: z.string().min(1).describe('comma-separated codes of the scope, at most 100'),
  from: time,
  to: time,
});

export const oeeQuery = scopeQuery.extend({ granularity: z.enum(GRANULARITIES) });

export const sensorQuery = z.object({
  equipmentCode: z.string().min(1),
  tag: z.string().min(1).max(256),
  from: time,
  to: time,
  step: z.enum(SENSOR_STEPS),
});

const ratio = z.number().nullable();

export const oeeRow = z.object({
  scopeId: z.string(),
  bucketStart: z.string(),
  bucketEnd: z.string(),
  shift: z.object({ id: z.string(), name: z.string(), start: z.string(), end: z.string() }).optional(),
  plannedOperationS: z.number(),
  plannedDowntimeS: z.number(),
  plannedBusyS: z.number(),
  productionS: z.number(),
  unplannedDowntimeS: z.number(),
  produced: z.number(),
  good: z.number(),
  scrap: z.number(),
  rework: z.number(),
  idealS: z.number(),
  availability: ratio,
  performance: ratio,
  quality: ratio,
  oee: ratio,
});

export const kpiRow = z.object({
  scopeId: z.string(),
  from: z.string(),
  to: z.string(),
  availability: ratio,
  effectiveness: ratio,
  qualityRatio: ratio,
  oeeIndex: ratio,
  scrapRatio: ratio,
  reworkRatio: ratio,
  throughputRatePerHour: ratio,
  mtbfS: ratio,
  mttrS: ratio,
  correctiveMaintenanceRatio: ratio,
  plannedOperationS: z.number(),
  productionS: z.number(),
  produced: z.number(),
  failures: z.number(),
  correctiveMaintenanceS: z.number(),
  preventiveMaintenanceS: z.number(),
});

export const paretoRow = z.object({
  reasonCode: z
    .string()
    .nullable()
    .describe('null: downtime without a reason (or a gap in the state stream)'),
  reasonName: z.string().nullable(),
  planned: z.boolean(),
  durationS: z.number(),
  occurrences: z.number(),
  cumulativeShare: z.number(),
});

export const sensorPoint = z.object({
  ts: z.string(),
  min: z.number(),
  max: z.number(),
  avg: z.number(),
  count: z.number(),
});

export const freshnessBody = z.object({
  caughtUp: z.boolean(),
  lagMs: z.number().nullable(),
  lastAppliedLsn: z.number().nullable(),
  lastEventAt: z.string().nullable(),
  /** Machine-readable reasons why caughtUp is false (docs/cdc-health.md); empty when it is true. */
  reasons: z.array(z.string()),
});
