import type { StateFact } from '../src/model.js';

/** The ingest service's state-stream rules (docs/api.md §2.3), replayed in memory. */

export interface StoredState {
  id: string;
  equipmentCode: string;
  state: StateFact['state'];
  reasonCode?: string;
  start: number;
  end: number | null;
}

/**
 * Applies state records in array order as the ingest service does, throwing where it would
 * answer 409: a new state closes the open one at its start (and must start after it), an
 * interval may not overlap another, a closed state is reopened only if it is the latest.
 */
export function applyStates(records: readonly StateFact[], store = new Map<string, StoredState>()) {
  const byEquipment = (code: string) => [...store.values()].filter((s) => s.equipmentCode === code);
  const overlaps = (s: StoredState) =>
    byEquipment(s.equipmentCode).find(
      (o) =>
        o.id !== s.id &&
        o.start < (s.end ?? Number.POSITIVE_INFINITY) &&
        s.start < (o.end ?? Number.POSITIVE_INFINITY),
    );
  for (const r of records) {
    const next: StoredState = {
      id: r.id,
      equipmentCode: r.equipmentCode,
      state: r.state,
      ...(r.reasonCode ? { reasonCode: r.reasonCode } : {}),
      start: Date.parse(r.start),
      end: r.end ? Date.parse(r.end) : null,
    };
    const before = store.get(r.id);
    if (before) {
      if (before.equipmentCode !== r.equipmentCode) throw new Error(`409 owner change ${r.id}`);
      if (
        next.end === null &&
        before.end !== null &&
        byEquipment(r.equipmentCode).some((o) => o.start > before.start)
      ) {
        throw new Error(`409 reopen of ${r.id}, which is not the latest`);
      }
    } else {
      const open = byEquipment(r.equipmentCode).find((o) => o.end === null);
      if (open) {
        if (next.start <= open.start) throw new Error(`409 ${r.id} starts at or before open ${open.id}`);
        open.end = next.start;
      }
    }
    const clash = overlaps(next);
    if (clash) throw new Error(`409 ${r.id} overlaps ${clash.id}`);
    store.set(r.id, next);
  }
  return store;
}

/** Records folded by key, the later one winning: what a store holds after upserts. */
export function foldBy<T>(records: readonly T[], key: (r: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const r of records) out.set(key(r), r);
  return out;
}
