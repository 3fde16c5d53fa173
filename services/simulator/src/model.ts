import { allShifts, effectiveShifts, MAX_SHIFT_GAP, type ShiftInstance } from './calendar.js';
import {
  type Equipment,
  KIND_PROFILES,
  type Plant,
  productsFor,
  type ReasonClass,
  reasonsOf,
} from './plant.js';
import {
  binomial,
  exponential,
  hash32,
  logUniform,
  normal,
  pick,
  type Rng,
  rngFor,
  stableUuid,
  uniform,
} from './prng.js';
import { DAY, HOUR, iso, MINUTE, SECOND } from './time.js';

/**
 * The factory model: given a seed and a time range, the facts a plant would have posted, in
 * time order. Every decision is drawn from a generator seeded by what it is about (a machine's
 * shift, a reading's instant), so any range comes out the same whether generated alone or as
 * part of a longer one, and a live run continues exactly where a backfill stopped.
 */

export type StateName = 'running' | 'stopped' | 'planned_stop';

export interface StateFact {
  id: string;
  equipmentCode: string;
  state: StateName;
  reasonCode?: string;
  start: string;
  end?: string;
}

export interface ProductionFact {
  id: string;
  equipmentCode: string;
  productCode: string;
  start: string;
  end: string;
  total: number;
  good: number;
  scrap: number;
  rework: number;
  orderId: string;
  operator: string;
}

export type SensorTag = 'temperature' | 'spindle_speed' | 'power';

export interface SensorFact {
  equipmentCode: string;
  tag: SensorTag;
  ts: string;
  value: number;
  quality?: 'uncertain' | 'bad';
}

export interface ShiftFact {
  id: string;
  lineCode?: string;
  equipmentCode?: string;
  name: string;
  start: string;
  end: string;
}

export interface MaintenanceFact {
  id: string;
  equipmentCode: string;
  kind: 'preventive' | 'corrective';
  start: string;
  end?: string;
  technician: string;
  notes: string;
}

export interface Facts {
  shifts: ShiftFact[];
  states: StateFact[];
  production: ProductionFact[];
  maintenance: MaintenanceFact[];
  sensors: SensorFact[];
}

export type FactKind = keyof Facts;
export const FACT_KINDS: readonly FactKind[] = ['shifts', 'states', 'production', 'maintenance', 'sensors'];

/**
 * Intervals that started before `from`:
 * - `none`: left out (they belong to the range before, generated with the same `asOf`);
 * - `all`: included, the first range of a run, so the run does not begin with a gap;
 * - `{ postedAsOf, deferred }`: included when they were still open at `postedAsOf` and have
 *   ended by `asOf` (a live run re-posts them closed); when that range `deferred` its open
 *   intervals and this one posts them, also those still open.
 */
export type CarryIn = 'none' | 'all' | { postedAsOf: number; deferred?: boolean };

export interface GenerateRange {
  from: number;
  to: number;
  /** What is known: an interval ending after `asOf` is posted open. Defaults to `to`, never before it. */
  asOf?: number;
  carryIn?: CarryIn;
  /**
   * What to do with an interval still open at `asOf`: `post` it without an end (the live edge),
   * or `defer` it until a later range sees it closed. A run catching up behind the wall clock
   * defers, so it never posts open what an earlier run already stored closed (a reopen is a 409).
   */
  open?: 'post' | 'defer';
}

interface RunInfo {
  productCode: string;
  speed: number;
  scrapRate: number;
  reworkRate: number;
  orderId: string;
  operator: string;
}

interface Segment {
  id: string;
  state: StateName;
  reasonCode?: string;
  reasonClass?: ReasonClass;
  start: number;
  end: number;
  run?: RunInfo;
}

interface Maintenance {
  id: string;
  kind: 'preventive' | 'corrective';
  start: number;
  end: number;
  technician: string;
  notes: string;
}

