import { decryptField, encryptField, piiContext } from '@takt/crypto';
import type { BatchContext } from '../context.js';

/** Personal data is bound to its tenant, table, column and row: a ciphertext moved elsewhere fails. */
const context = (ctx: BatchContext, table: string, column: string, rowId: string) =>
  piiContext({ tenantId: ctx.tenantId, table, column, rowId });

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
  return stored === null
    ? null
    : decryptField(ctx.keyring, stored, piiContext({ tenantId: ctx.tenantId, table, column, rowId }));
}
