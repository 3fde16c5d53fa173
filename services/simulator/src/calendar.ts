import type { Equipment, Line, Plant, ShiftPattern } from './plant.js';
import { hash32, stableUuid } from './prng.js';
import { addDays, DAY, dayNumber, type LocalDate, localDateOf, localToUtc, weekday } from './time.js';

/** Shift calendars in the site's local time: what the ingest API calls shifts (planned operation time). */

export interface ShiftInstance {
  id: string;
  owner: { kind: 'line' | 'equipment'; code: string };
  name: string;
  start: number;
  end: number;
}

interface ShiftTemplate {
  name: string;
  /** Minutes after local midnight of the day the shift starts; the end may pass midnight. */
  startMin: number;
  endMin: number;
}

const TEMPLATES: Record<ShiftPattern, readonly ShiftTemplate[]> = {
  'two-shift': [
    { name: 'Early', startMin: 6 * 60, endMin: 14 * 60 },
    { name: 'Late', startMin: 14 * 60, endMin: 22 * 60 },
  ],
  'three-shift': [
    { name: 'Early', startMin: 6 * 60, endMin: 14 * 60 },
    { name: 'Late', startMin: 14 * 60, endMin: 22 * 60 },
    { name: 'Night', startMin: 22 * 60, endMin: 30 * 60 },
  ],
};

/** Saturday morning overtime for one machine: after the line's Friday night shift, never on top of it. */
const OVERTIME: ShiftTemplate = { name: 'Overtime', startMin: 6 * 60, endMin: 12 * 60 };
const OVERTIME_SHARE = 0.2;

function zoneOf(plant: Plant, line: Line): string {
  const site = plant.sites.find((s) => s.code === line.siteCode);
  if (!site) throw new Error(`line ${line.code} has no site`);
  return site.timeZone;
}

export function lineOf(plant: Plant, equipment: Equipment): Line {
  const line = plant.lines.find((l) => l.code === equipment.lineCode);
  if (!line) throw new Error(`equipment ${equipment.code} has no line`);
  return line;
}

/** Local dates whose shifts can touch [from, to): one day of margin for night shifts. */
function localDays(from: number, to: number, zone: string): LocalDate[] {
  const days: LocalDate[] = [];
  const last = dayNumber(localDateOf(to, zone));
  for (let d = addDays(localDateOf(from, zone), -1); dayNumber(d) <= last; d = addDays(d, 1)) days.push(d);
  return days;
}

const instance = (
  seed: string,
  owner: ShiftInstance['owner'],
  t: ShiftTemplate,
  date: LocalDate,
  zone: string,
): ShiftInstance => {
  const start = localToUtc(date, t.startMin, zone);
  const end = localToUtc(date, t.endMin, zone);
  return { id: stableUuid(seed, 'shift', owner.kind, owner.code, start), owner, name: t.name, start, end };
};

/** A line's shifts that overlap [from, to), in time order: Monday to Friday (by start day), weekends off. */
export function lineShifts(
  plant: Plant,
  seed: string,
  line: Line,
  from: number,
  to: number,
): ShiftInstance[] {
  const zone = zoneOf(plant, line);
  const out: ShiftInstance[] = [];
  for (const date of localDays(from, to, zone)) {
    if (weekday(date) > 5) continue;
    for (const t of TEMPLATES[line.pattern]) {
      const s = instance(seed, { kind: 'line', code: line.code }, t, date, zone);
      if (s.start < to && s.end > from) out.push(s);
    }
  }
  return out;
}

/** An equipment's own overtime shifts that overlap [from, to): some Saturdays, decided per week by the seed. */
export function equipmentShifts(
  plant: Plant,
  seed: string,
  equipment: Equipment,
  from: number,
  to: number,
): ShiftInstance[] {
  const zone = zoneOf(plant, lineOf(plant, equipment));
  const out: ShiftInstance[] = [];
  for (const date of localDays(from, to, zone)) {
    if (weekday(date) !== 6) continue;
    if (hash32(seed, 'overtime', equipment.code, dayNumber(date)) / 4294967296 >= OVERTIME_SHARE) continue;
    const s = instance(seed, { kind: 'equipment', code: equipment.code }, OVERTIME, date, zone);
    if (s.start < to && s.end > from) out.push(s);
  }
  return out;
}

/** Every shift that applies to the equipment (its line's and its own), in time order; they never overlap. */
export function effectiveShifts(
  plant: Plant,
  seed: string,
  equipment: Equipment,
  from: number,
  to: number,
): ShiftInstance[] {
  return [
    ...lineShifts(plant, seed, lineOf(plant, equipment), from, to),
    ...equipmentShifts(plant, seed, equipment, from, to),
  ].sort((a, b) => a.start - b.start);
}

/** Every shift record of the plant that overlaps [from, to), in start order. */
export function allShifts(plant: Plant, seed: string, from: number, to: number): ShiftInstance[] {
  return [
    ...plant.lines.flatMap((l) => lineShifts(plant, seed, l, from, to)),
    ...plant.equipment.flatMap((e) => equipmentShifts(plant, seed, e, from, to)),
  ].sort((a, b) => a.start - b.start || (a.owner.code < b.owner.code ? -1 : 1));
}

/** The longest time between two shifts of one equipment (a weekend plus margin): how far to look for neighbours. */
export const MAX_SHIFT_GAP = 4 * DAY;
