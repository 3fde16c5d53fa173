import type { Logger } from 'pino';

/** kafkajs's log levels (its `logLevel` enum), restated so this package needs no kafkajs. */
const KAFKA_ERROR = 1;
const KAFKA_WARN = 2;

interface KafkaLogEntry {
  readonly level: number;
  readonly log: { readonly message: string } & Record<string, unknown>;
}

/** A kafkajs `logCreator` that writes through the service's pino logger, so its lines are JSON like the rest. */
export function kafkaLog(logger: Logger): () => (entry: KafkaLogEntry) => void {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const child = { kafkajs: extra };
      if (level === KAFKA_ERROR) logger.error(child, message);
      else if (level === KAFKA_WARN) logger.warn(child, message);
      else logger.debug(child, message);
    };
}
