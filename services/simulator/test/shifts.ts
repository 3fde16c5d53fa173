import type { ShiftFact } from '../src/model.js';

/** True when no two shifts of the same owner (line or equipment) overlap. */
export function shiftsNeverOverlap(shifts: readonly ShiftFact[]): boolean {
  const byOwner = new Map<string, ShiftFact[]>();
  for (const s of shifts) {
    const owner = s.lineCode ? `line:${s.lineCode}` : `equipment:${s.equipmentCode}`;
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), s]);
  }
  for (const list of byOwner.values()) {
    const sorted = [...list].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    for (let i = 1; i < sorted.length; i++) {
      if (Date.parse(sorted[i]!.start) < Date.parse(sorted[i - 1]!.end)) return false;
    }
  }
  return true;
}
