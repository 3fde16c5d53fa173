import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../ingest/test/harness.js';
import { SigningKeyError, signerFromPem } from '../src/checkpoint.js';
import { hashEvent, type PendingEvent } from '../src/event.js';
import type { AuditService } from '../src/service.js';
import { type Pipeline, startPipeline } from './harness.js';

const require = createRequire(import.meta.url);
const tsx = require.resolve('tsx/cli');
const cliPath = new URL('../src/cli.ts', import.meta.url).pathname;

/** The CLI as an auditor runs it: its own process, its exit status and its stdout. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsx, cliPath, ...args],
      { env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
      (err, stdout) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout }),
    );
  });
}

// GET /v1/audit/verify and `cli verify-export` over a real audit database, across a key rotation.
describe('audit verification against PostgreSQL', () => {
  let p: Pipeline;
  let t: TestTenant;
  let audit: AuditService | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'takt-audit-verify-'));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const newKey = (name: string) =>
    file(name, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const oldKey = newKey('old.pem');
  const newKeyFile = newKey('new.pem');
  const pub = (keyFile: string) => signerFromPem(readFileSync(keyFile, 'utf8')).publicKeyPem;
  const oldPub = file('old.pub.pem', pub(oldKey));
  const newPub = file('new.pub.pem', pub(newKeyFile));
  const bothPub = file('trusted.pem', `${pub(oldKey)}${pub(newKeyFile)}`);
  let offset = 0;

  // No idle-time checkpoints: only every 5 events, so which positions are signed is known.
  const start = async (signing: string, trusted?: string) => {
    await audit?.stop();
    audit = await p.startAudit({
      AUDIT_SIGNING_KEY_FILE: signing,
      AUDIT_CHECKPOINT_EVERY_MS: '3600000',
      ...(trusted ? { AUDIT_TRUSTED_KEYS_FILE: trusted } : {}),
    });
    return audit;
  };
  /** Appends n events, one transaction each, as the consumer would. */
  const append = async (n: number) => {
    for (let i = 0; i < n; i++) {
      offset += 1;
      const event: PendingEvent = {
        tenantId: t.id,
        entityType: 'site',
        entityId: 'hamburg',
        op: 'update',
        before: { name: `Hamburg ${offset - 1}` },
        after: { name: `Hamburg ${offset}` },
        lsn: String(1_000_000 + offset),
        txId: 500 + offset,
        committedAt: '2026-03-01T05:00:00.000Z',
        changedBy: null,
        requestId: `req-${offset}`,
      };
      await audit!.store.append({
        groupId: 'verify-test',
        topic: 'verify-test',
        partition: 0,
        items: [{ offset: String(offset), event }],
      });
    }
  };
  const verify = async (query = '') => {
    const res = await audit!.app.inject({
      method: 'GET',
      url: `/v1/audit/verify${query}`,
      headers: t.auth('audit'),
    });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };
  const exportChain = async (...args: string[]) => {
    const r = await cli(['export', '--tenant', t.id, ...args], { DATABASE_URL: p.env.DATABASE_URL! });
    expect(r.code).toBe(0);
    return r.out;
  };
  const verifyExport = async (text: string, ...keys: string[]) => {
    const r = await cli([
      'verify-export',
      ...keys.flatMap((k) => ['--public-key', k]),
      '--in',
      file('x.jsonl', text),
    ]);
    return { code: r.code, body: JSON.parse(r.out) as Record<string, unknown> };
  };

  beforeAll(async () => {
    p = await startPipeline();
    t = await p.ingest.tenant();
    // Positions 1..10 signed by the old key (checkpoints at 5 and 10).
    await start(oldKey);
    await append(10);
    // Rotation: the new key signs, both keys are trusted.
    await start(newKeyFile, bothPub);
    await append(10);
  }, 120_000);
  afterAll(async () => {
    await audit?.stop();
    await p?.close();
  });

  it('verifies checkpoints of the old and the new key once both are trusted', async () => {
    const v = await verify();
    expect(v.body).toMatchObject({
      ok: true,
      status: 'verified',
      checked: 20,
      checkpoints: 4,
      verifiedThrough: 20,
      fromPosition: 1,
      toPosition: 20,
      lastPosition: 20,
      checkpoint: { position: 20 },
    });
    expect(v.body.firstBadPosition).toBeUndefined();
  });

  it('clips a toPosition past the end of the chain and echoes it, instead of reporting tampering', async () => {
    const v = await verify('?toPosition=1000');
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ ok: true, toPosition: 20, lastPosition: 20, checked: 20 });
    expect(v.body.firstBadPosition).toBeUndefined();
    const bad = await verify('?fromPosition=5&toPosition=4');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errors: [{ pointer: '/query/toPosition' }] });
    const past = await verify('?fromPosition=21');
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ errors: [{ pointer: '/query/fromPosition' }] });
  });

  it('refuses to start when the signing key is not among the trusted keys', async () => {
    await expect(
      p.startAudit({ AUDIT_SIGNING_KEY_FILE: newKeyFile, AUDIT_TRUSTED_KEYS_FILE: oldPub }),
    ).rejects.toThrow(SigningKeyError);
  });

  it('offline: an export verifies with both keys and fails without the old one', async () => {
    const text = await exportChain();
    expect(await verifyExport(text, bothPub)).toMatchObject({ code: 0, body: { ok: true, checked: 20 } });
    expect(await verifyExport(text, oldPub, newPub)).toMatchObject({ code: 0, body: { ok: true } });
    expect(await verifyExport(text, newPub)).toMatchObject({
      code: 2,
      body: { ok: false, status: 'failed', failure: { position: 5, reason: 'checkpoint_untrusted' } },
    });
    expect((await cli(['verify-export', '--in', file('y.jsonl', text)])).code).toBe(1);
  });

  it('offline: a rewritten export without its checkpoint lines is not ok', async () => {
    const text = await exportChain();
    const lines = text.trim().split('\n');
    // Events renamed and re-hashed from position 3 on (what someone rewriting history does), checkpoints dropped.
    let prevHash = '';
    const forged = lines.flatMap((line, i) => {
      if (i === 0) return [line];
      const parsed = JSON.parse(line) as { event?: Parameters<typeof hashEvent>[0] & { hash: string } };
      if (!parsed.event) return [];
      const e = parsed.event;
      if (e.position < 3) {
        prevHash = e.hash;
        return [line];
      }
      const unhashed = { ...e, prevHash, after: { name: 'Forged' } };
      const hash = hashEvent(unhashed);
      prevHash = hash;
      return [JSON.stringify({ event: { ...unhashed, hash } })];
    });
    expect(await verifyExport(forged.join('\n'), bothPub)).toMatchObject({
      code: 3,
      body: {
        ok: false,
        status: 'unverified',
        checked: 20,
        verifiedThrough: 0,
        unverified: { fromPosition: 1, toPosition: 20, count: 20 },
      },
    });
  });

  it('reports events after the last checkpoint as an unverified tail, online and offline', async () => {
    await append(3);
    const v = await verify();
    expect(v.body).toMatchObject({
      ok: false,
      status: 'unverified',
      checked: 23,
      verifiedThrough: 20,
      unverified: { fromPosition: 21, toPosition: 23, count: 3 },
    });
    expect(v.body.firstBadPosition).toBeUndefined();
    expect(await verifyExport(await exportChain(), bothPub)).toMatchObject({
      code: 3,
      body: { ok: false, status: 'unverified', unverified: { count: 3 } },
    });
    expect(await verifyExport(await exportChain('--from', '6', '--to', '20'), bothPub)).toMatchObject({
      code: 0,
      body: { ok: true, checked: 15, checkpoints: 3 },
    });
  });

  it('fails a checkpoint signed by a key removed from the trusted list', async () => {
    await start(newKeyFile, newPub);
    expect((await verify()).body).toMatchObject({
      ok: false,
      status: 'failed',
      firstBadPosition: 5,
      failure: { position: 5, reason: 'checkpoint_untrusted' },
    });
    // The range after the old key's checkpoints still verifies with the new key alone.
    expect((await verify('?fromPosition=11&toPosition=20')).body).toMatchObject({ ok: true, checkpoints: 2 });
    await start(newKeyFile, bothPub);
  });

  it('fails a checkpoint row a superuser deleted, and a truncated log', async () => {
    // What a superuser can do: switch the append-only triggers off for the session.
    const asSuperuser = (sql: string) =>
      p.auditSql(`DO $$ BEGIN SET LOCAL session_replication_role = replica; ${sql}; END $$`);
    await asSuperuser(`DELETE FROM audit_checkpoint WHERE tenant_id = '${t.id}' AND position = 10`);
    expect((await verify()).body).toMatchObject({
      ok: false,
      failure: { position: 15, reason: 'checkpoint_link' },
      verifiedThrough: 5,
    });
    await asSuperuser(`DELETE FROM audit_event WHERE tenant_id = '${t.id}' AND position > 17`);
    expect((await verify('?fromPosition=16')).body).toMatchObject({
      ok: false,
      toPosition: 20,
      failure: { position: 18, reason: 'position' },
    });
  });
});
