/**
 * The facts the OEE math reads, as the projector mirrors them (docs/data-model.md, docs/oee.md §3–§5).
 * All times are integer epoch milliseconds; intervals are half-open `[start, end)`.
 */

/** Whose shift it is decides who owns overlapping time: the equipment's own shift wins over its line's. */
export type ShiftOwner = 'equipment' | 'line';

export interface Shift {
  readonly id: string;
  readonly name: string;
  readonly owner: ShiftOwner;
  readonly start: number;
  readonly end: number;
}

export type EquipmentState = 'running' | 'stopped' | 'planned_stop';

export interface StateInterval {
  readonly state: EquipmentState;
  readonly start: number;
  /** `null` while the state is open: it extends to the evaluation time. */
  readonly end: number | null;
}

export interface ProductionRecord {
  readonly start: number;
  readonly end: number;
  readonly total: number;
  readonly good: number;
  readonly scrap: number;
  readonly rework: number;
  /** PRI, copied from the product when the record was written, so later product edits never rewrite history. */
  readonly idealCycleTimeMs: number;
}

export type MaintenanceKind = 'preventive' | 'corrective';

export interface MaintenanceEvent {
  readonly kind: MaintenanceKind;
  readonly start: number;
  /** `null` while the work is still going on: it extends to the evaluation time. */
  readonly end: number | null;
}
