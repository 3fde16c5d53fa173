import { decryptField, encryptField, piiContext } from '@takt/crypto';
import type { BatchContext } from '../context.js';

/**
 * Personal data is bound to its tenant, table, column and row: a ciphertext moved elsewhere fails.
 * The row id as PostgreSQL stores it (a UUID in lower case), whatever case the client sent, so
 * sealing and opening name the same row.
 */
const context = (ctx: Pick<BatchContext, 'tenantId'>, table: string, column: string, rowId: string) =>
  piiContext({ tenantId: ctx.tenantId, table, column, rowId: rowId.toLowerCase() });

export function sealPii(
  ctx: BatchContext,
  table: string,
  column: string,
  rowId: string,
  value: string | undefined,
): string | null {
  return value === undefined ? null : encryptField(ctx.keyring, value, context(ctx, table, column, rowId));
}

export function openPii(
  ctx: Pick<BatchContext, 'tenantId' | 'keyring'>,
  table: string,
  column: string,
  rowId: string,
  stored: string | null,
): string | null {
  return stored === null ? null : decryptField(ctx.keyring, stored, context(ctx, table, column, rowId));
}
