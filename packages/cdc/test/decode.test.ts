import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ChangeEvent,
  decodeMessage,
  isoToEpochMs,
  type RawMessage,
  TABLES,
  TIMESTAMP_COLUMNS,
  tableOfTopic,
} from '../src/index.js';
import { allFixtures, fixture } from './fixtures.js';

const change = (m: RawMessage): ChangeEvent => {
  const d = decodeMessage(m);
  if (d.kind !== 'change') throw new Error(`expected a change, got ${JSON.stringify(d)}`);
  return d.event;
};

describe('decodeMessage on recorded envelopes', () => {
  it('decodes every recorded message into something other than invalid', () => {
    const all = allFixtures();
    expect(all.length).toBeGreaterThan(15);
    for (const m of all) expect(decodeMessage(m).kind, `${m.topic}@${m.offset}`).not.toBe('invalid');
  });

  it('reads a snapshot row as op snapshot with normalized values', () => {
    const [m] = fixture('dim_site');
    const e = change(m!);
    expect(e.table).toBe('dim_site');
    expect(e.op).toBe('snapshot');
    expect(e.snapshot).toBe(true);
    expect(e.before).toBeNull();
    if (e.table !== 'dim_site') throw new Error('narrowing');
    expect(e.after).toMatchObject({
      code: 'berlin',
      time_zone: 'Europe/Berlin',
      attributes: { region: 'EU', floors: [1, 2] },
      created_at: Date.parse('2026-03-01T05:00:00.123Z'),
      deleted_at: null,
      request_id: 'req-fixture-1',
    });
    expect(typeof e.lsn).toBe('bigint');
    expect(e.key).toEqual({ id: e.after?.id });
  });

  it('decodes a create and an update with before and after images', () => {
    const [c, u] = fixture('dim_equipment').map(change);
    expect(c?.op).toBe('create');
    expect(c?.snapshot).toBe(false);
    expect(c?.before).toBeNull();
    expect(u?.op).toBe('update');
    if (u?.table !== 'dim_equipment') throw new Error('narrowing');
    expect(u.before?.name).toBe('Press 1');
    expect(u.after?.name).toBe('Press One');
    expect(u.after?.attributes).toEqual({ vendor: 'Acme', ratedSpm: 60.5 });
    expect(u.after?.updated_at).toBe(Date.parse('2026-03-02T06:07:08.009Z'));
    expect(u.lsn > c!.lsn).toBe(true);
    expect(u.committedAtMs).toBeGreaterThanOrEqual(c!.committedAtMs);
  });

  it('decodes a delete and the tombstone after it', () => {
    const [c, d, t] = fixture('dim_downtime_reason');
    expect(change(c!).op).toBe('create');
    const del = change(d!);
    expect(del.op).toBe('delete');
    expect(del.after).toBeNull();
    expect(del.before).toMatchObject({ code: 'jam', planned: false });
    const tomb = decodeMessage(t!);
    expect(tomb).toEqual({ kind: 'tombstone', table: 'dim_downtime_reason', key: del.key });
  });

  it('keeps numerics as exact strings and parses jsonb columns', () => {
    const [p] = fixture('fact_production').map(change);
    if (p?.table !== 'fact_production') throw new Error('narrowing');
    expect(p.after?.ideal_cycle_time_s).toBe('30.250000');
    expect(p.after).toMatchObject({ total: 30, good: 27, scrap: 2, rework: 1, order_id: 'PO-1' });
    expect(p.after?.end_at).toBe(Date.parse('2026-03-01T06:15:00.500Z'));
    const [b] = fixture('ingest_batch').map(change);
    if (b?.table !== 'ingest_batch') throw new Error('narrowing');
    expect(b.after?.response).toEqual({ batchId: b.after?.id, accepted: 1 });
    expect(b.key).toEqual({ tenant_id: b.after?.tenant_id, id: b.after?.id });
    // Written in one transaction: one txId for the batch row and its facts.
    expect(p.txId).toBe(b.txId);
  });

  it('decodes state updates, arrays and nullable timestamps', () => {
    const [c, u] = fixture('fact_equipment_state').map(change);
    if (c?.table !== 'fact_equipment_state' || u?.table !== 'fact_equipment_state')
      throw new Error('narrowing');
    expect(c.after?.end_at).toBeNull();
    expect(u.before?.end_at).toBeNull();
    expect(u.after?.end_at).toBe(Date.parse('2026-03-01T06:30:00Z'));
    const [, k] = fixture('api_key').map(change);
    if (k?.table !== 'api_key') throw new Error('narrowing');
    expect(k.after?.scopes).toEqual(['admin', 'audit']);
    expect(k.after?.revoked_at).toBe(Date.parse('2026-03-03T00:00:00Z'));
  });

  it('recognizes heartbeats on both heartbeat topics', () => {
    for (const m of fixture('heartbeat')) expect(decodeMessage(m)).toEqual({ kind: 'heartbeat' });
    expect(change(fixture('debezium_heartbeat')[0]!).table).toBe('debezium_heartbeat');
  });

  it('keeps lsn digits beyond 2^53', () => {
    const [m] = fixture('dim_line');
    const big = '18446744073709551557';
    const value = Buffer.from(m!.value!.toString().replace(/"lsn":\d+/, `"lsn":${big}`));
    expect(change({ ...m!, value }).lsn).toBe(BigInt(big));
  });

  it('honours another topic prefix', () => {
    const [m] = fixture('dim_line');
    const moved = { ...m!, topic: m!.topic.replace(/^takt\./, 't_x.') };
    expect(decodeMessage(moved).kind).toBe('invalid');
    expect(decodeMessage(moved, { prefix: 't_x' }).kind).toBe('change');
  });
});

