import { decodeMessage } from '@takt/cdc';
import { kafkaFetchBytes } from '@takt/config';
import { Counter, Gauge, type Registry } from '@takt/http';
import type { Logger } from '@takt/log';
import { createMissingTopics, type DeadLetterSink, deadLetterSink } from '@takt/pipeline';
import { type Consumer, type EachBatchPayload, type Kafka, Partitioners, type Producer } from 'kafkajs';
import { ENTITY_TYPES, pendingOf } from './event.js';
import type { AuditStore, ChunkItem } from './store.js';

export interface AuditConsumerOptions {
  kafka: Kafka;
  store: AuditStore;
  logger: Logger;
  metrics: Registry;
  groupId: string;
  /** Debezium's topic.prefix. */
  prefix: string;
  dlqTopic: string;
  chunkMessages: number;
  sessionTimeoutMs: number;
}

/** The CDC topics that can append audit events; the other captured tables are not subscribed. */
export const auditedTopics = (prefix: string): string[] =>
  Object.keys(ENTITY_TYPES).map((table) => `${prefix}.public.${table}`);

/**
 * Reads the CDC topics and appends to the log. Offsets live in the audit database, written with
 * the rows; Kafka's own committed offsets are only a courtesy for tooling and never trusted.
 */
export class AuditConsumer {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly deadLetters: DeadLetterSink;
  private running = false;
  private readonly m: {
    appended: Counter;
    skipped: Counter;
    lag: Gauge;
    checkpoints: Counter;
  };

  constructor(private readonly opts: AuditConsumerOptions) {
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      // At least one message of the ceiling per partition, or the largest change would stall it.
      ...kafkaFetchBytes(1, 4),
      sessionTimeout: opts.sessionTimeoutMs,
      heartbeatInterval: Math.floor(opts.sessionTimeoutMs / 6),
    });
    this.producer = opts.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const registers = [opts.metrics];
    const dead = new Counter({
      name: 'takt_audit_dead_letters_total',
      help: 'Undecodable messages sent to the dead-letter topic',
      labelNames: ['topic'],
      registers,
    });
    this.deadLetters = deadLetterSink({
      producer: this.producer,
      topic: opts.dlqTopic,
      consumer: 'audit',
      counter: dead,
      logger: opts.logger,
    });
    this.m = {
      appended: new Counter({
        name: 'takt_audit_events_appended_total',
        help: 'Audit events appended',
        registers,
      }),
      skipped: new Counter({
        name: 'takt_audit_redelivered_messages_total',
        help: 'Messages below the stored offset, dropped as already applied',
        registers,
      }),
      lag: new Gauge({
        name: 'takt_audit_consumer_lag_messages',
        help: 'Messages between the partition end and the stored offset',
        labelNames: ['topic', 'partition'],
        registers,
      }),
      checkpoints: new Counter({
        name: 'takt_audit_checkpoints_total',
        help: 'Signed checkpoints written',
        registers,
      }),
    };
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    const { store, groupId, logger } = this.opts;
    const topics = auditedTopics(this.opts.prefix);
    // Topics Connect would create on the first change: made here so a quiet table cannot fail the subscription.
    await createMissingTopics(this.opts.kafka, [...topics, this.opts.dlqTopic]);
    await this.producer.connect();
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, async ({ payload }) => {
      // Resume exactly where the audit database says, whatever Kafka has committed.
      const stored = await store.storedOffsets(groupId);
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const next = stored.get(`${topic}:${partition}`);
          if (next !== undefined) this.consumer.seek({ topic, partition, offset: next.toString() });
        }
      }
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      logger.error({ err: payload.error, restart: payload.restart }, 'audit consumer crashed');
      if (!payload.restart) this.running = false;
    });
    await this.consumer.subscribe({ topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.running = true;
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const items: ChunkItem[] = [];
    for (const message of batch.messages) {
      const source = { topic, partition, offset: message.offset, key: message.key, value: message.value };
      const decoded = decodeMessage(source, { prefix: this.opts.prefix });
      if (decoded.kind === 'invalid') {
        await this.deadLetters.send(source, decoded.reason);
        items.push({ offset: message.offset, event: null });
      } else if (decoded.kind === 'change') {
        items.push({ offset: message.offset, event: pendingOf(decoded.event) });
      } else {
        items.push({ offset: message.offset, event: null });
      }
    }
    for (let i = 0; i < items.length; i += this.opts.chunkMessages) {
      if (!isRunning() || isStale()) return;
      const chunk = items.slice(i, i + this.opts.chunkMessages);
      const r = await this.opts.store.append({ groupId: this.opts.groupId, topic, partition, items: chunk });
      this.m.appended.inc(r.appended);
      this.m.skipped.inc(r.skipped);
      this.m.checkpoints.inc(r.checkpoints);
      resolveOffset(chunk.at(-1)!.offset);
      const high = BigInt(batch.highWatermark);
      this.m.lag.set(
        { topic, partition: String(partition) },
        Number(high > r.nextOffset ? high - r.nextOffset : 0n),
      );
      await heartbeat();
    }
    const last = batch.lastOffset();
    // Best effort: tools that read the group's lag see progress; restarts use the stored offsets.
    await this.consumer
      .commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }])
      .catch((err: unknown) => this.opts.logger.warn({ err }, 'kafka offset commit failed (harmless)'));
  }

  /** Stops fetching and lets the batch in flight finish (its transaction commits or rolls back), then disconnects. */
  async stop(): Promise<void> {
    this.running = false;
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}
