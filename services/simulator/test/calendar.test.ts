import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { parseCli, UsageError } from '../src/args.js';
import { allShifts, lineShifts } from '../src/calendar.js';
import { buildPlant } from '../src/plant.js';
import { hash32, mulberry32, stableUuid } from '../src/prng.js';
import { DAY, localDateOf, parseDuration, parseInstant, weekday } from '../src/time.js';
import { shiftsNeverOverlap } from './shifts.js';

vi.setConfig({ testTimeout: 30_000 });

const iso = (ms: number) => new Date(ms).toISOString();

describe('plant', () => {
  it('has a site in Berlin and one in Kolkata from two lines on, and some three-shift lines', () => {
    const plant = buildPlant({ machines: 8, lines: 4, seed: 'p' });
    expect(plant.sites.map((s) => s.timeZone)).toEqual(['Europe/Berlin', 'Asia/Kolkata', 'America/Detroit']);
    expect(plant.lines.map((l) => l.pattern)).toEqual([
      'two-shift',
      'three-shift',
      'two-shift',
      'three-shift',
    ]);
    expect(plant.equipment).toHaveLength(8);
    expect(new Set(plant.equipment.map((e) => e.lineCode)).size).toBe(4);
    expect(buildPlant({ machines: 1, lines: 1, seed: 'p' }).sites).toHaveLength(1);
    expect(plant.reasons.filter((r) => r.planned).map((r) => r.code)).toContain('changeover');
  });
});

describe('shift calendars', () => {
  const plant = buildPlant({ machines: 10, lines: 4, seed: 'cal' });
  const [berlin, pune] = plant.lines;

  it('start at 06:00 local, across DST, and in Kolkata at a half-hour UTC offset', () => {
    const winter = lineShifts(
      plant,
      'cal',
      berlin!,
      Date.parse('2026-11-30T00:00:00Z'),
      Date.parse('2026-12-01T00:00:00Z'),
    );
    expect(winter.map((s) => [s.name, iso(s.start), iso(s.end)])).toEqual([
      ['Early', '2026-11-30T05:00:00.000Z', '2026-11-30T13:00:00.000Z'],
      ['Late', '2026-11-30T13:00:00.000Z', '2026-11-30T21:00:00.000Z'],
    ]);
    const summer = lineShifts(
      plant,
      'cal',
      berlin!,
      Date.parse('2026-07-06T00:00:00Z'),
      Date.parse('2026-07-06T12:00:00Z'),
    );
    expect(iso(summer[0]!.start)).toBe('2026-07-06T04:00:00.000Z');
    const kolkata = lineShifts(
      plant,
      'cal',
      pune!,
      Date.parse('2026-11-30T00:00:00Z'),
      Date.parse('2026-11-30T12:00:00Z'),
    );
    expect(iso(kolkata[0]!.start)).toBe('2026-11-30T00:30:00.000Z');
    // Berlin's three-shift line: Friday's night shift runs into Saturday, then the weekend is off.
    const night = lineShifts(
      plant,
      'cal',
      plant.lines[3]!,
      Date.parse('2026-10-23T20:00:00Z'),
      Date.parse('2026-10-26T12:00:00Z'),
    );
    expect(night.map((s) => [s.name, iso(s.start), iso(s.end)])).toEqual([
      ['Night', '2026-10-23T20:00:00.000Z', '2026-10-24T04:00:00.000Z'],
      ['Early', '2026-10-26T05:00:00.000Z', '2026-10-26T13:00:00.000Z'],
    ]);
  });

  it('take weekends off on line shifts, and never overlap per owner, for any seed and week', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.integer({ min: 0, max: 400 }), (seed, day) => {
        const p = buildPlant({ machines: 12, lines: 5, seed });
        const from = Date.parse('2026-01-01T00:00:00Z') + day * DAY;
        const shifts = allShifts(p, seed, from, from + 14 * DAY);
        expect(
          shiftsNeverOverlap(
            shifts.map((s) => ({
              ...s,
              [`${s.owner.kind}Code`]: s.owner.code,
              start: iso(s.start),
              end: iso(s.end),
            })),
          ),
        ).toBe(true);
        for (const s of shifts) {
          expect(s.end).toBeGreaterThan(s.start);
          const line = p.lines.find((l) => l.code === s.owner.code);
          const zone = p.sites.find(
            (x) =>
              x.code ===
              (
                line ??
                p.lines.find((l) => l.code === p.equipment.find((e) => e.code === s.owner.code)?.lineCode)
              )?.siteCode,
          )!.timeZone;
          const wd = weekday(localDateOf(s.start, zone));
          if (s.owner.kind === 'line') expect(wd).toBeLessThanOrEqual(5);
          else expect(wd).toBe(6);
        }
        expect(shifts.some((s) => s.owner.kind === 'equipment') || shifts.length > 0).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});

describe('prng', () => {
  it('is a pure function of its seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(hash32('a', 'bc')).not.toBe(hash32('ab', 'c'));
  });

  it('makes stable, v4-shaped ids without collisions over a plant-year of keys', () => {
    expect(stableUuid('s', 'state', 'cnc-01', 1)).toBe(stableUuid('s', 'state', 'cnc-01', 1));
    const ids = new Set<string>();
    for (let i = 0; i < 200_000; i++) ids.add(stableUuid('s', 'production', 'cnc-01', i * 300_000));
    expect(ids.size).toBe(200_000);
    for (const id of [...ids].slice(0, 100))
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('command line', () => {
  const now = Date.parse('2026-12-01T08:00:00Z');
  const env = { TAKT_API_KEY: 'k' };

  it('parses relative and absolute times, durations and keys', () => {
    expect(parseInstant('-7d', now)).toBe(now - 7 * DAY);
    expect(parseInstant('2026-11-30T06:00:00+01:00', now)).toBe(Date.parse('2026-11-30T05:00:00Z'));
    expect(parseInstant('yesterday', now)).toBeNull();
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('0s')).toBeNull();
    const cli = parseCli(['--machines', '3', '--from', '-6h', '--live', '--speed', '60'], env, now);
    expect(cli).toMatchObject({
      machines: 3,
      lines: 2,
      from: now - 6 * 3_600_000,
      to: now,
      live: true,
      speed: 60,
    });
    expect(cli).toMatchObject({ adminKey: 'k', ingestKey: 'k' });
  });

  it('takes the admin and ingest keys from the keys file infra/takt writes', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sim-')), 'demo-keys.json');
    const keys = [
      { id: '1', name: 'admin key', scopes: ['admin'], key: 'ka' },
      { id: '2', name: 'ingest key', scopes: ['ingest'], key: 'ki' },
    ];
    writeFileSync(file, JSON.stringify({ tenantId: 't', tenantCode: 'demo', keys }));
    expect(parseCli([`--keys-file=${file}`], {}, now)).toMatchObject({ adminKey: 'ka', ingestKey: 'ki' });
    expect(parseCli(['--ingest-key=x'], { TAKT_KEYS_FILE: file }, now)).toMatchObject({
      adminKey: 'ka',
      ingestKey: 'x',
    });
  });

  it('refuses what it cannot do as usage errors', () => {
    for (const argv of [
      ['--machines', '0'],
      ['--from', 'x'],
      ['--to', '2027-01-01T00:00:00Z'],
      ['--live', '--to', '2026-11-30T00:00:00Z'],
      ['--sensor-interval', '100ms'],
      ['--bogus'],
    ]) {
      expect(() => parseCli(argv, env, now), argv.join(' ')).toThrow();
    }
    expect(() => parseCli([], {}, now)).toThrow(UsageError);
  });
});
