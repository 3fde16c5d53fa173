import { describe, expect, it } from 'vitest';
import {
  computeComponents,
  computeComponentsForWindow,
  plannedOperationTime,
  shiftOwnership,
} from '../src/index.js';
import {
  at,
  equipmentShift,
  given,
  hours,
  lineShift,
  minutes,
  plannedStop,
  produced,
  running,
  stopped,
} from './given.js';

const early = lineShift('early', '06:00', '14:00');
const day = ['00:00', '+1 00:00'] as const;
const evening = '23:00';

describe('OEE components (docs/oee.md §3–§5)', () => {
  it('counts a machine that runs its whole shift at ideal speed as OEE 1', () => {
    given({
      shifts: [early],
      states: [running('06:00', '14:00')],
      production: [produced('06:00', '14:00', { total: 480, idealCycleTimeS: 60 })],
    })
      .when({ window: day, now: evening })
      .then({
        pot: hours(8),
        pdot: 0,
        pbt: hours(8),
        apt: hours(8),
        adot: 0,
        pq: 480,
        gq: 480,
        ideal: hours(8),
      })
      .ratios({ availability: 1, performance: 1, quality: 1, oee: 1 });
  });

  it('gives OEE 0, not null, for a machine down all shift', () => {
    given({ shifts: [early], states: [stopped('06:00', '14:00')] })
      .when({ window: day, now: evening })
      .then({ pot: hours(8), apt: 0, adot: hours(8), pq: 0 })
      .ratios({ availability: 0, performance: null, quality: null, oee: 0 });
  });

  it('gives OEE 0 when the machine ran but produced nothing', () => {
    given({ shifts: [early], states: [running('06:00', '14:00')] })
      .when({ window: day, now: evening })
      .then({ apt: hours(8), pq: 0 })
      .ratios({ availability: 1, performance: 0, quality: null, oee: 0 });
  });

  it('has no planned time and OEE null without a shift, whatever the machine did', () => {
    given({
      states: [running('06:00', '14:00')],
      production: [produced('06:00', '14:00', { total: 100 })],
    })
      .when({ window: day, now: evening })
      .then({ pot: 0, apt: 0, pq: 0 })
      .ratios({ availability: null, performance: null, quality: null, oee: null })
      .buckets([]);
  });

  it('counts a gap in the state stream inside a shift as unplanned downtime', () => {
    given({ shifts: [early], states: [running('06:00', '09:00'), running('10:30', '14:00')] })
      .when({ window: day, now: evening })
      .then({ pot: hours(8), apt: hours(6.5), adot: hours(1.5) });
  });

  it('counts no state at all during a shift as unplanned downtime', () => {
    given({ shifts: [early] })
      .when({ window: day, now: evening })
      .then({ pot: hours(8), apt: 0, adot: hours(8) })
      .ratios({ availability: 0, oee: 0 });
  });

  it('does not count running outside a shift as production time', () => {
    given({ shifts: [early], states: [running('04:00', '16:00')] })
      .when({ window: day, now: evening })
      .then({ pot: hours(8), apt: hours(8), adot: 0 })
      .buckets(
        Array.from({ length: 32 }, (_, k) =>
          new Date(at('06:00') + minutes(15 * k)).toISOString().slice(11, 16),
        ),
      );
  });

  it('takes planned stops out of planned busy time', () => {
    given({ shifts: [early], states: [running('06:00', '13:30'), plannedStop('13:30', '14:00')] })
      .when({ window: day, now: evening })
      .then({ pot: hours(8), pdot: minutes(30), pbt: hours(7.5), apt: hours(7.5), adot: 0 })
      .ratios({ availability: 1 });
  });

  it('counts a record only if its last instant lies in planned operation time', () => {
    given({
      shifts: [early],
      states: [running('06:00', '14:00')],
      production: [
        produced('13:00', '14:00', { total: 10 }), // last instant 13:59:59.999, inside the shift
        produced('13:00', '14:00:00.001', { total: 20 }), // last instant 14:00, outside
        produced('05:00', '06:00', { total: 40 }), // last instant before the shift
      ],
    })
      .when({ window: day, now: evening })
      .then({ pq: 10 });
  });

  it('attributes a record to the bucket holding its last instant, across a bucket boundary', () => {
    const outcome = given({
      shifts: [early],
      states: [running('06:00', '14:00')],
      production: [
        produced('06:10', '06:20', { total: 3 }),
        produced('06:05', '06:15', { total: 5 }),
        produced('06:15', '06:15:00.001', { total: 7 }),
      ],
    }).when({ window: ['06:00', '06:30'], now: evening });
    expect(outcome.rows.map((row) => [row.bucketStart, row.pq])).toEqual([
      [at('06:00'), 5],
      [at('06:15'), 10],
    ]);
  });

  it('extends an open state to now and clips planned operation time at now', () => {
    given({
      shifts: [early],
      states: [running('06:00', null)],
      production: [
        produced('06:00', '09:00', { total: 100, idealCycleTimeS: 90 }),
        produced('09:00', '10:00', { total: 50 }), // ends after now
      ],
    })
      .when({ window: day, now: '09:10' })
      .then({ pot: minutes(190), apt: minutes(190), adot: 0, pq: 100, ideal: minutes(150) })
      .ratios({ availability: 1, performance: 150 / 190, quality: 1 });
  });

  it('counts nothing after now, even closed states and records posted ahead of time', () => {
    given({
      shifts: [early],
      states: [running('06:00', '14:00')],
      production: [produced('06:00', '12:00', { total: 10 })],
    })
      .when({ window: day, now: '08:00' })
      .then({ pot: hours(2), apt: hours(2), pq: 0 })
      .buckets(['06:00', '06:15', '06:30', '06:45', '07:00', '07:15', '07:30', '07:45']);
  });

  it('cuts a state at now mid-bucket, so a live bucket holds the time so far', () => {
    given({ shifts: [early], states: [running('06:00', null)] })
      .when({ window: ['06:00', '06:15'], now: '06:07:30' })
      .then({ pot: minutes(7.5), apt: minutes(7.5) });
  });

  it('gives the overlap of an equipment shift and a line shift to the equipment shift', () => {
    given({
      shifts: [lineShift('line-early', '06:00', '14:00'), equipmentShift('overtime', '12:00', '16:00')],
      states: [running('06:00', '16:00')],
      production: [produced('12:30', '13:00', { total: 6 }), produced('11:00', '12:00', { total: 4 })],
    })
      .when({ window: day, now: evening })
      .then({ pot: hours(10), apt: hours(10) })
      .perShift({
        'line-early': { pot: hours(6), apt: hours(6), pq: 4 },
        overtime: { pot: hours(4), apt: hours(4), pq: 6 },
      });
  });

  it('splits a bucket between two shifts that change within it', () => {
    given({
      shifts: [lineShift('early', '06:00', '14:05'), lineShift('late', '14:05', '22:00')],
      states: [running('06:00', '22:00')],
      production: [produced('14:00', '14:05', { total: 1 }), produced('14:05', '14:10', { total: 2 })],
    })
      .when({ window: ['14:00', '14:15'], now: evening })
      .perShift({ early: { pot: minutes(5), pq: 1 }, late: { pot: minutes(10), pq: 2 } });
  });

  it('reports performance above 1 as is: the ideal cycle time is wrong', () => {
    given({
      shifts: [early],
      states: [running('06:00', '14:00')],
      production: [produced('06:00', '14:00', { total: 960, idealCycleTimeS: 60 })],
    })
      .when({ window: day, now: evening })
      .ratios({ performance: 2, oee: 2 });
  });

  it('sums quantities and the ideal time Σ PRI × PQ across products', () => {
    given({
      shifts: [early],
      states: [running('06:00', '14:00')],
      production: [
        produced('06:00', '10:00', { total: 100, scrap: 5, rework: 3, idealCycleTimeS: 60 }),
        produced('10:00', '14:00', { total: 50, good: 40, scrap: 10, idealCycleTimeS: 120 }),
      ],
    })
      .when({ window: day, now: evening })
      .then({ pq: 150, gq: 132, sq: 15, rq: 3, ideal: minutes(200) })
      .ratios({ quality: 132 / 150 });
  });

  it('ends an open state where the next state starts, as ingest would have closed it', () => {
    given({
      shifts: [early],
      states: [running('06:00', null), stopped('10:00', '11:00'), running('11:00', null)],
    })
      .when({ window: day, now: evening })
      .then({ apt: hours(7), adot: hours(1) });
  });

  it('unions shifts that apply through the line and through the equipment', () => {
    const shifts = [lineShift('early', '06:00', '14:00'), equipmentShift('late', '14:00', '22:00')];
    expect(plannedOperationTime(shifts, { start: at('00:00'), end: at('+1 00:00') }, at('20:00'))).toEqual([
      { start: at('06:00'), end: at('20:00') },
    ]);
    expect(shiftOwnership(shifts).map(({ shift, owned }) => [shift.id, owned.length])).toEqual([
      ['late', 1],
      ['early', 1],
    ]);
  });

  it('gives the same numbers for a bucket read alone or inside a longer window', () => {
    const facts = {
      shifts: [early],
      states: [running('06:00', '07:50'), stopped('07:50', '08:00')],
      production: [produced('07:30', '07:50', { total: 9 })],
      now: at(evening),
    };
    const alone = computeComponents({ ...facts, bucket: { start: at('07:45'), end: at('08:00') } });
    const inDay = computeComponentsForWindow({
      ...facts,
      window: { start: at('00:00'), end: at('+1 00:00') },
    });
    expect(inDay.filter((row) => row.bucketStart === at('07:45'))).toEqual(alone);
    expect(alone).toEqual([
      {
        bucketStart: at('07:45'),
        shiftId: 'early',
        pot: minutes(15),
        pdot: 0,
        apt: minutes(5),
        pq: 9,
        gq: 9,
        sq: 0,
        rq: 0,
        ideal: 9_000,
      },
    ]);
  });
});
