import type { ChangeEvent } from '@takt/cdc';
import { ClickHouseError } from '@takt/clickhouse';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { isRetriable, ProjectorError, UnrepresentableTimeError } from '../src/errors.js';
import { checkRepresentable, mirrorWriteOf } from '../src/rows.js';

const T = Date.parse('2026-11-30T06:00:00Z');
const base = { key: {}, txId: 1, committedAtMs: T, snapshot: false, topic: 'x', partition: 0, offset: '0' };
const row = {
  id: 's1',
  tenant_id: 't',
  batch_id: 'b',
  created_at: T,
  updated_at: T,
  changed_by: 'k',
  request_id: 'r',
  equipment_id: 'e1',
  state: 'stopped',
  reason_id: null,
  start_at: T,
  end_at: null,
};

describe('mirrorWriteOf', () => {
  it('writes the after image versioned by the exact LSN, open ends as 0', () => {
    const lsn = 2n ** 60n + 1n;
    const w = mirrorWriteOf({
      ...base,
      table: 'fact_equipment_state',
      op: 'create',
      before: null,
      after: row,
      lsn,
    } as ChangeEvent);
    expect(w).toEqual({
      table: 'fact_equipment_state_v1',
      key: 't:s1',
      row: {
        tenant_id: 't',
        id: 's1',
        equipment_id: 'e1',
        state: 'stopped',
        reason_id: '',
        start_ms: T,
        end_ms: 0,
        lsn: '1152921504606846977',
        is_deleted: 0,
      },
    });
  });

  it('writes a delete as the before image flagged is_deleted', () => {
    const w = mirrorWriteOf({
      ...base,
      table: 'fact_equipment_state',
      op: 'delete',
      before: row,
      after: null,
      lsn: 5n,
    } as ChangeEvent);
    expect(w?.row).toMatchObject({ id: 's1', is_deleted: 1, lsn: '5' });
  });

  it('ignores tables it does not mirror', () => {
    const tenant = { id: 't', code: 'c', name: 'n', created_at: T };
    expect(
      mirrorWriteOf({
        ...base,
        table: 'tenant',
        op: 'create',
        before: null,
        after: tenant,
        lsn: 1n,
      } as ChangeEvent),
    ).toBeNull();
  });
});

describe('errors and config', () => {
  it('treats outages and a table mid-swap as retriable, bad SQL as not', () => {
    const ch = (code: number | undefined, retriable: boolean) =>
      new ClickHouseError({
        kind: code === undefined ? 'network' : 'server',
        retriable,
        serverMessage: 'x',
        ...(code === undefined ? {} : { code }),
      });
    expect(isRetriable(ch(undefined, true))).toBe(true);
    expect(isRetriable(ch(60, false))).toBe(true);
    expect(isRetriable(ch(62, false))).toBe(false);
    expect(isRetriable(new ProjectorError('TAKT_PROJECTOR_INVALID_EVENT', 'x', false))).toBe(false);
  });

  it('parses once with defaults and names every bad variable', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3004,
      PROJECTOR_DIRTY_TOPIC: 'takt.projector.dirty',
      PROJECTOR_MIRROR_GROUP: 'takt-projector-mirror',
      PROJECTOR_RECOMPUTE_GROUP: 'takt-projector-recompute',
      CLICKHOUSE_DATABASE: 'takt',
      PROJECTOR_MIGRATE_ON_START: true,
    });
    expect(() =>
      loadConfig({
        PROJECTOR_OPEN_STATE_INTERVAL_MS: '120000',
        CLICKHOUSE_DATABASE: 'x; DROP',
        PROJECTOR_RECOMPUTE_GROUP: 'takt-projector-mirror',
      }),
    ).toThrow(
      /PROJECTOR_OPEN_STATE_INTERVAL_MS[\s\S]*CLICKHOUSE_DATABASE[\s\S]*PROJECTOR_RECOMPUTE_GROUP|CLICKHOUSE_DATABASE[\s\S]*PROJECTOR_OPEN_STATE_INTERVAL_MS/,
    );
  });
});

describe('checkRepresentable', () => {
  const at = { topic: 'p.public.fact_sensor_reading', partition: 1, offset: '42' };
  const reading = (ts: number) => ({
    tenant_id: 't',
    equipment_id: 'e1',
    tag: 'temp',
    ts,
    value: 1,
    quality: 'good',
    batch_id: 'b',
  });
  const event = (before: unknown, after: unknown, table = 'fact_sensor_reading') =>
    ({ ...base, table, op: after ? 'update' : 'delete', before, after, lsn: 1n }) as ChangeEvent;

  it('passes instants between 1970 and 2105', () => {
    expect(() => checkRepresentable(event(null, reading(0)), at)).not.toThrow();
    expect(() =>
      checkRepresentable(event(null, reading(Date.UTC(2105, 11, 31, 23, 59, 59))), at),
    ).not.toThrow();
  });

  it('throws a typed, never retriable error naming the message, table and column', () => {
    for (const bad of [Date.parse('9999-12-31T23:59:59Z'), -1, Date.UTC(2106, 0, 1)]) {
      let caught: unknown;
      try {
        checkRepresentable(event(reading(T), reading(bad)), at);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(UnrepresentableTimeError);
      expect(caught).toBeInstanceOf(ProjectorError);
      const err = caught as UnrepresentableTimeError;
      expect(err.code).toBe('TAKT_PROJECTOR_UNREPRESENTABLE_TIME');
      expect(isRetriable(err)).toBe(false);
      expect(err.source).toEqual(at);
      expect([err.table, err.column, err.valueMs]).toEqual(['fact_sensor_reading', 'ts', bad]);
    }
  });

  it('checks the before image too: an update or delete moving a row dirties where it was', () => {
    expect(() => checkRepresentable(event(reading(-5), reading(T)), at)).toThrow(UnrepresentableTimeError);
    expect(() =>
      checkRepresentable(event({ ...row, end_at: 8e15 }, null, 'fact_equipment_state'), at),
    ).toThrow(/fact_equipment_state.end_at/);
  });

  it('ignores tables the projector does not mirror', () => {
    const tenant = { id: 't', code: 'c', name: 'n', created_at: -1 };
    expect(() => checkRepresentable(event(null, tenant, 'tenant'), at)).not.toThrow();
  });
});
