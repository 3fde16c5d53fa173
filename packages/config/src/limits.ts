/**
 * Every bound on what a client may write, and the Kafka message ceiling the bounds are sized
 * against. The ingest schemas, the Kafka consumers, the tests and docs/limits.md all read this
 * module; the infra files carry the same ceiling and a unit test keeps them in step.
 * The reasons behind each number are in docs/limits.md.
 */

/**
 * The largest Kafka message the stack carries: broker `message.max.bytes` (topics inherit it),
 * Connect's producer `max.request.size`, and the unit of every consumer's fetch size.
 */
export const KAFKA_MESSAGE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * A consumer's fetch sizes: a partition may hand over `messagesPerPartition` messages of the
 * ceiling at once, across `partitions` partitions per fetch. Never below one whole message, or a
 * consumer could stall on a message it cannot fetch.
 */
export function kafkaFetchBytes(messagesPerPartition = 1, partitions = 4) {
  const perPartition = Math.max(1, messagesPerPartition) * KAFKA_MESSAGE_MAX_BYTES;
  return { maxBytesPerPartition: perPartition, maxBytes: perPartition * Math.max(1, partitions) };
}

/**
 * Free-form text fields, in Unicode code points. `line` text is one line (no control characters);
 * `multiline` text may hold tabs and line breaks; `ascii` text is further restricted by a pattern.
 * No text may hold NUL or a lone UTF-16 surrogate.
 */
export const TEXT_LIMITS = {
  /** Codes of sites, lines, equipment, products, reasons, tenants; the database CHECKs `{1,64}`. */
  code: { max: 64, kind: 'ascii' },
  /** Names of sites, lines, equipment, products, downtime reasons, shifts, API keys, tenants. */
  name: { max: 200, kind: 'line' },
  /** An IANA zone name; the longest in the database today is 32. */
  timeZone: { max: 64, kind: 'ascii' },
  /** Sensor tag, `[A-Za-z0-9._:/-]`. */
  tag: { max: 128, kind: 'ascii' },
  /** Production order id from the ERP. */
  orderId: { max: 128, kind: 'line' },
  /** `operator` and `technician`: personal data, stored encrypted. */
  person: { max: 200, kind: 'line' },
  /** Maintenance notes. */
  notes: { max: 4000, kind: 'multiline' },
} as const satisfies Record<string, { max: number; kind: 'ascii' | 'line' | 'multiline' }>;

export type TextField = keyof typeof TEXT_LIMITS;

/** `attributes` of master data, measured as PostgreSQL stores and Debezium sends it. */
export const ATTRIBUTES_LIMITS = {
  /** Bytes of the jsonb text form (UTF-8, numbers in plain decimal notation, `", "` and `": "`). */
  maxBytes: 64 * 1024,
  /** Objects and arrays nested in one another, the top-level object counting as 1. */
  maxDepth: 32,
} as const;

/** Numeric fields, matching the column types and CHECKs of prisma/migrations. */
export const NUMBER_LIMITS = {
  /** total, good, scrap, rework: `integer` columns, CHECK >= 0. */
  count: { min: 0, max: 2_147_483_647 },
  /** `numeric(18,6)`, CHECK > 0: the smallest non-zero value is one millionth; at most a year. */
  idealCycleTimeS: { min: 0.000_001, max: 31_536_000, decimals: 6 },
} as const;

/** Codes and names in the API key and request-id formats other modules own, for the budget below. */
const REQUEST_ID_MAX = 128;
const KEY_ID_MAX = 32;

/** Worst-case bytes of a text field inside a JSON string: 4 per code point, 6 for `\u00XX` escapes. */
export function textJsonBytes(field: TextField): number {
  const { max, kind } = TEXT_LIMITS[field];
  return max * (kind === 'multiline' ? 6 : 4);
}

/**
 * Worst-case ciphertext of a personal-data field (packages/crypto): `v1:<keyId>:<iv>:` and the
 * UTF-8 plaintext plus the 16-byte tag in base64url (4 characters per 3 bytes).
 */
export function piiCiphertextBytes(field: TextField): number {
  const plaintext = TEXT_LIMITS[field].max * 4 + 16;
  return 3 + KEY_ID_MAX + 1 + 16 + 1 + Math.ceil((plaintext * 4) / 3);
}

/**
 * Allowance per change event for everything but the variable columns: Debezium's envelope and
 * source block, the key and value schemas (when `schemas.enable` is on), column names, and the
 * fixed-width columns (ids, times, counts) of both images. Measured at most 8.8 KB (fact_shift) by
 * services/projector/test/largest-rows.int.test.ts; 16 KiB leaves room for new columns.
 */
export const EVENT_ALLOWANCE_BYTES = 16 * 1024;

/** Worst-case bytes of the variable-width columns of one row image, per captured table. */
export const ROW_VARIABLE_BYTES = {
  tenant: TEXT_LIMITS.code.max + textJsonBytes('name'),
  api_key: textJsonBytes('name') + REQUEST_ID_MAX + 4 * 10,
  dim_site: TEXT_LIMITS.code.max + textJsonBytes('name') + TEXT_LIMITS.timeZone.max + REQUEST_ID_MAX,
  dim_line: TEXT_LIMITS.code.max + textJsonBytes('name') + REQUEST_ID_MAX,
  // jsonb travels as a JSON string: each byte of its text form at most doubles when escaped.
  dim_equipment:
    TEXT_LIMITS.code.max + textJsonBytes('name') + 2 * ATTRIBUTES_LIMITS.maxBytes + REQUEST_ID_MAX,
  dim_product: TEXT_LIMITS.code.max + textJsonBytes('name') + 24 + REQUEST_ID_MAX,
  dim_downtime_reason: TEXT_LIMITS.code.max + textJsonBytes('name') + REQUEST_ID_MAX,
  fact_shift: textJsonBytes('name') + REQUEST_ID_MAX,
  fact_equipment_state: 16 + REQUEST_ID_MAX,
  fact_production: textJsonBytes('orderId') + piiCiphertextBytes('person') + 24 + REQUEST_ID_MAX,
  fact_maintenance: piiCiphertextBytes('person') + textJsonBytes('notes') + REQUEST_ID_MAX,
  fact_sensor_reading: TEXT_LIMITS.tag.max,
  // The stored response is `{batchId, accepted, lsn}`, escaped inside a string.
  ingest_batch: 2 * 128 + 64 + REQUEST_ID_MAX,
  debezium_heartbeat: 0,
} as const;

export type CapturedTable = keyof typeof ROW_VARIABLE_BYTES;

/** Worst-case size of one change event of the table: an update carries before and after images. */
export function worstCaseEventBytes(table: CapturedTable): number {
  return EVENT_ALLOWANCE_BYTES + 2 * ROW_VARIABLE_BYTES[table];
}

/** How far below the ceiling the largest legal event must stay. */
export const KAFKA_MESSAGE_MARGIN = 8;
