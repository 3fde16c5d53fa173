import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestHarness, seedPlant, startIngest, type TestTenant } from './harness.js';

let h: IngestHarness;
let t: TestTenant;

beforeAll(async () => {
  h = await startIngest();
  t = await h.tenant();
  await seedPlant(h, t);
});
afterAll(() => h?.close());

interface StateRow {
  id: string;
  state: string;
  start_at: Date;
  end_at: Date | null;
}

const post = (records: Record<string, unknown>[]) =>
  h.app.inject({
    method: 'POST',
    url: '/v1/state-events',
    headers: t.auth('ingest'),
    payload: { batchId: randomUUID(), records },
  });

const states = (equipment: string) =>
  h.sql<StateRow>(
    `SELECT s.id, s.state, s.start_at, s.end_at FROM fact_equipment_state s
       JOIN dim_equipment e ON e.id = s.equipment_id WHERE e.code = $1 ORDER BY s.start_at`,
    [equipment],
  );

describe('state stream', () => {
  it('closes the open state at the start of the next one, in array order', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const res = await post([
      { id: a, equipmentCode: 'press-01', state: 'running', start: '2026-11-30T06:00:00Z' },
      {
        id: b,
        equipmentCode: 'press-01',
        state: 'stopped',
        reasonCode: 'jam',
        start: '2026-11-30T07:00:00Z',
      },
      { id: c, equipmentCode: 'press-01', state: 'running', start: '2026-11-30T07:20:00Z' },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const rows = await states('press-01');
    expect(rows.map((r) => [r.id, r.end_at?.toISOString() ?? null])).toEqual([
      [a, '2026-11-30T07:00:00.000Z'],
      [b, '2026-11-30T07:20:00.000Z'],
      [c, null],
    ]);
  });

  it('refuses a new state starting at or before the open one', async () => {
    const res = await post([
      { id: randomUUID(), equipmentCode: 'press-01', state: 'stopped', start: '2026-11-30T07:20:00Z' },
    ]);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('TAKT_STATE_CONFLICT');
  });

  it('rejects an interval overlapping a closed one, naming it, and writes nothing of the batch', async () => {
    const before = await states('press-01');
    const [first] = before;
    const res = await post([
      {
        id: randomUUID(),
        equipmentCode: 'press-02',
        state: 'running',
        start: '2026-11-30T06:00:00Z',
        end: '2026-11-30T07:00:00Z',
      },
      {
        id: first!.id,
        equipmentCode: 'press-01',
        state: 'running',
        start: '2026-11-30T06:00:00Z',
        end: '2026-11-30T07:10:00Z',
      },
    ]);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'TAKT_OVERLAP', conflictingId: before[1]!.id });
    expect(await states('press-02')).toEqual([]);
    expect(await states('press-01')).toEqual(before);
  });

  it('corrects an interval, and an identical re-post changes nothing', async () => {
    const [first, second] = await states('press-01');
    const fix = {
      id: first!.id,
      equipmentCode: 'press-01',
      state: 'planned_stop',
      reasonCode: 'break',
      start: '2026-11-30T06:00:00Z',
      end: '2026-11-30T07:00:00Z',
    };
    expect((await post([fix])).statusCode).toBe(201);
    const [xmin] = await h.sql<{ xmin: string }>(
      'SELECT xmin::text FROM fact_equipment_state WHERE id = $1',
      [first!.id],
    );
    expect((await post([fix])).statusCode).toBe(201);
    const [xmin2] = await h.sql<{ xmin: string }>(
      'SELECT xmin::text FROM fact_equipment_state WHERE id = $1',
      [first!.id],
    );
    expect(xmin2).toEqual(xmin);
    const reopen = await post([
      {
        id: second!.id,
        equipmentCode: 'press-01',
        state: 'stopped',
        reasonCode: 'jam',
        start: '2026-11-30T07:00:00Z',
      },
    ]);
    expect(reopen.statusCode).toBe(409);
    const move = await post([{ ...fix, equipmentCode: 'press-02' }]);
    expect(move.statusCode).toBe(409);
    expect(move.json().code).toBe('TAKT_OWNER_CHANGE');
  });

  it('reopens the latest state when re-posted without an end', async () => {
    const id = randomUUID();
    expect(
      (
        await post([
          {
            id,
            equipmentCode: 'press-02',
            state: 'running',
            start: '2026-11-30T09:00:00Z',
            end: '2026-11-30T10:00:00Z',
          },
        ])
      ).statusCode,
    ).toBe(201);
    expect(
      (await post([{ id, equipmentCode: 'press-02', state: 'running', start: '2026-11-30T09:00:00Z' }]))
        .statusCode,
    ).toBe(201);
    const [row] = await states('press-02');
    expect(row?.end_at).toBeNull();
  });

  it('checks reasons against the state', async () => {
    const res = await post([
      {
        id: randomUUID(),
        equipmentCode: 'press-01',
        state: 'stopped',
        reasonCode: 'break',
        start: '2026-12-01T06:00:00Z',
      },
      {
        id: randomUUID(),
        equipmentCode: 'press-01',
        state: 'planned_stop',
        reasonCode: 'jam',
        start: '2026-12-01T07:00:00Z',
      },
      {
        id: randomUUID(),
        equipmentCode: 'press-01',
        state: 'running',
        reasonCode: 'jam',
        start: '2026-12-01T08:00:00Z',
      },
      {
        id: randomUUID(),
        equipmentCode: 'press-01',
        state: 'stopped',
        reasonCode: 'ghost',
        start: '2026-12-01T09:00:00Z',
      },
    ]);
    expect(res.statusCode).toBe(400);
    const pointers = res.json().errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/records/2/reasonCode']));
    const second = await post([
      {
        id: randomUUID(),
        equipmentCode: 'press-01',
        state: 'stopped',
        reasonCode: 'break',
        start: '2026-12-01T06:00:00Z',
      },
      {
        id: randomUUID(),
        equipmentCode: 'press-01',
        state: 'planned_stop',
        reasonCode: 'jam',
        start: '2026-12-01T07:00:00Z',
      },
      {
        id: randomUUID(),
        equipmentCode: 'press-01',
        state: 'stopped',
        reasonCode: 'ghost',
        start: '2026-12-01T09:00:00Z',
      },
    ]);
    expect(second.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/records/2/reasonCode',
      '/records/0/reasonCode',
      '/records/1/reasonCode',
    ]);
    // A reason's planned flag cannot flip under states already filed under it.
    const flip = await h.app.inject({
      method: 'PUT',
      url: '/v1/downtime-reasons/jam',
      headers: t.auth('admin'),
      payload: { name: 'Jam', planned: true },
    });
    expect(flip.statusCode).toBe(409);
  });
});