interface ShiftTimeline {
  segments: Segment[];
  maintenance: Maintenance[];
}

interface ShiftPlan {
  first: string;
  second?: { productCode: string; at: number };
  speed: number;
  scrapRate: number;
  reworkRate: number;
  operator: string;
}

const OPERATORS = [
  'M. Schulz',
  'A. Patel',
  'J. Weber',
  'P. Iyer',
  'K. Novak',
  'S. Rao',
  'L. Fischer',
  'D. Kim',
];
const TECHNICIANS = ['R. Wagner', 'V. Nair', 'T. Becker', 'N. Gupta', 'C. Lopez'];

const PRODUCTION_WINDOW = 5 * MINUTE;
const TAU = 20 * MINUTE;
/** A segment this long relaxes the temperature to its target for good: where recomputation may start. */
const TEMPERATURE_RESET = 3 * HOUR;
/** How far back the temperature history is replayed; always contains a weekend, hence a reset. */
const LOOKBACK = 8 * DAY;
const AMBIENT_C = 22;

const roundS = (ms: number): number => Math.round(ms / SECOND) * SECOND;
const round2 = (x: number): number => Math.round(x * 100) / 100;
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export interface SimulatorOptions {
  plant: Plant;
  seed: string;
  sensorIntervalMs: number;
}

export class Simulator {
  readonly plant: Plant;
  readonly seed: string;
  readonly sensorIntervalMs: number;
  private readonly timelines = new Map<string, ShiftTimeline>();

  constructor(opts: SimulatorOptions) {
    if (!(opts.sensorIntervalMs >= SECOND)) throw new Error('the sensor interval must be at least 1 s');
    this.plant = opts.plant;
    this.seed = opts.seed;
    this.sensorIntervalMs = opts.sensorIntervalMs;
  }

  /** The facts of [from, to), each kind in time order (states, shifts, maintenance by start; production by end; sensors by ts). */
  generate(range: GenerateRange): Facts {
    const { from, to } = range;
    const asOf = Math.max(range.asOf ?? to, to);
    const carryIn = range.carryIn ?? 'none';
    const facts: Facts = { shifts: [], states: [], production: [], maintenance: [], sensors: [] };
    if (!(from < to)) return facts;

    // Whether an interval [start, end) belongs to this range, and with which visible end.
    const defer = range.open === 'defer';
    const include = (start: number, end: number): boolean => {
      if (defer && end > asOf) return false;
      if (start >= from) return start < to;
      if (end <= from || carryIn === 'none') return false;
      if (carryIn === 'all') return true;
      if (end <= carryIn.postedAsOf) return false;
      return end <= asOf || (carryIn.deferred === true && !defer);
    };
    const visibleEnd = (end: number) => (end <= asOf ? iso(end) : undefined);

    for (const s of allShifts(this.plant, this.seed, from - (carryIn === 'all' ? MAX_SHIFT_GAP : 0), to)) {
      if (s.start >= from ? s.start < to : carryIn === 'all' && s.end > from) facts.shifts.push(shiftFact(s));
    }

    for (const eq of this.plant.equipment) {
      const { segments, maintenance, temperatureAt } = this.timeline(eq, from, to);
      for (const seg of segments) {
        if (!include(seg.start, seg.end)) continue;
        const end = visibleEnd(seg.end);
        facts.states.push({
          id: seg.id,
          equipmentCode: eq.code,
          state: seg.state,
          ...(seg.reasonCode ? { reasonCode: seg.reasonCode } : {}),
          start: iso(seg.start),
          ...(end ? { end } : {}),
        });
      }
      for (const m of maintenance) {
        if (!include(m.start, m.end)) continue;
        const end = visibleEnd(m.end);
        facts.maintenance.push({
          id: m.id,
          equipmentCode: eq.code,
          kind: m.kind,
          start: iso(m.start),
          ...(end ? { end } : {}),
          technician: m.technician,
          notes: m.notes,
        });
      }
      this.production(eq, segments, from, to, facts.production);
      this.sensors(eq, segments, temperatureAt, from, to, facts.sensors);
    }

    const byStart = (a: { start: string; id: string }, b: { start: string; id: string }) =>
      cmp(a.start, b.start) || cmp(a.id, b.id);
    facts.shifts.sort(byStart);
    facts.states.sort(byStart);
    facts.maintenance.sort(byStart);
    facts.production.sort((a, b) => cmp(a.end, b.end) || cmp(a.equipmentCode, b.equipmentCode));
    facts.sensors.sort(
      (a, b) => cmp(a.ts, b.ts) || cmp(a.equipmentCode, b.equipmentCode) || cmp(a.tag, b.tag),
    );
    return facts;
  }

