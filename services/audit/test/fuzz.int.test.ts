import { generateKeyPairSync } from 'node:crypto';
import { createMetricsRegistry, type TaktApp } from '@takt/http';
import { createLogger } from '@takt/log';
import {
  createTestDatabase,
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
  type TestDatabase,
} from '@takt/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestHarness, startIngest, type TestTenant } from '../../ingest/test/harness.js';
import { buildApp } from '../src/app.js';
import { signerFromPem, TrustedKeys } from '../src/checkpoint.js';
import { migrateAudit } from '../src/migrate.js';
import { AuditStore } from '../src/store.js';

/** The audit app over a migrated audit database, keys checked in the takt database: no Kafka needed. */
let ingest: IngestHarness;
let auditDb: TestDatabase;
let pools: pg.Pool[];
let app: TaktApp;
let t: TestTenant;
const RUNS = fuzzRuns(200);

beforeAll(async () => {
  ingest = await startIngest();
  t = await ingest.tenant();
  auditDb = await createTestDatabase({ prefix: 'takt_audit_fuzz', owner: 'takt_audit_owner' });
  await migrateAudit(auditDb.urlFor('takt_audit_owner'));
  const auditPool = new pg.Pool({ connectionString: auditDb.urlFor('takt_audit_writer'), max: 4 });
  pools = [auditPool];
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const signer = signerFromPem(pem);
  app = await buildApp({
    store: new AuditStore(auditPool, signer, { everyEvents: 1_000, everyMs: 60_000 }),
    resolveKey: ingest.keys.resolve,
    logger: createLogger({ service: 'audit', level: 'silent' }),
    metrics: createMetricsRegistry('audit'),
    publicKeyPem: signer.publicKeyPem,
    trusted: TrustedKeys.fromPem(signer.publicKeyPem),
    readiness: {},
    http: FUZZ_HTTP_LIMITS,
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  for (const p of pools ?? []) await p.end();
  await auditDb?.drop();
  await ingest?.close();
});

/** One valid request per operation the service serves. */
const SEEDS: Record<string, () => Seed> = {
  'GET /v1/audit/streams/{entityType}/{entityId}': () => ({
    params: { entityType: 'equipment', entityId: 'press-01' },
    query: { fromVersion: '1', limit: '10' },
  }),
  'GET /v1/audit/events': () => ({ query: { fromPosition: '1', limit: '100' } }),
  'GET /v1/audit/verify': () => ({ query: { fromPosition: '1', toPosition: '10' } }),
  'GET /v1/audit/checkpoints/latest': () => ({}),
  'GET /v1/audit/public-key': () => ({}),
};

describe('schema-driven fuzzing of the audit API', () => {
  it(
    `${RUNS} mutated requests per operation: no 5xx, problem+json errors`,
    async () => {
      const ops = operationsOf((await app.inject('/docs/json')).json() as OpenApiDoc);
      expect(ops.map(operationName).filter((name) => !SEEDS[name])).toEqual([]);
      const report = await runFuzz(
        ops.map((op) => ({ op, seed: SEEDS[operationName(op)]!, headers: t.auth('audit') })),
        { runs: RUNS, budgetMs: fuzzBudgetMs(), parallel: 4, send: injector(app) },
      );
      console.log(formatReport('audit', report));
      expect(report.findings).toEqual([]);
    },
    Math.max(120_000, RUNS * 300),
  );
});
