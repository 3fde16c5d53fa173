import { ClickHouseError } from '@takt/clickhouse';
import { describe, expect, it } from 'vitest';
import { isMessageError, ProjectorError, reasonOf } from '../src/errors.js';

const ch = (code: number, retriable = false) =>
  new ClickHouseError({ kind: 'server', code, retriable, serverMessage: 'row data here' });

describe('isMessageError: what goes to the dead-letter topic instead of blocking', () => {
  it('data ClickHouse refuses, a typed non-retriable projector error, a plain bug on one row', () => {
    expect(isMessageError(ch(27))).toBe(true);
    expect(isMessageError(ch(53))).toBe(true);
    expect(isMessageError(new ProjectorError('TAKT_PROJECTOR_INVALID_EVENT', 'x', false))).toBe(true);
    expect(isMessageError(new RangeError('Invalid time value'))).toBe(true);
  });

  it('never what retrying fixes, nor what every message would hit (config, access, Kafka)', () => {
    expect(isMessageError(ch(241, true))).toBe(false);
    expect(isMessageError(ch(60))).toBe(false);
    for (const code of [62, 81, 497, 516]) expect(isMessageError(ch(code))).toBe(false);
    expect(isMessageError(new ProjectorError('TAKT_PROJECTOR_TOPIC_MISSING', 'x', false))).toBe(false);
    expect(
      isMessageError(Object.assign(new Error('x'), { name: 'KafkaJSProtocolError', retriable: false })),
    ).toBe(false);
    expect(isMessageError(Object.assign(new Error('socket'), { code: 'ECONNRESET' }))).toBe(false);
  });

  it('reasons carry the stable code and never the server message (it can quote rows)', () => {
    expect(reasonOf(ch(27))).toBe(
      '27: ClickHouse request failed (Code: 27 CANNOT_PARSE_INPUT_ASSERTION_FAILED)',
    );
    expect(reasonOf(ch(27))).not.toContain('row data');
  });
});
