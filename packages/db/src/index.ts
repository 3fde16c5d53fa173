import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { type Prisma, PrismaClient } from '../generated/prisma/client.js';

export * from '../generated/prisma/client.js';
export { ensureMigratedTemplate, migrateDeploy } from './migrated-template.js';
export { ensureTemplateDatabase, TEMPLATE_DATABASE, type TemplateOptions } from './template.js';

export interface PrismaOptions {
  url: string;
  /** Connections in this process's pool; behind PgBouncer keep it small. */
  poolMax?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  applicationName?: string;
  onPoolError?: (err: Error) => void;
  /** Receives the pool, e.g. to export its connection counts as metrics. */
  onPool?: (pool: pg.Pool) => void;
}

/**
 * A PrismaClient over @prisma/adapter-pg (Prisma 7 has no query engine binary: the query
 * compiler runs in-process and the SQL goes through this pg pool). `$disconnect()` ends the pool.
 */
export function createPrisma(opts: PrismaOptions): PrismaClient {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolMax ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    // Sent as a startup parameter, so it holds for every statement on the connection. Behind
    // PgBouncer this needs `ignore_startup_parameters = statement_timeout` or a role default.
    ...(opts.statementTimeoutMs !== undefined ? { statement_timeout: opts.statementTimeoutMs } : {}),
    ...(opts.applicationName !== undefined ? { application_name: opts.applicationName } : {}),
  });
  opts.onPool?.(pool);
  const adapter = new PrismaPg(pool, {
    disposeExternalPool: true,
    ...(opts.onPoolError ? { onPoolError: opts.onPoolError } : {}),
  });
  return new PrismaClient({ adapter });
}

export type TenantTx = Prisma.TransactionClient;

export interface TenantContext {
  /** Request id of the HTTP request or batch, copied into audited rows by triggers. */
  requestId?: string;
  /** API key id that made the change. */
  changedBy?: string;
  timeoutMs?: number;
  maxWaitMs?: number;
  isolationLevel?: Prisma.TransactionIsolationLevel;
}

/**
 * Runs `fn` in one interactive transaction with the tenant set for row-level security.
 * `set_config(…, true)` is transaction-local: the setting ends with the transaction, so a
 * pooled connection (PgBouncer in transaction mode included) never carries it to the next
 * tenant. Policies and triggers read it with `current_setting('app.tenant_id', true)`; a GUC
 * once set in a session reads as '' afterwards, so compare through nullif(…, '').
 */
export async function withTenant<T>(
  prisma: PrismaClient,
  tenantId: string,
  fn: (tx: TenantTx) => Promise<T>,
  context: TenantContext = {},
): Promise<T> {
  if (tenantId === '') throw new Error('withTenant: tenantId is empty');
  return prisma.$transaction(
    async (tx) => {
      // One round trip; an absent value is set to '' so it reads like an unset one.
      await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenantId}, true),
        set_config('app.request_id', ${context.requestId ?? ''}, true),
        set_config('app.changed_by', ${context.changedBy ?? ''}, true)`;
      return fn(tx);
    },
    {
      ...(context.timeoutMs !== undefined ? { timeout: context.timeoutMs } : {}),
      ...(context.maxWaitMs !== undefined ? { maxWait: context.maxWaitMs } : {}),
      ...(context.isolationLevel !== undefined ? { isolationLevel: context.isolationLevel } : {}),
    },
  );
}

/** The PostgreSQL SQLSTATE behind a Prisma error (typed and raw queries alike), if there is one. */
export function pgErrorCode(err: unknown): string | undefined {
  const meta = (err as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null)
    ?.meta;
  const code = meta?.driverAdapterError?.cause?.originalCode;
  return typeof code === 'string' ? code : undefined;
}
