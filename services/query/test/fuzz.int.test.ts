import {
  FUZZ_HTTP_LIMITS,
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QueryHarness, startQuery, type TestTenant } from './harness.js';

let h: QueryHarness;
let t: TestTenant;
const RUNS = fuzzRuns(200);

beforeAll(async () => {
  h = await startQuery({ http: FUZZ_HTTP_LIMITS });
  t = await h.tenant();
  const row = { tenant_id: t.id, deleted_at_ms: 0, lsn: 1, is_deleted: 0 };
  await h.insert('dim_site_v1', [{ ...row, id: 's1', code: 'S1', name: 'S1', time_zone: 'Europe/Berlin' }]);
  await h.insert('dim_line_v1', [{ ...row, id: 'l1', code: 'L1', name: 'L1', site_id: 's1' }]);
  await h.insert('dim_equipment_v1', [{ ...row, id: 'e1', code: 'E1', name: 'E1', line_id: 'l1' }]);
});
afterAll(() => h?.close());

// A day a week ago: inside the accepted time range whenever the suite runs.
const DAY_MS = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 7 * 86_400_000;
const window = { from: new Date(DAY_MS).toISOString(), to: new Date(DAY_MS + 86_400_000).toISOString() };

/** One valid request per operation the service serves. */
const SEEDS: Record<string, () => Seed> = {
  'GET /v1/oee': () => ({ query: { scope: 'equipment', ids: 'E1', ...window, granularity: 'hour' } }),
  'GET /v1/kpis': () => ({ query: { scope: 'line', ids: 'L1', ...window } }),
  'GET /v1/downtime/pareto': () => ({ query: { scope: 'site', ids: 'S1', ...window } }),
  'GET /v1/sensors/series': () => ({ query: { equipmentCode: 'E1', tag: 'temp', ...window, step: '1h' } }),
  'GET /v1/freshness': () => ({}),
};

describe('schema-driven fuzzing of the query API', () => {
  it(
    `${RUNS} mutated requests per operation: no 5xx, problem+json errors`,
    async () => {
      const ops = operationsOf((await h.app.inject('/docs/json')).json() as OpenApiDoc);
      expect(ops.map(operationName).filter((name) => !SEEDS[name])).toEqual([]);
      const report = await runFuzz(
        ops.map((op) => ({ op, seed: SEEDS[operationName(op)]!, headers: t.auth('read') })),
        { runs: RUNS, budgetMs: fuzzBudgetMs(), parallel: 4, send: injector(h.app) },
      );
      console.log(formatReport('query', report));
      expect(report.findings).toEqual([]);
    },
    Math.max(120_000, RUNS * 300),
  );
});
