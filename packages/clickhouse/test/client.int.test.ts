import { stack, uniqueName } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouse, ClickHouseError, createClickHouse, dateTime, ident, sql } from '../src/index.js';

const s = stack();
const connect = (database?: string, requestTimeoutMs?: number) =>
  createClickHouse({
    url: s.clickhouseUrl,
    username: s.clickhouseUser,
    password: s.clickhousePassword,
    ...(database === undefined ? {} : { database }),
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
  });

async function failure(promise: Promise<unknown>): Promise<ClickHouseError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ClickHouseError);
    return err as ClickHouseError;
  }
  throw new Error('expected the request to fail');
}

describe('createClickHouse against the real server', () => {
  const name = uniqueName('takt_test');
  const admin = connect();
  let ch: ClickHouse;

  beforeAll(async () => {
    await admin.command(sql`CREATE DATABASE ${ident(name)}`);
    ch = connect(name);
  });

  afterAll(async () => {
    await ch?.close();
    await admin.command(sql`DROP DATABASE IF EXISTS ${ident(name)}`);
    await admin.close();
  });

  it('pings', async () => {
    await expect(ch.ping()).resolves.toBeUndefined();
  });

  it('runs commands and inserts then selects rows as JSONEachRow', async () => {
    await ch.command(sql`CREATE TABLE ${ident('reading')} (
      id String, equipment String, ts DateTime('UTC'), value Float64, seq UInt64, tags Array(String)
    ) ENGINE = MergeTree ORDER BY (equipment, ts)`);
    const rows = [
      {
        id: 'a',
        equipment: "press'1",
        ts: '2024-01-02 03:04:05',
        value: 1.5,
        seq: '18446744073709551615',
        tags: ['x'],
      },
      { id: 'b', equipment: 'press\\2\n', ts: 1704164646, value: -0.25, seq: 2, tags: [] },
    ];
    await ch.insert('reading', rows);
    await ch.insert(`${name}.reading`, []);
    // The alias must not be `ts`: ClickHouse aliases shadow columns in WHERE too.
    const back = await ch.query<{
      id: string;
      equipment: string;
      at: string;
      value: number;
      seq: string;
      tags: string[];
    }>(
      sql`SELECT id, equipment, toString(ts) AS at, value, seq, tags FROM ${ident('reading')}
          WHERE ts >= ${dateTime(Date.UTC(2024, 0, 2))} ORDER BY id`,
    );
    expect(back).toEqual([
      {
        id: 'a',
        equipment: "press'1",
        at: '2024-01-02 03:04:05',
        value: 1.5,
        seq: '18446744073709551615',
        tags: ['x'],
      },
      { id: 'b', equipment: 'press\\2\n', at: '2024-01-02 03:04:06', value: -0.25, seq: '2', tags: [] },
    ]);
    const [count] = await ch.query<{ n: string }>(
      sql`SELECT count() AS n FROM ${ident(name, 'reading')} WHERE equipment = ${"press'1"}`,
    );
    expect(count).toEqual({ n: '1' });
  });

  it('maps a missing table to code 60, not retriable, with the server message hidden', async () => {
    const err = await failure(ch.query(sql`SELECT * FROM ${ident('no_such_table')}`));
    expect(err).toMatchObject({ kind: 'server', code: 60, type: 'UNKNOWN_TABLE', retriable: false });
    expect(err.serverMessage).toMatch(/no_such_table/);
    expect(err.message).not.toMatch(/no_such_table/);
    expect(JSON.stringify(err)).not.toMatch(/no_such_table/);
  });

  it('maps a syntax error to code 62 without quoting the query', async () => {
    const err = await failure(ch.query(sql`SELEC ${'Jana Nováková'}`));
    expect(err).toMatchObject({ code: 62, retriable: false });
    expect(err.message).not.toContain('Jana');
  });

  it('maps an insert of bad rows without leaking them', async () => {
    const err = await failure(
      ch.insert('reading', [
        { id: 'c', equipment: 'Jana Nováková', ts: 'not a time', value: 1, seq: 1, tags: [] },
      ]),
    );
    expect(err.kind).toBe('server');
    expect(err.retriable).toBe(false);
    expect(err.message).not.toContain('Jana');
  });

  it('reports an error raised mid-result as an error, not as rows', async () => {
    const err = await failure(
      ch.query(
        sql`SELECT number, throwIf(number = 300000) AS t FROM system.numbers LIMIT 400000 SETTINGS max_block_size = 1000`,
      ),
    );
    expect(err).toMatchObject({ kind: 'server', code: 395, retriable: false });
  });

  it('maps a server-side timeout (Code: 159) as retriable', async () => {
    const err = await failure(
      ch.query(sql`SELECT count() FROM system.numbers SETTINGS max_execution_time = 1`),
    );
    expect(err).toMatchObject({ code: 159, type: 'TIMEOUT_EXCEEDED', retriable: true });
  });

  it('maps a client-side request timeout as retriable', async () => {
    const impatient = connect(name, 200);
    try {
      const err = await failure(impatient.query(sql`SELECT sleep(2)`));
      expect(err).toMatchObject({ kind: 'timeout', retriable: true });
    } finally {
      await impatient.close();
    }
  });

  it('maps an unreachable server as a retriable network error, for ping too', async () => {
    const nowhere = createClickHouse({ url: 'http://127.0.0.1:1', requestTimeoutMs: 2000 });
    try {
      expect(await failure(nowhere.ping())).toMatchObject({ kind: 'network', retriable: true });
      expect(await failure(nowhere.query(sql`SELECT 1`))).toMatchObject({ kind: 'network', retriable: true });
    } finally {
      await nowhere.close();
    }
  });

  it('maps a wrong password as not retriable', async () => {
    const stranger = createClickHouse({
      url: s.clickhouseUrl,
      username: s.clickhouseUser,
      password: 'wrong',
    });
    try {
      const err = await failure(stranger.query(sql`SELECT 1`));
      expect(err.kind).toBe('server');
      expect(err.retriable).toBe(false);
    } finally {
      await stranger.close();
    }
  });

  it('refuses statements that did not come from sql``', async () => {
    expect(() => ch.query('SELECT 1' as never)).toThrow(/sql`/);
    expect(() => ch.insert('reading; DROP TABLE x', [{}])).toThrow(/invalid table name/);
  });
});
