import { parseArgs } from 'node:util';
import { createPrisma } from '@takt/db';
import { generateApiKey, SCOPES, type Scope } from '@takt/http';
import type { z } from 'zod';
import { boundedText } from './bounds.js';
import { code as codeSchema } from './schemas.js';

const usage = `usage: takt-ingest bootstrap-tenant --code <code> --name <name> [--scopes admin,ingest,read,audit] [--key-name <name>]

Creates the tenant if it does not exist and a new API key for it, then prints
{ tenantId, tenantCode, keys: [{ id, name, scopes, key }] } as JSON. The key is shown once.
Needs DATABASE_URL (the takt_owner or takt_app role).`;

/** The same bounds as the HTTP API (docs/limits.md): a tenant's row travels through CDC too. */
function checkOption(option: string, schema: z.ZodType, value: string | undefined): void {
  if (value === undefined) return;
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`${option}: ${result.error.issues[0]?.message}\n${usage}`);
}

async function bootstrapTenant(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      code: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string', default: 'admin' },
      'key-name': { type: 'string' },
      each: { type: 'boolean', default: false },
    },
  });
  if (!values.code) throw new Error(`--code is required\n${usage}`);
  checkOption('--code', codeSchema, values.code);
  checkOption('--name', boundedText('name'), values.name);
  checkOption('--key-name', boundedText('name'), values['key-name']);
  const scopes = values.scopes.split(',').map((s) => s.trim());
  const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad.length > 0) throw new Error(`unknown scopes: ${bad.join(', ')}`);
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const prisma = createPrisma({ url, poolMax: 1, applicationName: 'takt-cli' });
  try {
    const tenantCode = values.code;
    const result = await prisma.$transaction(async (tx) => {
      // The tenant table is under forced RLS too; the tenant_lookup policy shows a row by code.
      await tx.$executeRaw`SELECT set_config('app.tenant_code', ${tenantCode}, true)`;
      const found = await tx.tenant.findUnique({ where: { code: tenantCode }, select: { id: true } });
      let tenantId = found?.id ?? null;
      if (!tenantId) {
        tenantId = crypto.randomUUID();
        await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenantId}, true)`;
        await tx.tenant.create({ data: { id: tenantId, code: tenantCode, name: values.name ?? tenantCode } });
      } else {
        await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenantId}, true)`;
      }
      // --each: one key per scope (what `infra/takt up` prints as demo keys); else one key.
      const keySets: Scope[][] = values.each ? scopes.map((s) => [s as Scope]) : [scopes as Scope[]];
      const keys = [];
      for (const set of keySets) {
        const k = generateApiKey();
        const name = values['key-name'] ?? `${set.join('+')} key`;
        await tx.apiKey.create({ data: { id: k.id, tenantId, name, keyHash: k.hash, scopes: set } });
        keys.push({ id: k.id, name, scopes: set, key: k.key });
      }
      return { tenantId, tenantCode, keys };
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await prisma.$disconnect();
  }
}

const [command, ...rest] = process.argv.slice(2);
const run = command === 'bootstrap-tenant' ? bootstrapTenant(rest) : Promise.reject(new Error(usage));
run.catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
