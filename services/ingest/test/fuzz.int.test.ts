import { randomUUID } from 'node:crypto';
import {
  FUZZ_HTTP_LIMITS,
  type FuzzTarget,
  formatReport,
  fuzzBudgetMs,
  fuzzRuns,
  injector,
  type OpenApiDoc,
  operationName,
  operationsOf,
  runFuzz,
  type Seed,
} from '@takt/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestHarness, seedPlant, startIngest, type TestTenant } from './harness.js';

let h: IngestHarness;
let t: TestTenant;
/** A key made for the fuzzer to revoke, again and again (revoking is idempotent). */
let spareKeyId: string;
let admin: pg.Client;
// 200 cases per operation in the suite (24 × 200 requests, each followed by a write-count check);
// `pnpm fuzz` runs 10,000.
const RUNS = fuzzRuns(200);

beforeAll(async () => {
  h = await startIngest({ http: FUZZ_HTTP_LIMITS });
  t = await h.tenant();
  await seedPlant(h, t);
  const spare = await h.app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: t.auth('admin'),
    payload: { name: 'fuzz-spare', scopes: ['read'] },
  });
  spareKeyId = (spare.json() as { id: string }).id;
  // One connection for the fingerprint taken after every case.
  admin = new pg.Client({ connectionString: h.db.adminUrl });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await h?.close();
});

// A week ago on the 15-minute grid: inside the accepted time range whenever the suite runs.
const BASE_MS = Math.floor((Date.now() - 7 * 86_400_000) / 900_000) * 900_000;
const at = (minutes: number) => new Date(BASE_MS + minutes * 60_000).toISOString();
const batch = (...records: object[]) => ({ batchId: randomUUID(), records });

/** One valid request per operation the service serves; DELETE aims at a code nothing else uses. */
const SEEDS: Record<string, () => Seed> = {
  'PUT /v1/sites/{code}': () => ({
    params: { code: 'berlin' },
    body: { name: 'Berlin', timeZone: 'Europe/Berlin' },
  }),
  'PUT /v1/lines/{code}': () => ({ params: { code: 'L1' }, body: { name: 'Line 1', siteCode: 'berlin' } }),
  'PUT /v1/equipment/{code}': () => ({
    params: { code: 'press-01' },
    body: {
      name: 'Press 1',
      lineCode: 'L1',
      attributes: { vendor: 'Acme', axes: [1, 2], spec: { maxKn: 250 } },
    },
  }),
  'PUT /v1/products/{code}': () => ({
    params: { code: 'bracket' },
    body: { name: 'Bracket', idealCycleTimeS: 30 },
  }),
  'PUT /v1/downtime-reasons/{code}': () => ({
    params: { code: 'jam' },
    body: { name: 'Material jam', planned: false },
  }),
  'POST /v1/api-keys': () => ({ body: { name: 'fuzz', scopes: ['read'] } }),
  'DELETE /v1/api-keys/{id}': () => ({ params: { id: spareKeyId } }),
  'POST /v1/sensor-batches': () => ({
    body: batch(
      { equipmentCode: 'press-01', tag: 'temp', ts: at(1), value: 1.5, quality: 'good' },
      { equipmentCode: 'press-02', tag: 'temp', ts: at(2), value: -3 },
    ),
  }),
  'POST /v1/production-counts': () => ({
    body: batch({
      id: randomUUID(),
      equipmentCode: 'press-01',
      productCode: 'bracket',
      start: at(0),
      end: at(15),
      total: 10,
      good: 8,
      scrap: 1,
      rework: 1,
      orderId: 'o-1',
      operator: 'Ada',
    }),
  }),
  'POST /v1/state-events': () => ({
    body: batch({
      id: randomUUID(),
      equipmentCode: 'press-02',
      state: 'stopped',
      reasonCode: 'jam',
      start: at(-600),
      end: at(-590),
    }),
  }),
  'POST /v1/shifts': () => ({
    body: batch({ id: randomUUID(), lineCode: 'L1', name: 'Early', start: at(-1440), end: at(-960) }),
  }),
  'POST /v1/maintenance-events': () => ({
    body: batch({
      id: randomUUID(),
      equipmentCode: 'press-01',
      kind: 'preventive',
      start: at(-300),
      end: at(-280),
      technician: 'Ada',
      notes: 'oil',
    }),
  }),
  'GET /v1/production-counts/{id}': () => ({ params: { id: randomUUID() } }),
  'GET /v1/maintenance-events/{id}': () => ({ params: { id: randomUUID() } }),
};
for (const [resource, code] of [
  ['sites', 'berlin'],
  ['lines', 'L1'],
  ['equipment', 'press-01'],
  ['products', 'bracket'],
  ['downtime-reasons', 'jam'],
]) {
  SEEDS[`GET /v1/${resource}/{code}`] = () => ({ params: { code: code! } });
  SEEDS[`DELETE /v1/${resource}/{code}`] = () => ({ params: { code: 'fuzz-gone' } });
}

/**
 * Changes whenever any row of any table is inserted, updated or deleted: a row trigger on every
 * table (on a partitioned table PostgreSQL puts it on every partition, present and future) counts
 * writes in a side table, inside the writing transaction, so a request whose writes were rolled back
 * leaves the count as it was. Scanning every table instead took ~170 ms a case over the ~1,650 daily
 * partitions a database has; this reads one row. Installed only in this test's own database.
 */
async function fingerprinter(): Promise<() => Promise<string>> {
  const tables = await h.sql<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND c.relname <> '_prisma_migrations' ORDER BY 1`,
  );
  await admin.query(`
    CREATE TABLE fuzz_writes (n bigint NOT NULL);
    INSERT INTO fuzz_writes VALUES (0);
    CREATE FUNCTION fuzz_count_write() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = public AS $$ BEGIN UPDATE fuzz_writes SET n = n + 1; RETURN NULL; END $$;`);
  for (const { name } of tables)
    await admin.query(
      `CREATE TRIGGER fuzz_count_write AFTER INSERT OR UPDATE OR DELETE ON "${name}"
         FOR EACH ROW EXECUTE FUNCTION fuzz_count_write()`,
    );
  return async () => (await admin.query<{ n: string }>('SELECT n FROM fuzz_writes')).rows[0]!.n;
}

describe('schema-driven fuzzing of the ingest API', () => {
  it(
    `${RUNS} mutated requests per operation: no 5xx, problem+json errors, nothing written when rejected`,
    async () => {
      const doc = (await h.app.inject('/docs/json')).json() as OpenApiDoc;
      const ops = operationsOf(doc);
      expect(ops.map(operationName).filter((name) => !SEEDS[name])).toEqual([]);
      const targets: FuzzTarget[] = ops.map((op) => ({
        op,
        seed: SEEDS[operationName(op)]!,
        headers: t.auth(
          op.path.endsWith('-batches') || (op.method === 'POST' && !op.path.includes('api-keys'))
            ? 'ingest'
            : 'admin',
        ),
      }));
      const fingerprint = await fingerprinter();
      let last = await fingerprint();
      const report = await runFuzz(targets, {
        runs: RUNS,
        budgetMs: fuzzBudgetMs(),
        send: injector(h.app),
        check: async (_req, res) => {
          const now = await fingerprint();
          const wrote = now !== last;
          last = now;
          return res.status >= 400 && wrote ? 'a rejected request writes nothing' : undefined;
        },
      });
      console.log(formatReport('ingest', report));
      expect(report.findings).toEqual([]);
    },
    Math.max(300_000, RUNS * 1_500),
  );
});
