import { createTestDatabase, pgUrl, type TestDatabase, withAdmin } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient, withTenant } from '../src/index.js';
import { ensureTemplateDatabase, TEMPLATE_DATABASE } from '../src/template.js';
import { describeRun, prisma as prismaCli } from './prisma-cli.js';

describe('createPrisma and withTenant', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  const acme = '0b7c3f6e-64a5-4c1e-9d0e-5b1f0b8a9a01';
  const globex = '6d2e1c44-2f0b-4e6a-8c55-0a8f7b3e1c02';

  beforeAll(async () => {
    await ensureTemplateDatabase({ adminUrl: pgUrl('postgres') });
    db = await createTestDatabase({
      prefix: 'takt_db_client',
      template: TEMPLATE_DATABASE,
      owner: 'takt_owner',
    });
    const deploy = await prismaCli(['migrate', 'deploy'], db.urlFor('takt_owner'));
    expect(deploy.code, describeRun(deploy)).toBe(0);
    // The migrations give tenant its forced RLS policy; the superuser sees past it to seed.
    await withAdmin(db.name, async (c) => {
      await c.query(
        `INSERT INTO tenant (id, code, name) VALUES ('${acme}', 'acme', 'Acme'), ('${globex}', 'globex', 'Globex')`,
      );
    });
    // One connection, so the checks below see the session a transaction ran on.
    prisma = createPrisma({
      url: db.urlFor('takt_app'),
      poolMax: 1,
      statementTimeoutMs: 4_000,
      applicationName: 'takt-db-test',
    });
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  it('queries through the generated client and the pg pool settings', async () => {
    const rows = await prisma.$queryRaw<{ timeout: string; app: string; who: string }[]>`
      SELECT current_setting('statement_timeout') AS timeout, current_setting('application_name') AS app, current_user AS who`;
    expect(rows).toEqual([{ timeout: '4s', app: 'takt-db-test', who: 'takt_app' }]);
  });

  it('shows a tenant only its own rows', async () => {
    const seen = await withTenant(prisma, acme, (tx) => tx.tenant.findMany({ select: { code: true } }));
    expect(seen).toEqual([{ code: 'acme' }]);
    expect(await prisma.tenant.findMany()).toEqual([]);
  });

  it('sets request id and changed-by for the transaction only', async () => {
    const inside = await withTenant(
      prisma,
      globex,
      (tx) => tx.$queryRaw<{ tenant: string; request: string; by: string }[]>`
        SELECT current_setting('app.tenant_id', true) AS tenant,
               current_setting('app.request_id', true) AS request,
               current_setting('app.changed_by', true) AS by`,
      { requestId: 'req-1', changedBy: 'key-7' },
    );
    expect(inside).toEqual([{ tenant: globex, request: 'req-1', by: 'key-7' }]);
    const after = await prisma.$queryRaw<{ tenant: string | null }[]>`
      SELECT nullif(current_setting('app.tenant_id', true), '') AS tenant`;
    expect(after).toEqual([{ tenant: null }]);
  });

  it('rejects writes into another tenant and rolls the transaction back', async () => {
    await expect(
      withTenant(prisma, acme, async (tx) => {
        await tx.tenant.create({ data: { code: 'acme-2', name: 'Acme 2' } });
      }),
    ).rejects.toThrow(/row-level security/);
    const codes = await withAdmin(db.name, (c) =>
      c.query<{ code: string }>('SELECT code FROM tenant ORDER BY code'),
    );
    expect(codes.rows.map((r) => r.code)).toEqual(['acme', 'globex']);
  });
});
