import { randomUUID } from 'node:crypto';
import type { IngestHarness, TestTenant } from '../../ingest/test/harness.js';
import { send } from './harness.js';

/** The day of the scenario: in the past, so nothing depends on the clock. */
export const DAY = Date.parse('2026-11-30T00:00:00Z');
export const at = (hhmm: string): string => new Date(DAY + hm(hhmm)).toISOString();
export const atMs = (hhmm: string): number => DAY + hm(hhmm);
function hm(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
}

export async function seedMasterData(h: IngestHarness, t: TestTenant): Promise<void> {
  await send(h, t, 'PUT', '/v1/sites/berlin', { name: 'Berlin', timeZone: 'Europe/Berlin' });
  await send(h, t, 'PUT', '/v1/lines/L1', { name: 'Line 1', siteCode: 'berlin' });
  await send(h, t, 'PUT', '/v1/lines/L2', { name: 'Line 2', siteCode: 'berlin' });
  await send(h, t, 'PUT', '/v1/equipment/press-01', { name: 'Press 1', lineCode: 'L1' });
  await send(h, t, 'PUT', '/v1/equipment/press-02', { name: 'Press 2', lineCode: 'L1' });
  await send(h, t, 'PUT', '/v1/equipment/weld-01', { name: 'Weld 1', lineCode: 'L2' });
  await send(h, t, 'PUT', '/v1/products/bracket', { name: 'Bracket', idealCycleTimeS: 30 });
  await send(h, t, 'PUT', '/v1/products/hinge', { name: 'Hinge', idealCycleTimeS: 12.5 });
  await send(h, t, 'PUT', '/v1/downtime-reasons/jam', { name: 'Material jam', planned: false });
  await send(h, t, 'PUT', '/v1/downtime-reasons/break', { name: 'Break', planned: true });
}

type Step = () => Promise<void>;

/**
 * The facts of the scenario as a list of API calls in order: two lines, line and equipment shifts
 * (one corrected), running/stopped/planned_stop states including open states closed later and a
 * corrected state, production of two products (one record ending outside POT).
 */
export function factSteps(h: IngestHarness, t: TestTenant): Step[] {
  const post = (url: string, records: Record<string, unknown>[]) => () =>
    send(h, t, 'POST', url, { batchId: randomUUID(), records });
  const state = (r: Record<string, unknown>) => post('/v1/state-events', [r]);
  const prod = (r: Record<string, unknown>) => post('/v1/production-counts', [r]);
  const ids = {
    l2late: randomUUID(),
    s5: randomUUID(),
    p2: randomUUID(),
    w2: randomUUID(),
    w3: randomUUID(),
  };
  return [
    post('/v1/shifts', [
      { id: randomUUID(), lineCode: 'L1', name: 'Early', start: at('06:00'), end: at('14:00') },
      { id: randomUUID(), lineCode: 'L2', name: 'Early', start: at('06:00'), end: at('10:00') },
      { id: ids.l2late, lineCode: 'L2', name: 'Late', start: at('10:00'), end: at('14:00') },
      { id: randomUUID(), equipmentCode: 'press-02', name: 'Overtime', start: at('13:00'), end: at('16:00') },
    ]),
    state({ id: randomUUID(), equipmentCode: 'press-01', state: 'running', start: at('06:00') }),
    state({
      id: randomUUID(),
      equipmentCode: 'press-02',
      state: 'running',
      start: at('06:30'),
      end: at('10:00'),
    }),
    state({
      id: randomUUID(),
      equipmentCode: 'weld-01',
      state: 'planned_stop',
      reasonCode: 'break',
      start: at('06:00'),
      end: at('06:20'),
    }),
    state({ id: ids.w2, equipmentCode: 'weld-01', state: 'running', start: at('06:20') }),
    prod({
      equipmentCode: 'press-01',
      productCode: 'bracket',
      start: at('06:00'),
      end: at('06:15'),
      total: 28,
      good: 27,
      scrap: 1,
    }),
    state({
      id: randomUUID(),
      equipmentCode: 'press-01',
      state: 'stopped',
      reasonCode: 'jam',
      start: at('07:10'),
    }),
    prod({
      equipmentCode: 'press-01',
      productCode: 'bracket',
      start: at('06:15'),
      end: at('07:10'),
      total: 100,
      good: 95,
      scrap: 3,
      rework: 2,
    }),
    state({ id: randomUUID(), equipmentCode: 'press-01', state: 'running', start: at('08:05') }),
    state({
      id: randomUUID(),
      equipmentCode: 'press-01',
      state: 'planned_stop',
      reasonCode: 'break',
      start: at('09:00'),
      end: at('09:30'),
    }),
    state({ id: ids.s5, equipmentCode: 'press-01', state: 'running', start: at('09:30') }),
    prod({
      equipmentCode: 'press-02',
      productCode: 'bracket',
      start: at('06:30'),
      end: at('10:00'),
      total: 400,
      good: 390,
      scrap: 10,
    }),
    state({
      id: ids.p2,
      equipmentCode: 'press-02',
      state: 'stopped',
      reasonCode: 'jam',
      start: at('10:00'),
      end: at('11:07'),
    }),
    // The stop was shorter than first reported: a correction of a closed state.
    state({
      id: ids.p2,
      equipmentCode: 'press-02',
      state: 'stopped',
      reasonCode: 'jam',
      start: at('10:00'),
      end: at('10:40'),
    }),
    state({
      id: randomUUID(),
      equipmentCode: 'press-02',
      state: 'running',
      start: at('10:40'),
      end: at('15:30'),
    }),
    state({ id: ids.w3, equipmentCode: 'weld-01', state: 'stopped', reasonCode: 'jam', start: at('11:45') }),
    prod({
      equipmentCode: 'weld-01',
      productCode: 'bracket',
      start: at('06:20'),
      end: at('11:45'),
      total: 500,
      good: 500,
    }),
    post('/v1/shifts', [
      { id: ids.l2late, lineCode: 'L2', name: 'Late', start: at('10:00'), end: at('13:00') },
    ]),
    // Open states closed later.
    state({ id: ids.s5, equipmentCode: 'press-01', state: 'running', start: at('09:30'), end: at('13:20') }),
    state({
      id: ids.w3,
      equipmentCode: 'weld-01',
      state: 'stopped',
      reasonCode: 'jam',
      start: at('11:45'),
      end: at('12:30'),
    }),
    state({
      id: randomUUID(),
      equipmentCode: 'press-01',
      state: 'stopped',
      start: at('13:20'),
      end: at('13:50'),
    }),
    prod({
      equipmentCode: 'press-01',
      productCode: 'hinge',
      start: at('09:30'),
      end: at('13:20'),
      total: 900,
      good: 880,
      scrap: 20,
    }),
    prod({
      equipmentCode: 'press-01',
      productCode: 'hinge',
      start: at('13:50'),
      end: at('14:30'),
      total: 10,
      good: 10,
    }),
    prod({
      equipmentCode: 'press-02',
      productCode: 'hinge',
      start: at('10:40'),
      end: at('15:30'),
      total: 1200,
      good: 1190,
      rework: 10,
    }),
  ];
}

export const WINDOWS = [
  { start: atMs('06:00'), end: atMs('16:00') },
  { start: atMs('06:00'), end: atMs('07:00') },
  { start: atMs('09:00'), end: atMs('10:15') },
  { start: atMs('12:45'), end: atMs('14:00') },
  { start: DAY, end: DAY + 86_400_000 },
];
