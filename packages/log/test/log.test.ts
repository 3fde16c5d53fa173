import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, requestIdFrom } from '../src/index.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('redacts credentials and personal data', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'test', destination });
    log.info(
      {
        req: { headers: { authorization: 'Bearer secret-key' } },
        body: { records: [{ operator: 'Ada Lovelace', good: 3 }] },
        technician: 'Grace Hopper',
      },
      'hello',
    );
    const line = lines.join('');
    expect(line).not.toContain('secret-key');
    expect(line).not.toContain('Ada Lovelace');
    expect(line).not.toContain('Grace Hopper');
    expect(JSON.parse(line)).toMatchObject({ service: 'test', level: 'info', msg: 'hello' });
  });
});

describe('requestIdFrom', () => {
  it('keeps a well-formed client id', () => {
    expect(requestIdFrom('abc-123')).toBe('abc-123');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
  });
  it('replaces a missing or hostile id with a UUID', () => {
    expect(requestIdFrom(undefined)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom("x'; drop table")).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom('a'.repeat(200))).toMatch(/^[0-9a-f-]{36}$/);
  });
});
