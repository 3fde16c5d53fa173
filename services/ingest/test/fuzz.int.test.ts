import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestHarness, seedPlant, startIngest, type TestTenant } from './harness.js';

let h: IngestHarness;
let t: TestTenant;

beforeAll(async () => {
  h = await startIngest();
  t = await h.tenant();
  await seedPlant(h, t);
});
afterAll(() => h?.close());

type Kind = 'code' | 'tag' | 'time' | 'uuid' | 'count' | 'number' | 'text' | 'notes' | 'enum';

/** Values that are never valid for a field of the kind (unknown codes included). */
const invalid: Record<Kind, fc.Arbitrary<unknown>> = {
  code: fc.oneof(
    fc.constant('no-such-code'),
    fc.string({ minLength: 65, maxLength: 80 }),
    fc.constant(''),
    fc.constant('has space'),
    fc.integer(),
    fc.constant(null),
  ),
  tag: fc.oneof(
    fc.constant(''),
    fc.constant('with space'),
    fc.string({ minLength: 129, maxLength: 140 }),
    fc.integer(),
  ),
  notes: fc.oneof(fc.integer(), fc.string({ minLength: 4001, maxLength: 4100 }), fc.boolean()),
  time: fc.oneof(
    fc.constant('2026-11-30T08:00:00'),
    fc.constant('2026-02-30T08:00:00Z'),
    fc.constant('yesterday'),
    // Well-formed but outside the accepted time range (docs/time-range.md).
    fc.constant('9999-12-31T23:59:59Z'),
    fc.constant('0001-01-01T00:00:00Z'),
    fc.constant('1970-01-01T00:00:00Z'),
    fc.integer(),
    fc.constant(null),
    fc.string({ maxLength: 10 }),
  ),
  uuid: fc.oneof(
    fc.constant('not-a-uuid'),
    fc.integer(),
    fc.constant(''),
    fc.constant('00000000-0000-0000-0000-00000000000g'),
  ),
  count: fc.oneof(
    fc.integer({ max: -1 }),
    fc.double({ min: 0.1, max: 0.9 }),
    fc.string(),
    fc.constant(2 ** 40),
    fc.constant(null),
  ),
  number: fc.oneof(fc.string(), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 })),
  text: fc.oneof(
    fc.constant(''),
    fc.integer(),
    fc.constant('line\nbreak'),
    fc.string({ minLength: 4001, maxLength: 4100 }),
  ),
  enum: fc.oneof(fc.constant('RUNNING'), fc.constant('unknown'), fc.integer(), fc.constant(null)),
};

interface Endpoint {
  path: string;
  valid: () => Record<string, unknown>;
  fields: Record<string, Kind>;
  required: string[];
  table: string;
}

const endpoints: Endpoint[] = [
  {
    path: '/v1/sensor-batches',
    table: 'fact_sensor_reading',
    valid: () => ({ equipmentCode: 'press-01', tag: 'temp', ts: '2026-11-30T08:00:00Z', value: 1.5 }),
    fields: { equipmentCode: 'code', tag: 'tag', ts: 'time', value: 'number', quality: 'enum' },
    required: ['equipmentCode', 'tag', 'ts', 'value'],
  },
  {
    path: '/v1/production-counts',
    table: 'fact_production',
    valid: () => ({
      equipmentCode: 'press-01',
      productCode: 'bracket',
      start: '2026-11-30T08:00:00Z',
      end: '2026-11-30T08:15:00Z',
      total: 10,
      good: 9,
    }),
    fields: {
      id: 'uuid',
      equipmentCode: 'code',
      productCode: 'code',
      start: 'time',
      end: 'time',
      total: 'count',
      good: 'count',
      scrap: 'count',
      rework: 'count',
      operator: 'text',
    },
    required: ['equipmentCode', 'productCode', 'start', 'end', 'total', 'good'],
  },
  {
    path: '/v1/state-events',
    table: 'fact_equipment_state',
    valid: () => ({
      id: randomUUID(),
      equipmentCode: 'press-01',
      state: 'stopped',
      reasonCode: 'jam',
      start: '2026-11-30T08:00:00Z',
    }),
    fields: {
      id: 'uuid',
      equipmentCode: 'code',
      state: 'enum',
      reasonCode: 'code',
      start: 'time',
      end: 'time',
    },
    required: ['id', 'equipmentCode', 'state', 'start'],
  },
  {
    path: '/v1/shifts',
    table: 'fact_shift',
    valid: () => ({
      id: randomUUID(),
      lineCode: 'L1',
      name: 'Early',
      start: '2026-11-30T06:00:00Z',
      end: '2026-11-30T14:00:00Z',
    }),
    fields: { id: 'uuid', lineCode: 'code', name: 'text', start: 'time', end: 'time' },
    required: ['id', 'lineCode', 'name', 'start', 'end'],
  },
  {
    path: '/v1/maintenance-events',
    table: 'fact_maintenance',
    valid: () => ({
      id: randomUUID(),
      equipmentCode: 'press-01',
      kind: 'preventive',
      start: '2026-11-30T06:00:00Z',
      technician: 'Ada',
    }),
    fields: {
      id: 'uuid',
      equipmentCode: 'code',
      kind: 'enum',
      start: 'time',
      end: 'time',
      technician: 'text',
      notes: 'notes',
    },
    required: ['id', 'equipmentCode', 'kind', 'start'],
  },
];