  /**
   * The equipment's state segments around [from, to): from well before `from` (so the
   * temperature history can be replayed from a reset) to the first shift after `to`.
   */
  private timeline(eq: Equipment, from: number, to: number) {
    const shifts = effectiveShifts(this.plant, this.seed, eq, from - LOOKBACK, to + MAX_SHIFT_GAP);
    const segments: Segment[] = [];
    const maintenance: Maintenance[] = [];
    let prev = this.previousShift(eq, shifts[0]);
    for (const s of shifts) {
      if (prev && s.start > prev.end) {
        const idle = reasonsOf('idle')[0]!;
        segments.push({
          id: stableUuid(this.seed, 'state', eq.code, prev.end),
          state: 'planned_stop',
          reasonCode: idle.code,
          reasonClass: 'idle',
          start: prev.end,
          end: s.start,
        });
      }
      const t = this.shiftTimeline(eq, s, prev);
      segments.push(...t.segments);
      maintenance.push(...t.maintenance);
      prev = s;
    }
    return { segments, maintenance, temperatureAt: this.temperatures(eq, segments, from) };
  }

  private previousShift(eq: Equipment, shift: ShiftInstance | undefined): ShiftInstance | undefined {
    if (!shift) return undefined;
    const before = effectiveShifts(this.plant, this.seed, eq, shift.start - MAX_SHIFT_GAP, shift.start);
    return before.filter((s) => s.end <= shift.start).at(-1);
  }

  private plan(eq: Equipment, shift: ShiftInstance): ShiftPlan {
    const rng = rngFor(this.seed, 'plan', eq.code, shift.start);
    const products = productsFor(eq.kind).map((p) => p.code);
    const first = pick(rng, products);
    const switches = products.length > 1 && rng() < 0.3;
    const others = products.filter((p) => p !== first);
    // Before or after the break, never on it: the blocks of a shift must not collide.
    const at = rng() < 0.5 ? uniform(rng, 0.15, 0.33) : uniform(rng, 0.62, 0.8);
    const second = switches ? { productCode: pick(rng, others), at } : undefined;
    return {
      first,
      ...(second ? { second } : {}),
      speed: uniform(rng, 0.85, 1.0),
      scrapRate: uniform(rng, 0.005, 0.04) / Math.min(1, eq.reliability),
      reworkRate: uniform(rng, 0.002, 0.02),
      operator: pick(rng, OPERATORS),
    };
  }

