import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { effectiveShifts } from '../src/calendar.js';
import { FACT_KINDS, type Facts, Simulator } from '../src/model.js';
import { buildPlant, productByCode, REASONS } from '../src/plant.js';
import { HOUR, MINUTE } from '../src/time.js';
import { applyStates, foldBy } from './facts.js';

// Whole weeks of a plant and property runs over seeds: seconds on a loaded machine, not the default 5.
vi.setConfig({ testTimeout: 60_000 });

const MON = Date.parse('2026-11-30T00:00:00Z');

const simulator = (seed = 's1', machines = 3, lines = 2, sensorIntervalMs = 60_000) =>
  new Simulator({ plant: buildPlant({ machines, lines, seed }), seed, sensorIntervalMs });

const concat = (a: Facts, b: Facts): Facts =>
  Object.fromEntries(FACT_KINDS.map((k) => [k, [...a[k], ...b[k]]])) as unknown as Facts;

const reasons = new Map(REASONS.map((r) => [r.code, r]));

describe('determinism', () => {
  it('gives the same facts for the same seed and range, other facts for another seed', () => {
    const range = { from: MON, to: MON + 12 * HOUR, carryIn: 'all' as const };
    const a = simulator('s1').generate(range);
    expect(simulator('s1').generate(range)).toEqual(a);
    expect(a.states.length).toBeGreaterThan(50);
    const b = simulator('s2').generate(range);
    expect(b.states.map((s) => s.id)).not.toEqual(a.states.map((s) => s.id));
  });

  it('generates [a, c) as [a, b) followed by [b, c), for any seed and cut', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9]{1,8}$/),
        fc.integer({ min: 0, max: 6 * 24 }),
        fc.integer({ min: 1, max: 36 * 60 }),
        fc.integer({ min: 1, max: 36 * 60 - 1 }),
        (seed, startHour, lengthMin, cutMin) => {
          const sim = simulator(seed);
          const a = MON + startHour * HOUR;
          const c = a + lengthMin * MINUTE;
          const b = a + Math.min(cutMin, lengthMin - 1) * MINUTE + 17_000;
          if (!(b < c)) return;
          const whole = sim.generate({ from: a, to: c, carryIn: 'all' });
          const parts = concat(
            sim.generate({ from: a, to: b, asOf: c, carryIn: 'all' }),
            sim.generate({ from: b, to: c, asOf: c }),
          );
          expect(parts).toEqual(whole);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('gives the same facts from a fresh simulator as from one that generated other ranges first (no hidden state)', () => {
    const warm = simulator('warm');
    warm.generate({ from: MON - 3 * 24 * HOUR, to: MON - 2 * 24 * HOUR });
    const range = { from: MON + 5 * HOUR, to: MON + 9 * HOUR, carryIn: 'all' as const };
    expect(warm.generate(range)).toEqual(simulator('warm').generate(range));
  });

  it('continues a live run: posting up to b, then [b, c) with closures, stores what [a, c) stores', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 900 }),
        (defers, tickS) => {
          const sim = simulator('live');
          const a = MON + 6 * HOUR;
          let records: Facts = sim.generate({ from: a, to: a + 1, carryIn: 'all' });
          let at = a + 1;
          let deferred = false;
          // A run catching up defers open intervals; the last tick is at the wall clock and posts them.
          for (const [i, d] of defers.entries()) {
            const defer = d && i < defers.length - 1;
            const next = at + tickS * 1000 * (1 + (i % 3));
            const carryIn = { postedAsOf: at, deferred };
            records = concat(
              records,
              sim.generate({ from: at, to: next, carryIn, open: defer ? 'defer' : 'post' }),
            );
            deferred = defer;
            at = next;
          }
          const whole = sim.generate({ from: a, to: at, carryIn: 'all' });
          const id = (r: { id: string }) => r.id;
          expect([...foldBy(records.states, id).values()].sort((x, y) => x.id.localeCompare(y.id))).toEqual(
            [...foldBy(whole.states, id).values()].sort((x, y) => x.id.localeCompare(y.id)),
          );
          expect(foldBy(records.maintenance, id)).toEqual(foldBy(whole.maintenance, id));
          expect(records.production).toEqual(whole.production);
          expect(records.sensors).toEqual(whole.sensors);
          // Posted tick by tick, the stream is valid for the server and ends where the whole one ends.
          const live = applyStates(records.states);
          expect([...live.values()].sort((x, y) => x.start - y.start)).toEqual(
            [...applyStates(whole.states).values()].sort((x, y) => x.start - y.start),
          );
        },
      ),
      { numRuns: 15 },
    );
  });

  it('never posts an open interval when it defers them', () => {
    const facts = simulator().generate({ from: MON, to: MON + 8 * HOUR, carryIn: 'all', open: 'defer' });
    expect(facts.states.every((s) => s.end !== undefined)).toBe(true);
    expect(facts.maintenance.every((m) => m.end !== undefined)).toBe(true);
  });
});

