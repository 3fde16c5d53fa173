import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correlationIdFrom, createLogger, newRequestId } from '../src/index.js';

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

describe('request and correlation ids', () => {
  const safe = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);

  it('makes a fresh UUID for every request', () => {
    const a = newRequestId();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newRequestId()).not.toBe(a);
  });

  it('keeps a well-formed correlation id, preferring x-correlation-id', () => {
    fc.assert(
      fc.property(safe, safe, (a, b) => {
        expect(correlationIdFrom({ 'x-request-id': a })).toBe(a);
        expect(correlationIdFrom({ 'x-correlation-id': a, 'x-request-id': b })).toBe(a);
      }),
    );
  });

  it('ignores anything outside [A-Za-z0-9._-]{1,64}', () => {
    for (const hostile of [
      '',
      'a'.repeat(65),
      'x'.repeat(10_240),
      'abc\n',
      'abc\r\nset-cookie: x=1',
      "x'; drop table",
      'caf\u00e9',
      '\u30ea\u30af\u30a8\u30b9\u30c8',
      'a b',
      'a, b',
    ]) {
      expect(correlationIdFrom({ 'x-request-id': hostile })).toBeNull();
      expect(correlationIdFrom({ 'x-correlation-id': hostile, 'x-request-id': 'fine' })).toBeNull();
    }
    expect(correlationIdFrom({ 'x-request-id': ['a', 'b'] })).toBeNull();
    expect(correlationIdFrom({})).toBeNull();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const kept = correlationIdFrom({ 'x-correlation-id': s });
        expect(kept === null || (kept === s && /^[A-Za-z0-9._-]{1,64}$/.test(s))).toBe(true);
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(s)) expect(kept).toBeNull();
      }),
    );
  });
});
