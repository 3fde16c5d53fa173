import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '@takt/log';
import type { Consumer, Kafka } from 'kafkajs';
import type { FragmentCache } from './fragments.js';

/**
 * What the projector announces on its applied topic once a recompute has landed in ClickHouse:
 * one equipment's buckets in `[fromMs, toMs)` were rewritten, or (after a rebuild) everything was.
 */
export type Applied =
  | { readonly kind: 'range'; tenantId: string; equipmentId: string; fromMs: number; toMs: number }
  | { readonly kind: 'flush' };

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** A message of the applied topic, or null when it is none (skipped, never thrown). */
export function parseApplied(text: string): Applied | null {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (v.flush === true) return { kind: 'flush' };
    if (typeof v.tenantId !== 'string' || typeof v.equipmentId !== 'string') return null;
    if (!isInt(v.fromMs) || !isInt(v.toMs) || v.toMs <= v.fromMs) return null;
    return {
      kind: 'range',
      tenantId: v.tenantId,
      equipmentId: v.equipmentId,
      fromMs: v.fromMs,
      toMs: v.toMs,
    };
  } catch {
    return null;
  }
}

export interface InvalidationFeedOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly cache: FragmentCache<unknown>;
  readonly logger: Logger;
  /** Without a completed fetch for this long the feed counts as down and the cache keeps nothing. */
  readonly staleAfterMs?: number;
  /** Between attempts to start consuming (a missing topic, Kafka down at start). */
  readonly retryMs?: number;
  readonly clock?: () => number;
}

export interface InvalidationFeed {
  /** Starts following the topic in the background: the service answers (uncached) meanwhile. */
  start(): void;
  stop(): Promise<void>;
}

/**
 * Feeds the projector's announcements into the fragment cache. Every query instance reads every
 * announcement, so each has a consumer group of its own, starting at the end of the topic: what was
 * written before it joined is read fresh from ClickHouse anyway, since the cache starts empty.
 *
 * The cache keeps fragments only while this feed demonstrably works: from the first completed fetch
 * (its start offset is resolved by then, so no later announcement can be missed) until the consumer
 * stops, crashes, rejoins, or has not completed a fetch within `staleAfterMs`.
 */
export function invalidationFeed(opts: InvalidationFeedOptions): InvalidationFeed {
  const clock = opts.clock ?? Date.now;
  const staleAfterMs = opts.staleAfterMs ?? 10_000;
  const groupId = `takt-query-cache-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  let consumer: Consumer | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let lastFetch = 0;

  const down = (why: string) => {
    if (opts.cache.live) opts.logger.warn({ why, topic: opts.topic }, 'OEE fragment cache off');
    opts.cache.disable();
  };

  const consume = async (): Promise<Consumer> => {
    const c = opts.kafka.consumer({
      groupId,
      // Short fetch waits make the watchdog's "no fetch lately" a real sign of trouble.
      maxWaitTimeInMs: Math.min(1_000, staleAfterMs / 4),
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      allowAutoTopicCreation: false,
    });
    c.on(c.events.FETCH, () => {
      lastFetch = clock();
      if (!opts.cache.live) {
        opts.cache.enable();
        opts.logger.info({ topic: opts.topic }, 'OEE fragment cache on');
      }
    });
    c.on(c.events.GROUP_JOIN, () => down('consumer (re)joined its group'));
    c.on(c.events.CRASH, () => down('consumer crashed'));
    c.on(c.events.STOP, () => down('consumer stopped'));
    c.on(c.events.DISCONNECT, () => down('consumer disconnected'));
    try {
      await c.connect();
      await c.subscribe({ topic: opts.topic, fromBeginning: false });
      await c.run({
        eachMessage: async ({ message }) => {
          const applied = message.value ? parseApplied(message.value.toString('utf8')) : null;
          if (applied === null) return;
          if (applied.kind === 'flush') opts.cache.flush();
          else opts.cache.invalidate(applied.tenantId, applied.equipmentId, applied.fromMs, applied.toMs);
        },
      });
      return c;
    } catch (err) {
      await c.disconnect().catch(() => undefined);
      throw err;
    }
  };

  let stopped = false;
  let starting: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;

  return {
    start() {
      const attempt = async (): Promise<void> => {
        try {
          consumer = await consume();
          if (stopped) await consumer.disconnect();
        } catch (err) {
          if (stopped) return;
          opts.logger.warn(
            { err, topic: opts.topic },
            'cannot follow the projector announcements yet; OEE answers are read uncached meanwhile',
          );
          retry = setTimeout(() => {
            starting = attempt();
          }, opts.retryMs ?? 5_000);
          retry.unref();
        }
      };
      starting = attempt();
      watchdog = setInterval(() => {
        if (opts.cache.live && clock() - lastFetch > staleAfterMs) down(`no fetch for ${staleAfterMs} ms`);
      }, staleAfterMs / 4);
      watchdog.unref();
    },
    async stop() {
      // Reverse order of start: no more checks or attempts, then the consumer, then its group.
      stopped = true;
      if (watchdog) clearInterval(watchdog);
      if (retry) clearTimeout(retry);
      await starting;
      opts.cache.disable();
      await consumer?.disconnect();
      const admin = opts.kafka.admin();
      try {
        await admin.connect();
        await admin.deleteGroups([groupId]);
      } catch (err) {
        opts.logger.debug({ err, groupId }, 'could not delete the cache consumer group; Kafka expires it');
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}
