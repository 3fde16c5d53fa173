import { ClickHouseError as ClientError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { ClickHouseError, toClickHouseError } from '../src/index.js';

const v18 = (code: number, text: string) =>
  new Error(`Code: ${code}, e.displayText() = DB::Exception: ${text}, e.what() = DB::Exception\n`);

describe('toClickHouseError', () => {
  it('reads the code of an 18.16 message, which arrives as a plain Error', () => {
    const err = toClickHouseError(v18(60, "Table takt.nope doesn't exist."));
    expect(err).toBeInstanceOf(ClickHouseError);
    expect(err).toMatchObject({ kind: 'server', code: 60, type: 'UNKNOWN_TABLE', retriable: false });
    expect(err.message).toBe('ClickHouse request failed (Code: 60 UNKNOWN_TABLE)');
  });

  it('reads the code the client parsed from a current server message', () => {
    const parsed = new ClientError({
      message: "Table takt.nope doesn't exist. ",
      code: '60',
      type: 'UNKNOWN_TABLE',
    });
    expect(toClickHouseError(parsed)).toMatchObject({ code: 60, type: 'UNKNOWN_TABLE', retriable: false });
  });

  it('takes the type from the very end of a current message for codes it does not know', () => {
    const err = toClickHouseError(
      new Error(
        'Code: 9999. DB::Exception: bad value (SECRET_NAME) here. (SOME_NEW_ERROR) (version 24.8.1.1 (official build))',
      ),
    );
    expect(err.type).toBe('SOME_NEW_ERROR');
    expect(toClickHouseError(new Error('Code: 9999. DB::Exception: (SECRET_NAME)')).type).toBeUndefined();
  });

  it.each([
    [159, 'Timeout exceeded: elapsed 1.004 seconds, maximum: 1'],
    [241, 'Memory limit (for query) exceeded: would use 11.00 MiB'],
    [202, 'Too many simultaneous queries. Maximum: 100'],
    [252, 'Too many parts (300). Merges are processing significantly slower than inserts'],
    [209, 'Timeout exceeded while reading from socket'],
  ])('Code: %d is retriable', (code, text) => {
    expect(toClickHouseError(v18(code, text))).toMatchObject({ kind: 'server', code, retriable: true });
  });

  it.each([
    [62, 'Syntax error: failed at position 8'],
    [60, "Table default.x doesn't exist."],
    [81, "Database nope doesn't exist"],
    [193, 'Wrong password for user default'],
    [27, 'Cannot parse input: expected , before: secret'],
  ])('Code: %d is not retriable', (code, text) => {
    expect(toClickHouseError(v18(code, text))).toMatchObject({ code, retriable: false });
  });

  it('treats request timeouts and network failures as retriable', () => {
    expect(toClickHouseError(new Error('Timeout error.'))).toMatchObject({
      kind: 'timeout',
      retriable: true,
      code: undefined,
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(toClickHouseError(refused)).toMatchObject({ kind: 'network', retriable: true });
    expect(toClickHouseError(new Error('socket hang up'))).toMatchObject({
      kind: 'network',
      retriable: true,
    });
    expect(toClickHouseError(new Error('The user aborted a request.'))).toMatchObject({
      kind: 'aborted',
      retriable: false,
    });
    expect(toClickHouseError('weird')).toMatchObject({ kind: 'unknown', retriable: false });
  });

  it('does not take a code quoted inside the message for the server code', () => {
    const err = toClickHouseError(new Error('<html>502 Bad Gateway: upstream said Code: 159</html>'));
    expect(err).toMatchObject({ kind: 'unknown', code: undefined, retriable: false });
  });

  it('keeps the server message, which may quote rows, out of message, JSON and spreads', () => {
    const raw = v18(27, "Cannot parse input: expected , before: 'Jana Nováková'");
    const err = toClickHouseError(raw);
    expect(err.serverMessage).toBe(raw.message);
    expect(err.message).not.toContain('Jana');
    expect(err.stack).not.toContain('Jana');
    expect(JSON.stringify(err)).not.toContain('Jana');
    expect(JSON.stringify({ ...err })).not.toContain('Jana');
    expect(Object.keys(err)).not.toContain('serverMessage');
    expect(Object.keys(err)).not.toContain('cause');
  });

  it('is idempotent', () => {
    const err = toClickHouseError(v18(60, 'x'));
    expect(toClickHouseError(err)).toBe(err);
  });
});
