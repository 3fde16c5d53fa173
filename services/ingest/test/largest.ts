import { randomUUID } from 'node:crypto';
import { ATTRIBUTES_LIMITS, NUMBER_LIMITS, TEXT_LIMITS, type TextField } from '@takt/config';
import { inspectAttributes } from '../src/bounds.js';
import type { IngestHarness, TestTenant } from './harness.js';

/*
 * The largest legal row of every captured table, written through the ingest API (the tenant row,
 * which only the CLI writes, by SQL), with the characters that cost Kafka the most bytes: four-byte
 * characters in one-line text, control characters (escaped to six bytes) in notes, and quotes in
 * attributes (escaped twice: once in jsonb's text, once inside Debezium's JSON string).
 */

/** Round "a" creates every row; round "b" changes every row, so its events carry two full images. */
export type Round = 'a' | 'b';

const wideChar = (round: Round) => (round === 'a' ? '😀' : '😁');

/** The most UTF-8 bytes the text field can hold. */
export const widest = (field: TextField, round: Round) => wideChar(round).repeat(TEXT_LIMITS[field].max);

/** A code of the full 64 characters. */
export const longCode = (stem: string) => stem.padEnd(TEXT_LIMITS.code.max, '0');

/** An attributes object of exactly the byte limit as stored, nearly all of it quotes. */
export function largestAttributes(round: Round): Record<string, string> {
  const frame = `{"${round}": ""}`.length;
  const quotes = Math.floor((ATTRIBUTES_LIMITS.maxBytes - frame) / 2);
  const value = '"'.repeat(quotes) + 'x'.repeat(ATTRIBUTES_LIMITS.maxBytes - frame - 2 * quotes);
  const attributes = { [round]: value };
  const { bytes } = inspectAttributes(attributes);
  if (bytes !== ATTRIBUTES_LIMITS.maxBytes) throw new Error(`largest attributes are ${bytes} bytes`);
  return attributes;
}

export const LARGEST = {
  site: longCode('site-'),
  line: longCode('line-'),
  equipment: longCode('equipment-'),
  product: longCode('product-'),
  reason: longCode('reason-'),
  tag: 'tag:/'.padEnd(TEXT_LIMITS.tag.max, '.'),
  shiftId: '6a0f1f0e-7d7f-4d8e-9a39-4b0f2b6f2a11',
  stateId: '0b6de1b7-4b38-4f57-8a40-2f3f8a5ea1c2',
  productionId: '8d5f0b9e-3c6f-4f0a-b3a7-9f1c6a7d3e44',
  maintenanceId: '2c8e6a7f-1b5d-4e3c-9f4a-7d2b8c1e5f55',
} as const;

/** An hour boundary a day back: recent enough for any accepted time range, the same for both rounds. */
const BASE = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Master data and keys need an admin key, facts an ingest key. */
export const scopeOf = (url: string) =>
  /^\/v1\/(sites|lines|equipment|products|downtime-reasons|api-keys)\b/.test(url) ? 'admin' : 'ingest';

async function send(h: IngestHarness, t: TestTenant, method: 'PUT' | 'POST', url: string, payload: object) {
  const res = await h.app.inject({ method, url, headers: t.auth(scopeOf(url)), payload });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body.slice(0, 500)}`);
  return res.json() as Record<string, unknown>;
}

const batch = (records: object[]) => ({ batchId: randomUUID(), records });

async function writeMasterData(h: IngestHarness, t: TestTenant, round: Round): Promise<void> {
  const name = widest('name', round);
  await send(h, t, 'PUT', `/v1/sites/${LARGEST.site}`, { name, timeZone: 'America/Argentina/Buenos_Aires' });
  await send(h, t, 'PUT', `/v1/lines/${LARGEST.line}`, { name, siteCode: LARGEST.site });
  await send(h, t, 'PUT', `/v1/equipment/${LARGEST.equipment}`, {
    name,
    lineCode: LARGEST.line,
    attributes: largestAttributes(round),
  });
  await send(h, t, 'PUT', `/v1/products/${LARGEST.product}`, {
    name,
    idealCycleTimeS: round === 'a' ? 31_535_999.999999 : NUMBER_LIMITS.idealCycleTimeS.max,
  });
  await send(h, t, 'PUT', `/v1/downtime-reasons/${LARGEST.reason}`, { name, planned: false });
}

async function writeFacts(h: IngestHarness, t: TestTenant, round: Round, start: number): Promise<void> {
  const end = start + 3_600_000;
  const max = NUMBER_LIMITS.count.max;
  const control = round === 'a' ? '\u0001' : '\u0002';
  await send(
    h,
    t,
    'POST',
    '/v1/shifts',
    batch([
      {
        id: LARGEST.shiftId,
        lineCode: LARGEST.line,
        name: widest('name', round),
        start: iso(start),
        end: iso(end),
      },
    ]),
  );
  await send(
    h,
    t,
    'POST',
    '/v1/state-events',
    batch([
      {
        id: LARGEST.stateId,
        equipmentCode: LARGEST.equipment,
        state: 'stopped',
        reasonCode: LARGEST.reason,
        start: iso(start),
        end: iso(round === 'a' ? end : end - 60_000),
      },
    ]),
  );
  await send(
    h,
    t,
    'POST',
    '/v1/production-counts',
    batch([
      {
        id: LARGEST.productionId,
        equipmentCode: LARGEST.equipment,
        productCode: LARGEST.product,
        start: iso(start),
        end: iso(end),
        total: max,
        good: max - 2,
        scrap: 1,
        rework: 1,
        orderId: widest('orderId', round),
        operator: widest('person', round),
      },
    ]),
  );
  await send(
    h,
    t,
    'POST',
    '/v1/maintenance-events',
    batch([
      {
        id: LARGEST.maintenanceId,
        equipmentCode: LARGEST.equipment,
        kind: 'corrective',
        start: iso(start),
        end: iso(end),
        technician: widest('person', round),
        notes: control.repeat(TEXT_LIMITS.notes.max),
      },
    ]),
  );
  await send(
    h,
    t,
    'POST',
    '/v1/sensor-batches',
    batch([
      {
        equipmentCode: LARGEST.equipment,
        tag: LARGEST.tag,
        ts: iso(start),
        quality: 'uncertain',
        value: round === 'a' ? -Number.MAX_VALUE : Number.MAX_VALUE,
      },
    ]),
  );
}

/** Writes (round a) or rewrites (round b) the largest row of every captured table for the tenant. */
export async function writeLargestRows(h: IngestHarness, t: TestTenant, round: Round): Promise<void> {
  await h.sql('UPDATE tenant SET name = $2 WHERE id = $1', [t.id, widest('name', round)]);
  await send(h, t, 'POST', '/v1/api-keys', {
    name: widest('name', round),
    scopes: ['ingest', 'read', 'audit', 'admin'],
  });
  await writeMasterData(h, t, round);
  await writeFacts(h, t, round, BASE);
}

/** A tenant whose code has the full 64 characters. */
export const largestTenant = (h: IngestHarness) => h.tenant(longCode(`t${randomUUID().slice(0, 8)}-`));
