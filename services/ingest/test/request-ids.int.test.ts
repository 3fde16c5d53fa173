import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestHarness, seedPlant, startIngest, type TestTenant } from './harness.js';

// The server makes every request id; a client's correlation id is stored beside it only in the
// one safe shape (docs/identity.md).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let h: IngestHarness;
let t: TestTenant;
beforeAll(async () => {
  h = await startIngest();
  t = await h.tenant();
  await seedPlant(h, t);
});
afterAll(() => h?.close());

let hour = 0;
/** Posts one production record under fresh ids; answers the response and the ids. */
async function postBatch(headers: Record<string, string>) {
  const batchId = randomUUID();
  const id = randomUUID();
  hour += 1;
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/production-counts',
    headers: { ...t.auth('ingest'), ...headers },
    payload: {
      batchId,
      records: [
        {
          id,
          equipmentCode: 'press-01',
          productCode: 'bracket',
          start: new Date(Date.UTC(2026, 10, 1, hour)).toISOString(),
          end: new Date(Date.UTC(2026, 10, 1, hour, 30)).toISOString(),
          total: 5,
          good: 5,
        },
      ],
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const [batch] = await h.sql<{ request_id: string; correlation_id: string | null }>(
    'SELECT request_id, correlation_id FROM ingest_batch WHERE id = $1',
    [batchId],
  );
  const [fact] = await h.sql<{ request_id: string }>('SELECT request_id FROM fact_production WHERE id = $1', [
    id,
  ]);
  return { res, batch, fact };
}

describe('request and correlation ids of a batch', () => {
  it('store the server id as request_id and a valid client id in correlation_id', async () => {
    for (const header of ['x-correlation-id', 'x-request-id']) {
      const { res, batch, fact } = await postBatch({ [header]: 'line-7.plc_42-retry-1' });
      const requestId = res.headers['x-request-id'];
      expect(requestId).toMatch(UUID);
      expect(res.headers['x-correlation-id']).toBe('line-7.plc_42-retry-1');
      expect(batch).toEqual({ request_id: requestId, correlation_id: 'line-7.plc_42-retry-1' });
      expect(fact?.request_id).toBe(requestId);
    }
  });

  it('store nothing of a hostile header, and never echo it', async () => {
    const hostile = ['two\nlines', 'crlf\r\nx-injected: 1', 'x'.repeat(10_240), 'b\u00e4ckerei-\u5de5\u5834'];
    for (const value of hostile) {
      for (const header of ['x-correlation-id', 'x-request-id']) {
        const { res, batch, fact } = await postBatch({ [header]: value });
        const requestId = res.headers['x-request-id'];
        expect(requestId).toMatch(UUID);
        expect(res.headers['x-correlation-id']).toBeUndefined();
        expect(Object.values(res.headers).join('\n')).not.toContain(value);
        expect(batch).toEqual({ request_id: requestId, correlation_id: null });
        expect(fact?.request_id).toBe(requestId);
      }
    }
    const leaked = await h.sql<{ n: string }>(
      `SELECT count(*) AS n FROM ingest_batch b JOIN fact_production f ON f.batch_id = b.id
        WHERE b.request_id = ANY($1) OR b.correlation_id = ANY($1) OR f.request_id = ANY($1)`,
      [hostile],
    );
    expect(Number(leaked[0]?.n)).toBe(0);
  });

  it('keep the first request ids when a retry is answered from the stored batch', async () => {
    const batchId = randomUUID();
    const payload = {
      batchId,
      records: [{ equipmentCode: 'press-01', tag: 'temp', ts: '2026-11-02T06:00:00Z', value: 1 }],
    };
    const send = (correlationId: string) =>
      h.app.inject({
        method: 'POST',
        url: '/v1/sensor-batches',
        headers: { ...t.auth('ingest'), 'x-correlation-id': correlationId },
        payload,
      });
    const first = await send('first-try');
    const retry = await send('second-try');
    expect([first.statusCode, retry.statusCode]).toEqual([201, 200]);
    expect(retry.headers['x-correlation-id']).toBe('second-try');
    const rows = await h.sql('SELECT request_id, correlation_id FROM ingest_batch WHERE id = $1', [batchId]);
    expect(rows).toEqual([{ request_id: first.headers['x-request-id'], correlation_id: 'first-try' }]);
  });

  it('are refused by the table itself in any other shape', async () => {
    const insert = (correlationId: string) =>
      h.sql(
        `INSERT INTO ingest_batch (tenant_id, id, kind, record_count, payload_sha256, response, changed_by,
                                   request_id, correlation_id)
         VALUES ($1, $2, 'sensor', 1, 'x', '{}', $3, $4, $5)`,
        [t.id, randomUUID(), randomUUID(), randomUUID(), correlationId],
      );
    await expect(insert('a\nb')).rejects.toThrow(/ingest_batch_correlation_id_chk/);
    await expect(insert('y'.repeat(65))).rejects.toThrow(/ingest_batch_correlation_id_chk/);
    await expect(insert('fine-1')).resolves.toEqual([]);
  });
});

describe('request ids of master data', () => {
  it('are the server id, never the client header', async () => {
    const res = await h.app.inject({
      method: 'PUT',
      url: '/v1/sites/hamburg',
      headers: { ...t.auth('admin'), 'x-request-id': 'client-said-so' },
      payload: { name: 'Hamburg', timeZone: 'Europe/Berlin' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-correlation-id']).toBe('client-said-so');
    const [site] = await h.sql<{ request_id: string }>(
      "SELECT request_id FROM dim_site WHERE tenant_id = $1 AND code = 'hamburg'",
      [t.id],
    );
    expect(site?.request_id).toBe(res.headers['x-request-id']);
    expect(site?.request_id).toMatch(UUID);
  });
});
