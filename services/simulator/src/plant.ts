import { hash32, rngFor, uniform } from './prng.js';

/** The plant the simulator runs: master data as the ingest API takes it, plus how each machine behaves. */

export type ShiftPattern = 'two-shift' | 'three-shift';

export interface Site {
  code: string;
  name: string;
  timeZone: string;
}

export interface Line {
  code: string;
  name: string;
  siteCode: string;
  pattern: ShiftPattern;
}

export type MachineKind = 'cnc' | 'press' | 'molding' | 'assembly';

export interface Equipment {
  code: string;
  name: string;
  lineCode: string;
  kind: MachineKind;
  attributes: Record<string, string | number>;
  /** 1 = as designed; lower means more micro-stops and breakdowns. */
  reliability: number;
}

export interface Product {
  code: string;
  name: string;
  idealCycleTimeS: number;
  kind: MachineKind;
}

export type ReasonClass =
  | 'micro'
  | 'wait'
  | 'breakdown'
  | 'break'
  | 'changeover'
  | 'maintenance'
  | 'handover'
  | 'idle';

export interface DowntimeReason {
  code: string;
  name: string;
  planned: boolean;
  class: ReasonClass;
}

export interface Plant {
  sites: Site[];
  lines: Line[];
  equipment: Equipment[];
  products: Product[];
  reasons: DowntimeReason[];
}

/** What a machine kind looks like on its sensors; numbers in the range of real machines of the kind. */
export interface KindProfile {
  label: string;
  vendor: string;
  runTempC: number;
  spindleRpm: number;
  powerKw: number;
}

export const KIND_PROFILES: Record<MachineKind, KindProfile> = {
  cnc: { label: 'CNC mill', vendor: 'DMG Mori', runTempC: 48, spindleRpm: 8_000, powerKw: 18 },
  press: { label: 'Stamping press', vendor: 'Schuler', runTempC: 42, spindleRpm: 1_200, powerKw: 45 },
  molding: { label: 'Injection molding', vendor: 'Engel', runTempC: 215, spindleRpm: 140, powerKw: 32 },
  assembly: { label: 'Assembly cell', vendor: 'Bosch Rexroth', runTempC: 31, spindleRpm: 1_500, powerKw: 6 },
};

const KINDS: readonly MachineKind[] = ['cnc', 'press', 'molding', 'assembly'];

export const PRODUCTS: readonly Product[] = [
  { code: 'shaft-s20', name: 'Drive shaft S20', idealCycleTimeS: 45, kind: 'cnc' },
  { code: 'flange-f80', name: 'Flange F80', idealCycleTimeS: 62, kind: 'cnc' },
  { code: 'housing-h3', name: 'Gear housing H3', idealCycleTimeS: 95, kind: 'cnc' },
  { code: 'bracket-b1', name: 'Mounting bracket B1', idealCycleTimeS: 12, kind: 'press' },
  { code: 'clip-c4', name: 'Spring clip C4', idealCycleTimeS: 6, kind: 'press' },
  { code: 'cap-k25', name: 'Screw cap K25', idealCycleTimeS: 18, kind: 'molding' },
  { code: 'cover-v2', name: 'Sensor cover V2', idealCycleTimeS: 32, kind: 'molding' },
  { code: 'module-m7', name: 'Control module M7', idealCycleTimeS: 75, kind: 'assembly' },
  { code: 'valve-a12', name: 'Valve block A12', idealCycleTimeS: 110, kind: 'assembly' },
];

export const REASONS: readonly DowntimeReason[] = [
  { code: 'jam', name: 'Material jam', planned: false, class: 'micro' },
  { code: 'misfeed', name: 'Part misfeed', planned: false, class: 'micro' },
  { code: 'sensor-fault', name: 'Sensor fault', planned: false, class: 'micro' },
  { code: 'material-shortage', name: 'Waiting for material', planned: false, class: 'wait' },
  { code: 'motor-failure', name: 'Motor failure', planned: false, class: 'breakdown' },
  { code: 'hydraulic-leak', name: 'Hydraulic leak', planned: false, class: 'breakdown' },
  { code: 'tool-breakage', name: 'Tool breakage', planned: false, class: 'breakdown' },
  { code: 'electrical-fault', name: 'Electrical fault', planned: false, class: 'breakdown' },
  { code: 'break', name: 'Break', planned: true, class: 'break' },
  { code: 'changeover', name: 'Changeover', planned: true, class: 'changeover' },
  { code: 'preventive-maintenance', name: 'Preventive maintenance', planned: true, class: 'maintenance' },
  { code: 'shift-handover', name: 'Shift handover', planned: true, class: 'handover' },
  { code: 'no-shift', name: 'No production planned', planned: true, class: 'idle' },
];

const SITES: readonly Site[] = [
  { code: 'berlin', name: 'Berlin Plant', timeZone: 'Europe/Berlin' },
  { code: 'pune', name: 'Pune Plant', timeZone: 'Asia/Kolkata' },
  { code: 'detroit', name: 'Detroit Plant', timeZone: 'America/Detroit' },
];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * `machines` equipment spread round-robin over `lines` lines, lines spread over up to three sites
 * (Berlin and Kolkata as soon as there are two lines, so local-time buckets differ by a
 * non-whole-hour offset). Every second line runs three shifts.
 */
export function buildPlant(opts: { machines: number; lines: number; seed: string }): Plant {
  const sites = SITES.slice(0, Math.max(1, Math.min(3, opts.lines)));
  const lines: Line[] = Array.from({ length: opts.lines }, (_, i) => {
    const site = sites[i % sites.length]!;
    return {
      code: `L${pad(i + 1)}`,
      name: `Line ${i + 1} (${site.name.replace(' Plant', '')})`,
      siteCode: site.code,
      pattern: i % 2 === 1 ? 'three-shift' : 'two-shift',
    };
  });
  const equipment: Equipment[] = Array.from({ length: opts.machines }, (_, i) => {
    const line = lines[i % lines.length]!;
    const kind = KINDS[Math.floor(i / lines.length) % KINDS.length]!;
    const profile = KIND_PROFILES[kind];
    const code = `${kind}-${pad(i + 1)}`;
    const rng = rngFor(opts.seed, 'equipment', code);
    return {
      code,
      name: `${profile.label} ${i + 1}`,
      lineCode: line.code,
      kind,
      attributes: {
        kind,
        vendor: profile.vendor,
        year: 2008 + (hash32(opts.seed, code, 'year') % 17),
        ratedPowerKw: profile.powerKw,
      },
      reliability: uniform(rng, 0.6, 1.1),
    };
  });
  return { sites, lines, equipment, products: [...PRODUCTS], reasons: [...REASONS] };
}

export const productsFor = (kind: MachineKind): Product[] => PRODUCTS.filter((p) => p.kind === kind);

export const reasonsOf = (cls: ReasonClass): DowntimeReason[] => REASONS.filter((r) => r.class === cls);

export function productByCode(code: string): Product {
  const p = PRODUCTS.find((x) => x.code === code);
  if (!p) throw new Error(`unknown product ${code}`);
  return p;
}
