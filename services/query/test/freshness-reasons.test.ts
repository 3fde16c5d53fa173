import { describe, expect, it } from 'vitest';
import { freshnessReasons } from '../src/freshness.js';

describe('freshnessReasons', () => {
  const healthy = { healthy: true, reasons: [] };

  it('caught up only with no lag, a known lag and a healthy source', () => {
    expect(freshnessReasons({ mirror: 0, recompute: 0 }, healthy)).toEqual([]);
    expect(freshnessReasons({ mirror: 0, recompute: 0 }, undefined)).toEqual([]);
  });

  it('zero lag with a failed task is not caught up: the changes wait in the WAL', () => {
    expect(
      freshnessReasons(
        { mirror: 0, recompute: 0 },
        { healthy: false, reasons: ['task_failed', 'slot_inactive'] },
      ),
    ).toEqual(['task_failed', 'slot_inactive']);
  });

  it('projector lag, unknown lag and source reasons all count', () => {
    expect(freshnessReasons({ mirror: 0, recompute: 3 }, healthy)).toEqual(['projector_lag']);
    expect(freshnessReasons(undefined, { healthy: false, reasons: ['dead_letters'] })).toEqual([
      'lag_unknown',
      'dead_letters',
    ]);
  });
});
