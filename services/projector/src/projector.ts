import { PROJECTED_TABLES } from '@takt/cdc';
import type { ClickHouse } from '@takt/clickhouse';
import { BUCKET_MS, bucketOf } from '@takt/domain';
import type { Logger } from '@takt/log';
import { createMissingTopics, type DeadLetterSink, deadLetterSink } from '@takt/pipeline';
import { type Kafka, type KafkaMessage, Partitioners, type Producer } from 'kafkajs';
import { migrate } from './ddl.js';
import { coalesce, type DirtyMark, dirtyKey } from './dirty.js';
import { ProjectorError } from './errors.js';
import type { ProjectorMetrics } from './metrics.js';
import { applyMirrorBatch, type MirrorProgress } from './mirror.js';
import { collectWork, recompute } from './recompute.js';
import { createStage, type Stage } from './stage.js';
import { openStates, shiftsInProgress, type Tables, writeState } from './store.js';

export interface ProjectorSettings {
  readonly topicPrefix: string;
  readonly dirtyTopic: string;
  /**
   * Where stage 2 announces each recompute once it is in ClickHouse (same shape as a dirty mark), so
   * that readers caching buckets (the query service) drop what changed. Unset: no announcements.
   */
  readonly appliedTopic?: string;
  readonly mirrorGroup: string;
  readonly recomputeGroup: string;
  /** Where messages that cannot be applied go, with their coordinates and reason (docs/cdc-health.md). */
  readonly deadLetterTopic: string;
  readonly stages: 'both' | 'mirror' | 'recompute';
  readonly openStateIntervalMs: number;
  readonly retry: { readonly minMs: number; readonly maxMs: number };
  readonly partitionsConcurrently: number;
  readonly sessionTimeoutMs: number;
  readonly topicWaitMs: number;
  /** Apply the ClickHouse DDL on start (idempotent). */
  readonly migrateOnStart: boolean;
}

export interface ProjectorDeps {
  readonly settings: ProjectorSettings;
  readonly ch: ClickHouse;
  /** A client on the `default` database: the projector's own database may not exist before migrating. */
  readonly adminCh?: ClickHouse;
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly metrics: ProjectorMetrics;
  /** Evaluation time: POT is clipped at it (docs/oee.md §7). */
  readonly clock: () => number;
}

export interface Projector {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Throws when a stage is not consuming (for /readyz). */
  ready(): Promise<void>;
}

/** The CDC topics of every table the projector mirrors. */
export const cdcTopics = (prefix: string): string[] => PROJECTED_TABLES.map((t) => `${prefix}.public.${t}`);

/** Publishes marks keyed by equipment, so every mark of an equipment lands in one partition (one owner). */
export function dirtyPublisher(producer: Producer, topic: string) {
  return async (marks: readonly DirtyMark[]) => {
    if (marks.length === 0) return;
    await producer.send({
      topic,
      acks: -1,
      messages: marks.map((m) => ({ key: dirtyKey(m), value: JSON.stringify(m) })),
    });
  };
}

/** Waits until the topics exist: Debezium creates a table's topic only with its first change. */
export async function waitForTopics(
  kafka: Kafka,
  topics: readonly string[],
  timeoutMs: number,
  logger: Logger,
) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    let said = false;
    for (;;) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length === 0) return;
      if (Date.now() > deadline)
        throw new ProjectorError(
          'TAKT_PROJECTOR_TOPIC_MISSING',
          `topics missing: ${missing.join(', ')}`,
          false,
        );
      if (!said) logger.warn({ missing }, 'waiting for Kafka topics to exist (create them, or let Debezium)');
      said = true;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  } finally {
    await admin.disconnect();
  }
}

const sendTo =
  (sink: DeadLetterSink) => (topic: string, partition: number, m: KafkaMessage, reason: string) =>
    sink.send({ topic, partition, offset: m.offset, key: m.key, value: m.value }, reason);

