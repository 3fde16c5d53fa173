import { describe, expect, it } from 'vitest';
import { parseApplied } from '../src/invalidation.js';

describe('parseApplied', () => {
  it('reads a rewritten range and a flush', () => {
    expect(parseApplied('{"tenantId":"t","equipmentId":"e","fromMs":0,"toMs":900000}')).toEqual({
      kind: 'range',
      tenantId: 't',
      equipmentId: 'e',
      fromMs: 0,
      toMs: 900_000,
    });
    expect(parseApplied('{"flush":true}')).toEqual({ kind: 'flush' });
  });

  it.each([
    '',
    'not json',
    'null',
    '[]',
    '{"flush":"yes"}',
    '{"tenantId":"t","equipmentId":"e","fromMs":900000,"toMs":900000}',
    '{"tenantId":"t","equipmentId":"e","fromMs":0.5,"toMs":900000}',
    '{"tenantId":1,"equipmentId":"e","fromMs":0,"toMs":900000}',
    '{"tenantId":"t","fromMs":0,"toMs":900000}',
  ])('skips %j', (text) => {
    expect(parseApplied(text)).toBeNull();
  });
});
