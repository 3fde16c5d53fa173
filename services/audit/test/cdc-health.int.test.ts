import { waitFor } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Pipeline, startPipeline } from './harness.js';

describe("audit's /readyz follows the CDC source", () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline();
  });
  afterAll(async () => {
    await p?.close();
  });

  it('503 naming the missing connector and slot, 200 once its connector streams', async () => {
    const audit = await p.startAudit({ CDC_HEARTBEAT_MAX_AGE_MS: '5000' });
    const before = await audit.app.inject('/readyz');
    expect(before.statusCode).toBe(503);
    expect(before.json()).toMatchObject({
      checks: { cdc: 'unhealthy', kafka_consumer: 'ok' },
      reasons: { cdc: ['connector_missing', 'slot_missing', 'heartbeat_stale'] },
    });
    const metrics = (await audit.app.inject('/metrics')).body;
    expect(metrics).toMatch(/takt_cdc_unhealthy_reason\{[^}]*reason="connector_missing"[^}]*\} 1/);
    await p.startConnector();
    await waitFor(async () => (await audit.app.inject('/readyz')).statusCode === 200, {
      timeoutMs: 30_000,
      what: "audit's /readyz once the connector runs",
    });
  });
});