export function createProjector(deps: ProjectorDeps): Projector {
  const { settings, logger, metrics } = deps;
  const tables: Tables = { ch: deps.ch, database: deps.ch.database };
  const stages: Stage[] = [];
  let producer: Producer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let ownsTimer = false;
  let lastTick: number | undefined;
  const progress: MirrorProgress = { lastLsn: 0n, lastEventMs: 0 };
  const wantMirror = settings.stages !== 'recompute';
  const wantRecompute = settings.stages !== 'mirror';

  /**
   * Open states and running shifts grow POT and ADOT with the clock; re-marking their recent buckets
   * keeps live numbers within one interval of now. Only the owner of dirty partition 0 ticks, so N
   * instances do not send N copies. The first tick reaches back further to cover a restart's gap.
   */
  async function tick(): Promise<void> {
    if (!ownsTimer || !producer) return;
    const now = deps.clock();
    const back = lastTick === undefined ? 24 * 3_600_000 : now - lastTick + 2 * settings.openStateIntervalMs;
    const from = bucketOf(now - back);
    const to = bucketOf(now) + BUCKET_MS;
    const marks: DirtyMark[] = [];
    for (const s of await openStates(tables)) {
      marks.push({
        tenantId: s.tenantId,
        equipmentId: s.equipmentId,
        fromMs: Math.max(from, bucketOf(s.startMs)),
        toMs: to,
      });
    }
    for (const e of await shiftsInProgress(tables, now - back, now)) {
      marks.push({ tenantId: e.tenantId, equipmentId: e.equipmentId, fromMs: from, toMs: to });
    }
    const merged = coalesce(marks.filter((m) => m.toMs > m.fromMs));
    if (merged.length > 0) await dirtyPublisher(producer, settings.dirtyTopic)(merged);
    lastTick = now;
  }

  function scheduleTick(): void {
    timer = setTimeout(() => {
      ticking = tick()
        .catch((err: unknown) => logger.warn({ err }, 'open-state re-evaluation failed; next tick retries'))
        .finally(() => {
          ticking = undefined;
          if (timer !== undefined) scheduleTick();
        });
    }, settings.openStateIntervalMs);
    timer.unref();
  }

  return {
    async start() {
      if (settings.migrateOnStart) {
        const applied = await migrate(deps.adminCh ?? deps.ch, tables.database);
        if (applied.length > 0)
          logger.info({ applied, database: tables.database }, 'ClickHouse migrations applied');
      }
      const topics = [
        ...(wantMirror ? cdcTopics(settings.topicPrefix) : []),
        settings.dirtyTopic,
        ...(wantRecompute && settings.appliedTopic ? [settings.appliedTopic] : []),
      ];
      await waitForTopics(deps.kafka, topics, settings.topicWaitMs, logger);
      producer = deps.kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      const publish = dirtyPublisher(producer, settings.dirtyTopic);
      await createMissingTopics(deps.kafka, [settings.deadLetterTopic]);
      const sinkOf = (stage: string) =>
        deadLetterSink({
          producer: producer!,
          topic: settings.deadLetterTopic,
          consumer: `projector-${stage}`,
          counter: metrics.deadLetters,
          logger,
        });
      const mirrorSink = sinkOf('mirror');
      const common = {
        kafka: deps.kafka,
        partitionsConcurrently: settings.partitionsConcurrently,
        sessionTimeoutMs: settings.sessionTimeoutMs,
        retry: settings.retry,
        logger,
        metrics,
        fromBeginning: true,
      };
      if (wantMirror) {
        stages.push(
          createStage({
            ...common,
            name: 'mirror',
            groupId: settings.mirrorGroup,
            topics: cdcTopics(settings.topicPrefix),
            deadLetter: sendTo(mirrorSink),
            apply: (b) =>
              applyMirrorBatch(
                {
                  tables,
                  topicPrefix: settings.topicPrefix,
                  clock: deps.clock,
                  logger,
                  metrics,
                  publish,
                  deadLetter: (source, reason) => mirrorSink.send(source, reason),
                },
                progress,
                b.topic,
                b.partition,
                b.messages,
              ),
          }),
        );
      }
      if (wantRecompute) {
        let recomputeLsn = 0n;
        const announce = settings.appliedTopic ? dirtyPublisher(producer, settings.appliedTopic) : undefined;
        stages.push(
          createStage({
            ...common,
            name: 'recompute',
            groupId: settings.recomputeGroup,
            topics: [settings.dirtyTopic],
            deadLetter: sendTo(sinkOf('recompute')),
            onAssignment: (assigned) => {
              ownsTimer = (assigned.get(settings.dirtyTopic) ?? []).includes(0);
            },
            apply: async (b) => {
              const last = b.messages.at(-1);
              if (last && BigInt(last.offset) > recomputeLsn) recomputeLsn = BigInt(last.offset);
              const lastLsn = recomputeLsn;
              const work = collectWork(b.messages);
              await recompute({ tables, clock: deps.clock, metrics, logger }, work, () =>
                writeState(
                  tables,
                  { key: 'recompute', lastLsn, lastEventMs: Number(last?.timestamp ?? 0) },
                  Date.now(),
                ),
              );
              // After the write, before the offsets: a crash in between repeats the recompute and
              // the announcement, never loses one.
              await announce?.(
                work.flatMap((w) => w.ranges.map((r) => ({ ...w.key, fromMs: r.fromMs, toMs: r.toMs }))),
              );
            },
          }),
        );
      }
      for (const stage of stages) await stage.start();
      if (wantRecompute) scheduleTick();
      logger.info({ stages: stages.map((s) => s.name), database: tables.database }, 'projector started');
    },
    async stop() {
      // Reverse order of start: no new timer marks, then the consumers (each finishes or abandons its
      // batch without committing), then the producer they publish through.
      const t = timer;
      timer = undefined;
      if (t) clearTimeout(t);
      await ticking;
      for (const stage of [...stages].reverse()) await stage.stop();
      stages.length = 0;
      await producer?.disconnect();
      producer = undefined;
    },
    async ready() {
      await deps.ch.ping();
      const down = stages.filter((s) => !s.healthy()).map((s) => s.name);
      if (down.length > 0 || stages.length === 0)
        throw new ProjectorError('TAKT_PROJECTOR_STOPPED', `stages not consuming: ${down.join(', ')}`, true);
    },
  };
}