  /** One shift of one machine: planned blocks at fixed places, Poisson stops in the running time between. */
  private shiftTimeline(eq: Equipment, shift: ShiftInstance, prev: ShiftInstance | undefined): ShiftTimeline {
    const key = `${eq.code}|${shift.start}`;
    const cached = this.timelines.get(key);
    if (cached) return cached;

    const rng = rngFor(this.seed, 'timeline', eq.code, shift.start);
    const plan = this.plan(eq, shift);
    const prevPlan = prev ? this.plan(eq, prev) : undefined;
    const duration = shift.end - shift.start;
    const segments: Segment[] = [];
    const maintenance: Maintenance[] = [];
    const seg = (s: Omit<Segment, 'id'>) => {
      if (s.end > s.start) segments.push({ id: stableUuid(this.seed, 'state', eq.code, s.start), ...s });
    };
    const technician = () => pick(rng, TECHNICIANS);

    interface Block {
      start: number;
      end: number;
      cls: ReasonClass;
    }
    const blocks: Block[] = [];
    let t = shift.start;
    if (rng() < 0.6) {
      const end = roundS(t + uniform(rng, 3, 8) * MINUTE);
      blocks.push({ start: t, end, cls: 'handover' });
      t = end;
    }
    const lastProduct = prevPlan ? (prevPlan.second?.productCode ?? prevPlan.first) : plan.first;
    if (lastProduct !== plan.first) {
      blocks.push({ start: t, end: roundS(t + uniform(rng, 10, 30) * MINUTE), cls: 'changeover' });
    }
    const breakAt = roundS(shift.start + duration * uniform(rng, 0.46, 0.54));
    blocks.push({ start: breakAt, end: breakAt + (duration >= 7 * HOUR ? 30 : 15) * MINUTE, cls: 'break' });
    let secondStart = Number.POSITIVE_INFINITY;
    if (plan.second) {
      const start = roundS(shift.start + duration * plan.second.at);
      secondStart = roundS(start + uniform(rng, 10, 30) * MINUTE);
      blocks.push({ start, end: secondStart, cls: 'changeover' });
    }
    if (rng() < 0.06 / eq.reliability) {
      const start = roundS(shift.start + duration * uniform(rng, 0.1, 0.8));
      const pm = { start, end: roundS(start + uniform(rng, 30, 90) * MINUTE), cls: 'maintenance' as const };
      // Maintenance waits for a free slot: a skipped break or changeover would break the plan.
      if (!blocks.some((b) => b.start < pm.end && pm.start < b.end)) blocks.push(pm);
    }
    blocks.sort((a, b) => a.start - b.start);

    const runInfo = (productCode: string): RunInfo => ({
      productCode,
      speed: plan.speed,
      scrapRate: plan.scrapRate,
      reworkRate: plan.reworkRate,
      orderId: `WO-${String(hash32(this.seed, 'order', eq.code, shift.start, productCode) % 1_000_000).padStart(6, '0')}`,
      operator: plan.operator,
    });
    const firstRun = runInfo(plan.first);
    const secondRun = plan.second ? runInfo(plan.second.productCode) : firstRun;

    const micro = 3.5 / eq.reliability;
    const wait = 0.08 / eq.reliability;
    const breakdown = 0.05 / (eq.reliability * eq.reliability);
    const meanGap = HOUR / (micro + wait + breakdown);

    const fillRunning = (a: number, b: number) => {
      const run = a >= secondStart ? secondRun : firstRun;
      let at = a;
      while (at < b) {
        const eventAt = roundS(at + exponential(rng, meanGap));
        if (eventAt >= b - SECOND) {
          seg({ state: 'running', start: at, end: b, run });
          return;
        }
        seg({ state: 'running', start: at, end: eventAt, run });
        const x = rng() * (micro + wait + breakdown);
        const cls: ReasonClass = x < micro ? 'micro' : x < micro + wait ? 'wait' : 'breakdown';
        const length =
          cls === 'micro'
            ? logUniform(rng, 15 * SECOND, 4 * MINUTE)
            : cls === 'wait'
              ? uniform(rng, 5, 25) * MINUTE
              : logUniform(rng, 8 * MINUTE, 2 * HOUR);
        const end = Math.min(b, Math.max(eventAt + SECOND, roundS(eventAt + length)));
        const reason = pick(rng, reasonsOf(cls));
        seg({ state: 'stopped', reasonCode: reason.code, reasonClass: cls, start: eventAt, end });
        if (cls === 'breakdown') {
          const start = roundS(eventAt + Math.min(uniform(rng, 2, 10) * MINUTE, (end - eventAt) / 3));
          if (start < end) {
            maintenance.push({
              id: stableUuid(this.seed, 'maintenance', eq.code, start),
              kind: 'corrective',
              start,
              end,
              technician: technician(),
              notes: reason.name,
            });
          }
        }
        at = end;
      }
    };

    let cursor = shift.start;
    for (const block of blocks) {
      if (block.start < cursor) continue;
      const end = Math.min(block.end, shift.end);
      if (end <= block.start) continue;
      fillRunning(cursor, block.start);
      const reason = pick(rng, reasonsOf(block.cls));
      seg({
        state: 'planned_stop',
        reasonCode: reason.code,
        reasonClass: block.cls,
        start: block.start,
        end,
      });
      if (block.cls === 'maintenance') {
        maintenance.push({
          id: stableUuid(this.seed, 'maintenance', eq.code, block.start),
          kind: 'preventive',
          start: block.start,
          end,
          technician: technician(),
          notes: 'Scheduled inspection and lubrication',
        });
      }
      cursor = end;
    }
    fillRunning(cursor, shift.end);

    const timeline = { segments, maintenance };
    // Bounded: a long backfill walks forward, so old shifts are never asked for again.
    if (this.timelines.size > 20_000) this.timelines.clear();
    this.timelines.set(key, timeline);
    return timeline;
  }