describe('state stream', () => {
  const week = simulator('week', 6, 2).generate({ from: MON, to: MON + 7 * 24 * HOUR, carryIn: 'all' });

  it('is contiguous per equipment, never overlaps, and only the last state is open', () => {
    const stored = applyStates(week.states);
    for (const code of new Set(week.states.map((s) => s.equipmentCode))) {
      const mine = [...stored.values()]
        .filter((s) => s.equipmentCode === code)
        .sort((a, b) => a.start - b.start);
      expect(mine.filter((s) => s.end === null)).toHaveLength(1);
      expect(mine.at(-1)?.end).toBeNull();
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.start).toBe(mine[i - 1]!.end);
      for (const s of mine) if (s.end !== null) expect(s.end).toBeGreaterThan(s.start);
    }
  });

  it('gives reasons whose planned flag matches the state, and none to running', () => {
    for (const s of week.states) {
      if (s.state === 'running') expect(s.reasonCode).toBeUndefined();
      else expect(reasons.get(s.reasonCode ?? '')?.planned).toBe(s.state === 'planned_stop');
    }
  });

  it('runs most of the planned time, with micro-stops, breakdowns, breaks and changeovers', () => {
    const shifts = week.shifts;
    const byReason = new Map<string, number>();
    let running = 0;
    let planned = 0;
    for (const s of week.states) {
      const d = Date.parse(s.end ?? s.start) - Date.parse(s.start);
      if (s.reasonCode === 'no-shift') continue;
      if (s.state === 'running') running += d;
      else byReason.set(s.reasonCode ?? '', (byReason.get(s.reasonCode ?? '') ?? 0) + 1);
      planned += d;
    }
    expect(shifts.length).toBeGreaterThan(10);
    expect(running / planned).toBeGreaterThan(0.6);
    expect(running / planned).toBeLessThan(0.97);
    for (const code of ['jam', 'break', 'changeover', 'shift-handover'])
      expect(byReason.get(code)).toBeGreaterThan(0);
    const breakdowns = ['motor-failure', 'hydraulic-leak', 'tool-breakage', 'electrical-fault'];
    expect(breakdowns.some((c) => (byReason.get(c) ?? 0) > 0)).toBe(true);
  });

  it('keeps running states inside shifts', () => {
    const plant = buildPlant({ machines: 6, lines: 2, seed: 'week' });
    for (const s of week.states.filter((x) => x.state === 'running')) {
      const eq = plant.equipment.find((e) => e.code === s.equipmentCode)!;
      const start = Date.parse(s.start);
      const end = Date.parse(s.end ?? s.start);
      const inside = effectiveShifts(plant, 'week', eq, start - 1, start + 1).some(
        (sh) => sh.start <= start && end <= sh.end,
      );
      expect(inside, `${s.equipmentCode} ${s.start}`).toBe(true);
    }
  });
});

