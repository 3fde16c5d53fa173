import { z } from 'zod';
import { isTableName, type RowOf, rowSchemas, type TableName } from './tables.js';

export interface RawMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export type Op = 'create' | 'update' | 'delete' | 'snapshot';

interface ChangeOf<T extends TableName> {
  table: T;
  op: Op;
  before: RowOf<T> | null;
  after: RowOf<T> | null;
  key: Record<string, unknown>;
  /** The commit's WAL position; exceeds 2^53 on a long-lived server, hence bigint. */
  lsn: bigint;
  txId: number;
  /** source.ts_ms: when the change was committed in PostgreSQL. */
  committedAtMs: number;
  snapshot: boolean;
  topic: string;
  partition: number;
  offset: string;
}

/** A decoded change, discriminated on `table` so `after` has the row type of its table. */
export type ChangeEvent = { [T in TableName]: ChangeOf<T> }[TableName];

export type Decoded =
  | { kind: 'change'; event: ChangeEvent }
  | { kind: 'tombstone'; table: TableName; key: Record<string, unknown> }
  | { kind: 'heartbeat' }
  | { kind: 'invalid'; reason: string; table?: TableName };

export interface DecodeOptions {
  /** Debezium's topic.prefix. */
  prefix?: string;
}

/** `<prefix>.public.<table>` to the table, or null for any other topic. */
export function tableOfTopic(topic: string, prefix = 'takt'): TableName | null {
  const head = `${prefix}.public.`;
  if (!topic.startsWith(head)) return null;
  const name = topic.slice(head.length);
  return isTableName(name) ? name : null;
}

export const heartbeatTopic = (prefix = 'takt') => `__debezium-heartbeat.${prefix}`;

const OPS = { c: 'create', u: 'update', d: 'delete', r: 'snapshot' } as const satisfies Record<string, Op>;

const envelope = z.object({
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  op: z.enum(['c', 'u', 'd', 'r']),
  source: z.object({
    ts_ms: z.number().int(),
    // "true", "first", "last", "last_in_data_collection", "incremental"… all but "false" are snapshot reads.
    snapshot: z.string().nullish(),
    txId: z.number().int().nullable(),
    // A double here (unsafe beyond 2^53); exactLsn reads the digits.
    lsn: z.number().nonnegative().refine(Number.isInteger, 'not an integer'),
  }),
});

const keySchema = z.record(z.string(), z.unknown());

/**
 * The exact lsn from the raw text: JSON.parse turns it into a double, which loses digits above
 * 2^53. Inside a JSON string every quote is escaped, so an unescaped `"lsn":` is a real key;
 * the candidate must also agree with the parsed double, which pins it to `source.lsn`.
 */
function exactLsn(text: string, approx: number): bigint | null {
  for (const m of text.matchAll(/"lsn":(\d+)/g)) {
    const digits = m[1];
    if (digits === undefined) continue;
    const v = BigInt(digits);
    if (Number(v) === approx) return v;
  }
  return null;
}

function parseJson(buf: Buffer): { ok: true; value: unknown; text: string } | { ok: false } {
  const text = buf.toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) as unknown, text };
  } catch {
    return { ok: false };
  }
}

const issues = (err: z.ZodError) =>
  err.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');

/**
 * One Kafka message from a Debezium topic to what it means. Never throws: anything that does
 * not decode is `invalid` with a reason, so the caller can dead-letter it instead of dropping it.
 */
export function decodeMessage(msg: RawMessage, opts: DecodeOptions = {}): Decoded {
  try {
    return decode(msg, opts.prefix ?? 'takt');
  } catch (err) {
    return {
      kind: 'invalid',
      reason: `decoder failure: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

function decode(msg: RawMessage, prefix: string): Decoded {
  if (msg.topic === heartbeatTopic(prefix)) return { kind: 'heartbeat' };
  const table = tableOfTopic(msg.topic, prefix);
  if (!table) return { kind: 'invalid', reason: `not a captured table topic: ${msg.topic.slice(0, 200)}` };
  if (!msg.key) return { kind: 'invalid', reason: 'message without a key', table };
  const rawKey = parseJson(msg.key);
  if (!rawKey.ok) return { kind: 'invalid', reason: 'key is not JSON', table };
  const key = keySchema.safeParse(rawKey.value);
  if (!key.success) return { kind: 'invalid', reason: 'key is not a JSON object', table };
  if (!msg.value) return { kind: 'tombstone', table, key: key.data };

  const raw = parseJson(msg.value);
  if (!raw.ok) return { kind: 'invalid', reason: 'value is not JSON', table };
  const env = envelope.safeParse(raw.value);
  if (!env.success) return { kind: 'invalid', reason: `envelope: ${issues(env.error)}`, table };
  const { op, source } = env.data;
  if (source.txId === null) return { kind: 'invalid', reason: 'envelope: source.txId is null', table };
  const lsn = exactLsn(raw.text, source.lsn);
  if (lsn === null)
    return { kind: 'invalid', reason: 'envelope: source.lsn not found in the raw text', table };

  const schema = rowSchemas[table];
  const row = (side: 'before' | 'after', value: Record<string, unknown> | null) => {
    if (value === null) return { ok: true as const, row: null };
    const parsed = schema.safeParse(value);
    return parsed.success
      ? { ok: true as const, row: parsed.data }
      : { ok: false as const, reason: `${side}: ${issues(parsed.error)}` };
  };
  const before = row('before', env.data.before);
  if (!before.ok) return { kind: 'invalid', reason: before.reason, table };
  const after = row('after', env.data.after);
  if (!after.ok) return { kind: 'invalid', reason: after.reason, table };
  // The images an op must carry; before of an update is absent without REPLICA IDENTITY FULL.
  if ((op === 'c' || op === 'r' || op === 'u') && after.row === null)
    return { kind: 'invalid', reason: `op ${op} without an after image`, table };
  if (op === 'd' && before.row === null)
    return { kind: 'invalid', reason: 'delete without a before image', table };

  const event = {
    table,
    op: OPS[op],
    before: before.row,
    after: after.row,
    key: key.data,
    lsn,
    txId: source.txId,
    committedAtMs: source.ts_ms,
    snapshot: op === 'r' || (source.snapshot != null && source.snapshot !== 'false'),
    topic: msg.topic,
    partition: msg.partition,
    offset: msg.offset,
  } as ChangeEvent;
  return { kind: 'change', event };
}