/** One malformed batch: valid records around one broken record, or a broken envelope. */
function malformed(e: Endpoint): fc.Arbitrary<unknown> {
  const fieldNames = Object.keys(e.fields);
  const brokenRecord = fc.oneof(
    fc.constantFrom(...fieldNames).chain((f) => invalid[e.fields[f]!].map((v) => ({ ...e.valid(), [f]: v }))),
    fc.constantFrom(...e.required).map((f) => {
      const r = e.valid();
      delete r[f];
      return r;
    }),
    fc
      .string({ minLength: 1, maxLength: 8 })
      .filter((k) => !(k in e.fields))
      .map((k) => ({ ...e.valid(), [k]: 1 })),
    fc.oneof(fc.constant(null), fc.integer(), fc.string(), fc.array(fc.integer())),
  );
  const batch = fc
    .tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }), brokenRecord)
    .map(([before, after, bad]) => ({
      batchId: randomUUID(),
      records: [...Array.from({ length: before }, e.valid), bad, ...Array.from({ length: after }, e.valid)],
    }));
  const envelope = fc.oneof(
    fc.constant({ batchId: 'nope', records: [e.valid()] }),
    fc.constant({ records: [e.valid()] }),
    fc.constant({ batchId: randomUUID(), records: [] }),
    fc.constant({ batchId: randomUUID(), records: 'x' }),
    fc.constant({ batchId: randomUUID(), records: [e.valid()], extra: true }),
    fc.constant([]),
    fc.constant('plain text'),
    fc.constant(null),
  );
  return fc.oneof({ weight: 9, arbitrary: batch }, { weight: 1, arbitrary: envelope });
}

describe('malformed batches', () => {
  for (const e of endpoints) {
    it(`${e.path}: 1,000 malformed bodies give only 4xx and write nothing`, async () => {
      const before = (
        await h.sql<{ n: string }>(
          `SELECT (SELECT count(*) FROM ${e.table}) + (SELECT count(*) FROM ingest_batch) AS n`,
        )
      )[0]?.n;
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(malformed(e), async (body) => {
          const res = await h.app.inject({
            method: 'POST',
            url: e.path,
            headers: { ...t.auth('ingest'), 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
          expect(res.statusCode, res.body).toBeLessThan(500);
          expect(res.headers['content-type']).toContain('application/problem+json');
        }),
        { numRuns: 1_000 },
      );
      const after = (
        await h.sql<{ n: string }>(
          `SELECT (SELECT count(*) FROM ${e.table}) + (SELECT count(*) FROM ingest_batch) AS n`,
        )
      )[0]?.n;
      expect(after).toBe(before);
      expect(statuses.get(400)).toBeGreaterThan(500);
    }, 180_000);
  }
});