describe('production, maintenance, sensors', () => {
  const sim = simulator('prod', 4, 2, 10_000);
  const day = sim.generate({ from: MON, to: MON + 24 * HOUR, carryIn: 'all' });
  const stored = [...applyStates(day.states).values()];
  const stateAt = (code: string, t: number) =>
    stored.find((s) => s.equipmentCode === code && s.start <= t && t < (s.end ?? Number.POSITIVE_INFINITY));

  it('counts parts only while running, at about the ideal rate times 0.85–1.0', () => {
    expect(day.production.length).toBeGreaterThan(100);
    let ideal = 0;
    let runningMs = 0;
    for (const p of day.production) {
      const start = Date.parse(p.start);
      const end = Date.parse(p.end);
      expect(end).toBeGreaterThan(start);
      expect(p.good + p.scrap + p.rework).toBe(p.total);
      expect(p.total).toBeGreaterThan(0);
      const s = stateAt(p.equipmentCode, end - 1);
      expect(s?.state).toBe('running');
      expect(s && s.start <= start).toBe(true);
      ideal += p.total * productByCode(p.productCode).idealCycleTimeS * 1000;
      runningMs += end - start;
    }
    expect(ideal / runningMs).toBeGreaterThan(0.8);
    expect(ideal / runningMs).toBeLessThan(1.02);
    const total = day.production.reduce((a, p) => a + p.total, 0);
    const scrap = day.production.reduce((a, p) => a + p.scrap + p.rework, 0);
    expect(scrap / total).toBeGreaterThan(0.005);
    expect(scrap / total).toBeLessThan(0.1);
  });

  it('opens corrective maintenance during breakdowns and preventive during planned maintenance', () => {
    const week = simulator('maint', 6, 2).generate({ from: MON, to: MON + 7 * 24 * HOUR, carryIn: 'all' });
    const states = [...applyStates(week.states).values()];
    expect(week.maintenance.some((m) => m.kind === 'corrective')).toBe(true);
    for (const m of week.maintenance) {
      const t = Date.parse(m.start);
      const s = states.find(
        (x) => x.equipmentCode === m.equipmentCode && x.start <= t && t < (x.end ?? Infinity),
      );
      if (m.kind === 'corrective') {
        expect(s?.state).toBe('stopped');
        expect(reasons.get(s?.reasonCode ?? '')?.class).toBe('breakdown');
      } else expect(s?.reasonCode).toBe('preventive-maintenance');
      if (m.end) expect(Date.parse(m.end)).toBe(s?.end);
    }
  });

  it('reads every tag on a fixed grid, with values that follow the state', () => {
    const codes = new Set(sim.plant.equipment.map((e) => e.code));
    expect(day.sensors).toHaveLength(codes.size * 3 * 8640);
    const phases = new Map<string, Set<number>>();
    for (const r of day.sensors) {
      const set = phases.get(r.equipmentCode) ?? new Set();
      set.add(Date.parse(r.ts) % 10_000);
      phases.set(r.equipmentCode, set);
    }
    expect([...phases.values()].every((p) => p.size === 1)).toBe(true);
    for (const r of day.sensors.filter((_, i) => i % 7 === 0)) {
      expect(Number.isFinite(r.value)).toBe(true);
      const s = stateAt(r.equipmentCode, Date.parse(r.ts));
      if (r.tag === 'spindle_speed') expect(r.value > 0).toBe(s?.state === 'running');
      if (r.tag === 'power') expect(r.value).toBeGreaterThan(0);
    }
    const temps = day.sensors.filter(
      (r) => r.tag === 'temperature' && r.equipmentCode === sim.plant.equipment[2]!.code,
    );
    const hot = Math.max(...temps.map((r) => r.value));
    const cold = Math.min(...temps.map((r) => r.value));
    expect(hot - cold).toBeGreaterThan(10);
  });
});