describe('invalid input', () => {
  const base = fixture('dim_line')[0]!;
  it.each([
    ['unknown table', { ...base, topic: 'takt.public.nope' }],
    ['foreign topic', { ...base, topic: 'other' }],
    ['no key', { ...base, key: null }],
    ['key not JSON', { ...base, key: Buffer.from('{') }],
    ['value not JSON', { ...base, value: Buffer.from('nope') }],
    ['bad op', { ...base, value: Buffer.from(base.value!.toString().replace('"op":"c"', '"op":"x"')) }],
    ['bad row', { ...base, value: Buffer.from(base.value!.toString().replace('"code":"L1"', '"code":7')) }],
    [
      'bad timestamp',
      {
        ...base,
        value: Buffer.from(
          base.value!.toString().replace(/"created_at":"[^"]+"/, '"created_at":"yesterday"'),
        ),
      },
    ],
  ])('%s', (_name, msg) => {
    expect(decodeMessage(msg).kind).toBe('invalid');
  });

  it('names the table when it is known', () => {
    const d = decodeMessage({ ...base, value: Buffer.from('[]') });
    expect(d).toMatchObject({ kind: 'invalid', table: 'dim_line' });
  });

  it('never throws on garbage', () => {
    const topics = fc.constantFrom(
      ...TABLES.map((t) => `takt.public.${t}`),
      '__debezium-heartbeat.takt',
      'x',
    );
    const buf = fc.option(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
        fc.json().map((s) => Buffer.from(s)),
        fc
          .jsonValue()
          .map((v) => Buffer.from(JSON.stringify({ before: null, after: v, op: 'c', source: v }))),
      ),
      { nil: null },
    );
    fc.assert(
      fc.property(topics, buf, buf, (topic, key, value) => {
        const d = decodeMessage({ topic, partition: 0, offset: '0', key, value });
        expect(['change', 'tombstone', 'heartbeat', 'invalid']).toContain(d.kind);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated real envelopes', () => {
    const all = allFixtures().filter((m) => m.value !== null);
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.nat(), fc.string({ maxLength: 5 }), (m, at, junk) => {
        const text = m.value!.toString();
        const i = at % (text.length + 1);
        const value = Buffer.from(text.slice(0, i) + junk + text.slice(i + junk.length));
        decodeMessage({ ...m, value });
      }),
      { numRuns: 2000 },
    );
  });
});

describe('tableOfTopic and timestamps', () => {
  it('lists exactly the timestamptz columns of each schema', () => {
    for (const m of allFixtures()) {
      const d = decodeMessage(m);
      if (d.kind !== 'change' || !d.event.after) continue;
      const row = d.event.after as Record<string, unknown>;
      for (const col of TIMESTAMP_COLUMNS[d.event.table])
        expect(row[col] === null || typeof row[col] === 'number').toBe(true);
    }
  });

  it('maps topics to tables', () => {
    expect(tableOfTopic('takt.public.fact_production')).toBe('fact_production');
    expect(tableOfTopic('x.public.fact_production', 'x')).toBe('fact_production');
    expect(tableOfTopic('takt.public.constructor')).toBeNull();
    expect(tableOfTopic('takt.other.dim_site')).toBeNull();
  });

  it('truncates sub-millisecond digits and accepts offsets', () => {
    expect(isoToEpochMs('2026-03-01T05:00:00.123999Z')).toBe(Date.parse('2026-03-01T05:00:00.123Z'));
    expect(isoToEpochMs('2026-03-01T05:00:00Z')).toBe(Date.parse('2026-03-01T05:00:00Z'));
    expect(isoToEpochMs('2026-03-01T06:00:00.5+01:00')).toBe(Date.parse('2026-03-01T05:00:00.500Z'));
    expect(isoToEpochMs('2026-13-01T05:00:00Z')).toBeNull();
    expect(isoToEpochMs('soon')).toBeNull();
  });
});
