/**
 * The shape of a dead letter: the original key and value untouched, and where it came from and why
 * in headers, so an operator can find the source message and replay the dead letter once fixed
 * (docs/cdc-health.md, "Dead letters").
 */
export interface DeadLetterSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export const DEAD_LETTER_HEADERS = {
  topic: 'takt-source-topic',
  partition: 'takt-source-partition',
  offset: 'takt-source-offset',
  reason: 'takt-reason',
  consumer: 'takt-consumer',
} as const;

/** Reasons can quote a value; a header is for the operator's eye, not a copy of the payload. */
const MAX_REASON_CHARS = 1_000;

export interface DeadLetterMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export function deadLetterMessage(
  source: DeadLetterSource,
  reason: string,
  consumer: string,
): DeadLetterMessage {
  return {
    key: source.key,
    value: source.value,
    headers: {
      [DEAD_LETTER_HEADERS.topic]: source.topic,
      [DEAD_LETTER_HEADERS.partition]: String(source.partition),
      [DEAD_LETTER_HEADERS.offset]: source.offset,
      [DEAD_LETTER_HEADERS.reason]: reason.slice(0, MAX_REASON_CHARS),
      [DEAD_LETTER_HEADERS.consumer]: consumer,
    },
  };
}

export interface DeadLetterOrigin {
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  consumer: string | null;
}

/** Reads the headers back (as kafkajs delivers them); null when they are not a dead letter's. */
export function deadLetterOrigin(
  headers: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>> | undefined,
): DeadLetterOrigin | null {
  const text = (name: string): string | undefined => {
    const v = headers?.[name];
    const one = Array.isArray(v) ? v[0] : v;
    return one === undefined ? undefined : one.toString();
  };
  const topic = text(DEAD_LETTER_HEADERS.topic);
  const partition = Number(text(DEAD_LETTER_HEADERS.partition));
  const offset = text(DEAD_LETTER_HEADERS.offset);
  const reason = text(DEAD_LETTER_HEADERS.reason);
  if (topic === undefined || offset === undefined || reason === undefined || !Number.isInteger(partition))
    return null;
  return { topic, partition, offset, reason, consumer: text(DEAD_LETTER_HEADERS.consumer) ?? null };
}
