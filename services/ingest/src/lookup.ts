import type { TenantTx } from '@takt/db';
import { badRequest, type FieldError } from '@takt/http';

export interface EquipmentRef {
  id: string;
  lineId: string;
}

/** Collects field errors across a whole batch so the client fixes them all in one round. */
export class FieldErrors {
  readonly list: FieldError[] = [];
  add(pointer: string, detail: string): void {
    if (this.list.length < 100) this.list.push({ pointer, detail });
  }
  throwIfAny(message = 'the batch has invalid records'): void {
    if (this.list.length > 0) throw badRequest(message, this.list);
  }
}

const unique = (values: Iterable<string>) => [...new Set(values)];

/** Live (not soft-deleted) equipment by code. */
export async function equipmentByCode(
  tx: TenantTx,
  codes: Iterable<string>,
): Promise<Map<string, EquipmentRef>> {
  const rows = await tx.equipment.findMany({
    where: { code: { in: unique(codes) }, deletedAt: null },
    select: { id: true, code: true, lineId: true },
  });
  return new Map(rows.map((r) => [r.code, { id: r.id, lineId: r.lineId }]));
}

export async function lineByCode(tx: TenantTx, codes: Iterable<string>): Promise<Map<string, string>> {
  const rows = await tx.line.findMany({
    where: { code: { in: unique(codes) }, deletedAt: null },
    select: { id: true, code: true },
  });
  return new Map(rows.map((r) => [r.code, r.id]));
}

export async function productByCode(
  tx: TenantTx,
  codes: Iterable<string>,
): Promise<Map<string, { id: string; idealCycleTimeS: string }>> {
  const rows = await tx.product.findMany({
    where: { code: { in: unique(codes) }, deletedAt: null },
    select: { id: true, code: true, idealCycleTimeS: true },
  });
  return new Map(rows.map((r) => [r.code, { id: r.id, idealCycleTimeS: r.idealCycleTimeS.toString() }]));
}

export async function reasonByCode(
  tx: TenantTx,
  codes: Iterable<string>,
): Promise<Map<string, { id: string; planned: boolean }>> {
  const rows = await tx.downtimeReason.findMany({
    where: { code: { in: unique(codes) }, deletedAt: null },
    select: { id: true, code: true, planned: true },
  });
  return new Map(rows.map((r) => [r.code, { id: r.id, planned: r.planned }]));
}

/** A 400 for each record naming an unknown code (docs/api.md §4: a code that does not exist is a 400). */
export function requireCodes<T>(
  errors: FieldErrors,
  records: readonly T[],
  field: keyof T & string,
  known: Map<string, unknown>,
  what: string,
): void {
  records.forEach((r, i) => {
    const value = r[field];
    if (typeof value === 'string' && !known.has(value))
      errors.add(`/records/${i}/${field}`, `unknown ${what} "${value}"`);
  });
}

/** The live equipment the records name; a 400 for each unknown code (after the whole batch is read). */
export async function knownEquipment<T extends { equipmentCode: string }>(
  tx: TenantTx,
  errors: FieldErrors,
  records: readonly T[],
): Promise<Map<string, EquipmentRef>> {
  const equipment = await equipmentByCode(
    tx,
    records.map((r) => r.equipmentCode),
  );
  requireCodes(errors, records, 'equipmentCode', equipment, 'equipment code');
  return equipment;
}

/** Ids may appear once per batch: two versions of one interval in one request are ambiguous. */
export function requireUniqueIds(errors: FieldErrors, ids: readonly (string | undefined)[]): void {
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    if (id === undefined) return;
    const first = seen.get(id);
    if (first !== undefined) errors.add(`/records/${i}/id`, `duplicate of /records/${first}/id`);
    else seen.set(id, i);
  });
}
