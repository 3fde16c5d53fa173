import type { ChangeEvent } from '@takt/cdc';
import { describe, expect, it } from 'vitest';
import { coalesce, parseDirtyMark, touchesOf } from '../src/dirty.js';
import { collectWork, versionOf } from '../src/recompute.js';

const T = Date.parse('2026-11-30T06:00:00Z');
const M = 60_000;
const base = {
  key: {},
  lsn: 10n,
  txId: 1,
  committedAtMs: T,
  snapshot: false,
  topic: 'takt.public.x',
  partition: 0,
  offset: '0',
};
const fact = {
  tenant_id: 't',
  batch_id: 'b',
  created_at: T,
  updated_at: T,
  changed_by: 'k',
  request_id: 'r',
};

const state = (start: number, end: number | null) => ({
  ...fact,
  id: 's1',
  equipment_id: 'e1',
  state: 'running',
  reason_id: null,
  start_at: start,
  end_at: end,
});

describe('touchesOf', () => {
  it('an updated state dirties where it was and where it is now', () => {
    const event = {
      ...base,
      table: 'fact_equipment_state',
      op: 'update',
      before: state(T, T + 10 * M),
      after: state(T + 50 * M, T + 70 * M),
    } as ChangeEvent;
    expect(touchesOf(event, T + 100 * M)).toEqual([
      { kind: 'equipment', tenantId: 't', equipmentId: 'e1', fromMs: T, toMs: T + 15 * M },
      { kind: 'equipment', tenantId: 't', equipmentId: 'e1', fromMs: T + 45 * M, toMs: T + 75 * M },
    ]);
  });

  it('an open state reaches to now', () => {
    const event = {
      ...base,
      table: 'fact_equipment_state',
      op: 'create',
      before: null,
      after: state(T, null),
    } as ChangeEvent;
    expect(touchesOf(event, T + 31 * M)).toEqual([
      { kind: 'equipment', tenantId: 't', equipmentId: 'e1', fromMs: T, toMs: T + 45 * M },
    ]);
  });

  it('production dirties the bucket of its last instant only', () => {
    const row = {
      ...fact,
      id: 'p',
      equipment_id: 'e1',
      product_id: 'x',
      start_at: T,
      end_at: T + 30 * M,
      total: 1,
      good: 1,
      scrap: 0,
      rework: 0,
      ideal_cycle_time_s: '1',
      order_id: null,
      operator_enc: null,
    };
    const event = {
      ...base,
      table: 'fact_production',
      op: 'create',
      before: null,
      after: row,
    } as ChangeEvent;
    expect(touchesOf(event, T)).toEqual([
      { kind: 'equipment', tenantId: 't', equipmentId: 'e1', fromMs: T + 15 * M, toMs: T + 30 * M },
    ]);
  });

  it("a line's shift touches the line; an equipment move touches its whole history; a rename nothing", () => {
    const shift = {
      ...fact,
      id: 'sh',
      line_id: 'L1',
      equipment_id: null,
      name: 'Early',
      start_at: T,
      end_at: T + 8 * 60 * M,
    };
    expect(
      touchesOf({ ...base, table: 'fact_shift', op: 'create', before: null, after: shift } as ChangeEvent, T),
    ).toEqual([{ kind: 'line', tenantId: 't', lineId: 'L1', fromMs: T, toMs: T + 8 * 60 * M }]);
    const eq = { ...fact, id: 'e1', code: 'c', name: 'n', attributes: {}, deleted_at: null, line_id: 'L1' };
    const move = {
      ...base,
      table: 'dim_equipment',
      op: 'update',
      before: eq,
      after: { ...eq, line_id: 'L2' },
    } as ChangeEvent;
    expect(touchesOf(move, T)).toEqual([{ kind: 'history', tenantId: 't', equipmentId: 'e1', lineId: 'L2' }]);
    const rename = {
      ...base,
      table: 'dim_equipment',
      op: 'update',
      before: eq,
      after: { ...eq, name: 'x' },
    } as ChangeEvent;
    expect(touchesOf(rename, T)).toEqual([]);
  });
});

describe('dirty marks', () => {
  it('coalesce merges near ranges per equipment and keeps far ones apart', () => {
    const m = (equipmentId: string, from: number, to: number) => ({
      tenantId: 't',
      equipmentId,
      fromMs: T + from * M,
      toMs: T + to * M,
    });
    expect(coalesce([m('a', 0, 15), m('b', 0, 15), m('a', 30, 45), m('a', 600, 615)])).toEqual([
      m('a', 0, 45),
      m('a', 600, 615),
      m('b', 0, 15),
    ]);
  });

  it('parses only well-formed marks', () => {
    expect(parseDirtyMark('{"tenantId":"t","equipmentId":"e","fromMs":0,"toMs":900000}')).toEqual({
      tenantId: 't',
      equipmentId: 'e',
      fromMs: 0,
      toMs: 900000,
    });
    for (const bad of [
      '',
      'nope',
      '{"tenantId":"t"}',
      '{"tenantId":"t","equipmentId":"e","fromMs":5,"toMs":5}',
      '{"tenantId":"t","equipmentId":"e","fromMs":-900000,"toMs":900000}',
      `{"tenantId":"t","equipmentId":"e","fromMs":0,"toMs":${Date.parse('9999-12-31T23:45:00Z')}}`,
    ])
      expect(parseDirtyMark(bad)).toBeNull();
  });

  it('a batch of marks becomes one piece of work per equipment, versioned by its last offset', () => {
    const msg = (offset: string, equipmentId: string, from: number, to: number) => ({
      offset,
      value: Buffer.from(JSON.stringify({ tenantId: 't', equipmentId, fromMs: from, toMs: to })),
      key: null,
      timestamp: '0',
      attributes: 0,
      headers: {},
    });
    const work = collectWork([
      msg('7', 'a', 0, 900_000),
      msg('8', 'b', 0, 900_000),
      msg('9', 'a', 900_000, 1_800_000),
    ]);
    expect(work).toEqual([
      {
        key: { tenantId: 't', equipmentId: 'a' },
        ranges: [{ fromMs: 0, toMs: 1_800_000 }],
        version: versionOf('9'),
      },
      {
        key: { tenantId: 't', equipmentId: 'b' },
        ranges: [{ fromMs: 0, toMs: 900_000 }],
        version: versionOf('8'),
      },
    ]);
    expect(versionOf('9')).toBeGreaterThan(versionOf('8'));
  });
});
