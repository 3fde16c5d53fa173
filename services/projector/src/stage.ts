import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaFetchBytes } from '@takt/config';
import type { Logger } from '@takt/log';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { isMessageError, isRetriable, reasonOf } from './errors.js';
import type { ProjectorMetrics } from './metrics.js';

export interface BatchContext {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
}

export interface StageOptions {
  readonly name: 'mirror' | 'recompute';
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  readonly partitionsConcurrently: number;
  readonly sessionTimeoutMs: number;
  readonly retry: { readonly minMs: number; readonly maxMs: number };
  readonly logger: Logger;
  readonly metrics: ProjectorMetrics;
  /** Applies one batch; must be idempotent, as a failure runs it again from the start. */
  readonly apply: (batch: BatchContext) => Promise<void>;
  readonly onAssignment?: (partitions: ReadonlyMap<string, readonly number[]>) => void;
  /** Takes a message whose own data makes `apply` fail for good; resolves once it is stored. */
  readonly deadLetter: (
    topic: string,
    partition: number,
    message: KafkaMessage,
    reason: string,
  ) => Promise<void>;
}

export interface Stage {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while the consumer is in its group and not stuck waiting on ClickHouse. */
  healthy(): boolean;
}

/**
 * One consumer group applying batches. Offsets are committed only after `apply` succeeded, so a crash
 * or a ClickHouse outage replays instead of skipping. A failing batch is retried in place with
 * exponential backoff (heartbeating meanwhile): the partition pauses, nothing after it is applied.
 */
export function createStage(opts: StageOptions): Stage {
  let consumer: Consumer | undefined;
  let running = false;
  let blockedSince: number | undefined;
  const log = opts.logger.child({ stage: opts.name });

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      if (!payload.isRunning() || payload.isStale()) return;
      try {
        await applyIsolating(batch.topic, batch.partition, batch.messages);
        break;
      } catch (err) {
        const delay = Math.min(opts.retry.maxMs, opts.retry.minMs * 2 ** Math.min(attempt, 16));
        blockedSince ??= Date.now();
        opts.metrics.retries.inc({ stage: opts.name });
        const fields = {
          err,
          topic: batch.topic,
          partition: batch.partition,
          firstOffset: batch.firstOffset(),
          attempt: attempt + 1,
          retryInMs: delay,
        };
        if (isRetriable(err))
          log.warn(fields, `ClickHouse or Kafka unavailable: consumption paused, retrying in ${delay} ms`);
        else
          log.error(
            fields,
            `batch failed (not a transient error): consumption paused, retrying in ${delay} ms`,
          );
        if (!(await waitHeartbeating(payload, delay))) return;
      }
    }
    if (blockedSince !== undefined) {
      log.info({ pausedMs: Date.now() - blockedSince }, 'ClickHouse reachable again: consumption resumed');
      blockedSince = undefined;
    }
    const last = batch.lastOffset();
    const next = (BigInt(last) + 1n).toString();
    // A stale batch belongs to a partition this member lost in a rebalance; the new owner replays it.
    if (!payload.isRunning() || payload.isStale()) return;
    await consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    payload.resolveOffset(last);
    opts.metrics.lag.set(
      { stage: opts.name, topic: batch.topic, partition: String(batch.partition) },
      Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(next))),
    );
    opts.metrics.batchSeconds.observe({ stage: opts.name }, (performance.now() - started) / 1000);
  }

  /**
   * Applies a batch; when it fails because of the data in it (isMessageError), halves it until the
   * failing messages stand alone and dead-letters them, so one bad row neither blocks its partition
   * nor drops its neighbours. `apply` is idempotent, so parts that succeeded may run again.
   */
  async function applyIsolating(topic: string, partition: number, messages: readonly KafkaMessage[]) {
    try {
      await opts.apply({ topic, partition, messages });
    } catch (err) {
      if (!isMessageError(err)) throw err;
      const [only] = messages;
      if (messages.length === 1 && only) {
        log.error({ err, topic, partition, offset: only.offset }, 'message cannot be applied: dead-lettered');
        await opts.deadLetter(topic, partition, only, reasonOf(err));
        return;
      }
      const half = Math.ceil(messages.length / 2);
      await applyIsolating(topic, partition, messages.slice(0, half));
      await applyIsolating(topic, partition, messages.slice(half));
    }
  }

  async function waitHeartbeating(payload: EachBatchPayload, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!payload.isRunning() || payload.isStale()) return false;
      await sleep(Math.min(1_000, until - Date.now()));
      try {
        await payload.heartbeat();
      } catch {
        return false;
      }
    }
    return true;
  }

  return {
    name: opts.name,
    async start() {
      consumer = opts.kafka.consumer({
        groupId: opts.groupId,
        sessionTimeout: opts.sessionTimeoutMs,
        heartbeatInterval: Math.max(1_000, Math.floor(opts.sessionTimeoutMs / 10)),
        // Four of the largest messages per partition and fetch, across four partitions (docs/limits.md).
        ...kafkaFetchBytes(4, 4),
        // Short fetch waits keep freshness low when a partition is idle; batches grow under load anyway.
        maxWaitTimeInMs: 100,
        retry: { retries: 20, initialRetryTime: opts.retry.minMs, maxRetryTime: opts.retry.maxMs },
      });
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        const assigned = new Map<string, number[]>(
          Object.entries(e.payload.memberAssignment).map(([topic, parts]) => [topic, [...parts]]),
        );
        log.info({ assignment: Object.fromEntries(assigned) }, 'joined consumer group');
        opts.onAssignment?.(assigned);
      });
      consumer.on(consumer.events.CRASH, (e) => {
        log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [...opts.topics], fromBeginning: opts.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: opts.partitionsConcurrently,
        eachBatch,
      });
      running = true;
    },
    async stop() {
      running = false;
      await consumer?.disconnect();
      consumer = undefined;
    },
    healthy: () => running && blockedSince === undefined,
  };
}