  /**
   * The temperature at the start of every segment from a reset before `from` on. Starting at a
   * reset (a segment long enough to settle at its target, snapped exactly) makes the values
   * independent of where the replay began, so chunked and whole generation agree to the bit.
   */
  private temperatures(eq: Equipment, segments: Segment[], from: number): (i: number, t: number) => number {
    const profile = KIND_PROFILES[eq.kind];
    const target = (s: Segment): number => {
      const hot = profile.runTempC - AMBIENT_C;
      if (s.state === 'running') return profile.runTempC;
      if (s.state === 'stopped') return AMBIENT_C + 0.35 * hot;
      return AMBIENT_C + (s.reasonClass === 'idle' ? 0 : 0.15 * hot);
    };
    let j = segments.findIndex((s) => s.end > from);
    if (j < 0) j = segments.length;
    let anchor = -1;
    for (let i = j - 1; i >= 0; i--) {
      const s = segments[i]!;
      if (s.end - s.start >= TEMPERATURE_RESET) {
        anchor = i;
        break;
      }
    }
    const startTemp = new Array<number>(segments.length).fill(AMBIENT_C);
    let temp = anchor >= 0 ? target(segments[anchor]!) : AMBIENT_C;
    for (let i = anchor + 1; i < segments.length; i++) {
      const s = segments[i]!;
      startTemp[i] = temp;
      const goal = target(s);
      const d = s.end - s.start;
      temp = d >= TEMPERATURE_RESET ? goal : goal + (temp - goal) * Math.exp(-d / TAU);
    }
    return (i, t) => {
      const s = segments[i]!;
      const goal = target(s);
      return goal + ((startTemp[i] ?? AMBIENT_C) - goal) * Math.exp(-(t - s.start) / TAU);
    };
  }

