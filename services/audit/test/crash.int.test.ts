import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { waitFor } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlant, type TestTenant } from '../../ingest/test/harness.js';
import { type Pipeline, startPipeline } from './harness.js';

const require = createRequire(import.meta.url);
const tsx = require.resolve('tsx/cli');
const main = new URL('../src/main.ts', import.meta.url).pathname;

/** The service as its own process, as infra runs it, so SIGKILL hits a real process mid-transaction. */
function spawnAudit(env: Record<string, string>): {
  child: ChildProcess;
  exited: Promise<NodeJS.Signals | number | null>;
} {
  const child = spawn(process.execPath, [tsx, main], {
    env: { ...process.env, ...env, PORT: String(40_000 + Math.floor(Math.random() * 20_000)) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  return { child, exited };
}

// Exactly one row per change: offsets are committed in the transaction that appends the rows,
// so a process killed just before or just after COMMIT loses nothing and repeats nothing.
describe('audit consumer killed around COMMIT', () => {
  let p: Pipeline;
  let t: TestTenant;
  const count = async () =>
    Number((await p.auditSql<{ n: string }>('SELECT count(*) AS n FROM audit_event'))[0]?.n);

  beforeAll(async () => {
    p = await startPipeline();
    t = await p.ingest.tenant();
    await p.startConnector();
    await seedPlant(p.ingest, t);
    const res = await p.ingest.app.inject({
      method: 'POST',
      url: '/v1/production-counts',
      headers: t.auth('ingest'),
      payload: {
        batchId: randomUUID(),
        records: [
          {
            equipmentCode: 'press-01',
            productCode: 'bracket',
            start: '2026-03-01T06:00:00Z',
            end: '2026-03-01T06:15:00Z',
            total: 5,
            good: 5,
          },
        ],
      },
    });
    expect(res.statusCode).toBe(201);
  });
  afterAll(async () => p?.close());

  it('appends each change once after SIGKILL before and after COMMIT', async () => {
    // 7 master-data rows from seedPlant, 1 production row and its ingest_batch row.
    const expected = 9;
    const crash1 = spawnAudit({ ...p.env, AUDIT_CHUNK_MESSAGES: '2', AUDIT_FAULT: 'kill-before-commit:1' });
    // tsx relays its child's SIGKILL as exit status 128 + 9.
    expect([137, 'SIGKILL']).toContain(await crash1.exited);
    expect(await count()).toBe(0);

    const crash2 = spawnAudit({ ...p.env, AUDIT_CHUNK_MESSAGES: '2', AUDIT_FAULT: 'kill-after-commit:2' });
    expect([137, 'SIGKILL']).toContain(await crash2.exited);
    const afterCrash = await count();
    expect(afterCrash).toBeGreaterThan(0);
    expect(afterCrash).toBeLessThan(expected);

    const audit = await p.startAudit();
    await waitFor(async () => (await count()) >= expected, {
      timeoutMs: 40_000,
      what: `${expected} audit rows`,
    });
    // Give a redelivery the chance to show up as an extra row.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await count()).toBe(expected);

    const rows = await p.auditSql<{
      position: string;
      entity_type: string;
      entity_id: string;
      version: string;
      lsn: string;
    }>('SELECT position, entity_type, entity_id, version, lsn::text FROM audit_event ORDER BY position');
    expect(rows.map((r) => Number(r.position))).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => `${r.entity_type}/${r.entity_id}/${r.lsn}`)).size).toBe(expected);
    expect(rows.every((r) => r.version === '1')).toBe(true);
    // ok once a checkpoint covers the last row (the idle timer signs it within seconds).
    const verdict = await waitFor(async () => {
      const res = await audit.app.inject({
        method: 'GET',
        url: '/v1/audit/verify',
        headers: t.auth('audit'),
      });
      const body = res.json() as { ok: boolean };
      return body.ok ? body : undefined;
    });
    expect(verdict).toMatchObject({ ok: true, checked: expected });
  });
});