  /** One record per running segment per 5-minute UTC slot, owned by the range holding its last instant. */
  private production(
    eq: Equipment,
    segments: Segment[],
    from: number,
    to: number,
    out: ProductionFact[],
  ): void {
    for (const seg of segments) {
      if (seg.state !== 'running' || !seg.run || seg.end <= from || seg.start >= to) continue;
      const product = productsFor(eq.kind).find((p) => p.code === seg.run?.productCode)!;
      for (let slot = Math.floor(seg.start / PRODUCTION_WINDOW) * PRODUCTION_WINDOW; slot < seg.end; ) {
        const start = Math.max(seg.start, slot);
        slot += PRODUCTION_WINDOW;
        const end = Math.min(seg.end, slot);
        if (end <= from || end > to) continue;
        const rng = rngFor(this.seed, 'production', eq.code, start);
        const expected =
          ((end - start) / SECOND / product.idealCycleTimeS) * seg.run.speed * (1 + 0.02 * normal(rng));
        const whole = Math.floor(Math.max(0, expected));
        const total = whole + (rng() < expected - whole ? 1 : 0);
        if (total === 0) continue;
        const scrap = binomial(rng, total, seg.run.scrapRate);
        const rework = binomial(rng, total - scrap, seg.run.reworkRate);
        out.push({
          id: stableUuid(this.seed, 'production', eq.code, start),
          equipmentCode: eq.code,
          productCode: product.code,
          start: iso(start),
          end: iso(end),
          total,
          good: total - scrap - rework,
          scrap,
          rework,
          orderId: seg.run.orderId,
          operator: seg.run.operator,
        });
      }
    }
  }

  /** Readings on a per-machine grid (a fixed phase, as real gateways are never in step), values following the state. */
  private sensors(
    eq: Equipment,
    segments: Segment[],
    temperatureAt: (i: number, t: number) => number,
    from: number,
    to: number,
    out: SensorFact[],
  ): void {
    const interval = this.sensorIntervalMs;
    const profile = KIND_PROFILES[eq.kind];
    const phase = hash32(this.seed, 'phase', eq.code) % interval;
    let ts = Math.ceil((from - phase) / interval) * interval + phase;
    let i = segments.findIndex((s) => s.end > ts);
    if (i < 0) return;
    for (; ts < to; ts += interval) {
      while (i < segments.length && segments[i]!.end <= ts) i++;
      const s = segments[i];
      if (!s || s.start > ts) continue;
      const rng = rngFor(this.seed, 'sensor', eq.code, ts);
      const stamp = iso(ts);
      const faulty = s.reasonCode === 'sensor-fault';
      const uncertain = rng() < 0.002;
      out.push({
        equipmentCode: eq.code,
        tag: 'temperature',
        ts: stamp,
        value: round2(temperatureAt(i, ts) + 0.25 * normal(rng)),
        ...(faulty ? { quality: 'bad' as const } : uncertain ? { quality: 'uncertain' as const } : {}),
      });
      out.push({
        equipmentCode: eq.code,
        tag: 'spindle_speed',
        ts: stamp,
        value:
          s.state === 'running'
            ? Math.round(spindleRpm(this.seed, profile.spindleRpm, s.run) * (1 + 0.01 * normal(rng)))
            : 0,
      });
      out.push({
        equipmentCode: eq.code,
        tag: 'power',
        ts: stamp,
        value: round2(profile.powerKw * powerShare(s, rng) * (1 + 0.03 * normal(rng))),
      });
    }
  }
}

/** Each product has its own spindle speed, within ±15 % of the machine kind's nominal. */
function spindleRpm(seed: string, nominal: number, run: RunInfo | undefined): number {
  const factor = 0.85 + (hash32(seed, 'rpm', run?.productCode ?? '') % 3000) / 10_000;
  return nominal * factor;
}

function powerShare(s: Segment, rng: Rng): number {
  if (s.state === 'running') return 0.8 + 0.15 * rng();
  if (s.state === 'stopped') return 0.18;
  return s.reasonClass === 'idle' ? 0.03 : 0.1;
}

function shiftFact(s: ShiftInstance): ShiftFact {
  return {
    id: s.id,
    ...(s.owner.kind === 'line' ? { lineCode: s.owner.code } : { equipmentCode: s.owner.code }),
    name: s.name,
    start: iso(s.start),
    end: iso(s.end),
  };
}

export const countFacts = (facts: Facts): Record<FactKind, number> => ({
  shifts: facts.shifts.length,
  states: facts.states.length,
  production: facts.production.length,
  maintenance: facts.maintenance.length,
  sensors: facts.sensors.length,
});
