import { type CdcHealth, PROJECTED_TABLES } from '@takt/cdc';
import { type ClickHouse, sql } from '@takt/clickhouse';
import { unavailable } from '@takt/http';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { iso } from './params.js';
import { int, read } from './store.js';

/** Unconsumed messages of a consumer group, summed over every partition of its topics. */
export interface GroupLag {
  readonly mirror: number;
  readonly recompute: number;
}

/** Where the Kafka half of freshness comes from; tests without Kafka leave it out. */
export interface LagProbe {
  lag(): Promise<GroupLag>;
  close(): Promise<void>;
}

export interface KafkaLagOptions {
  brokers: readonly string[];
  clientId?: string;
  /** CDC topics are `<prefix>.public.<table>`. */
  topicPrefix: string;
  mirrorGroup: string;
  recomputeGroup: string;
  dirtyTopic: string;
  requestTimeoutMs?: number;
}

async function groupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  if (topics.length === 0) return 0;
  const [committed, ends] = await Promise.all([
    admin.fetchOffsets({ groupId, topics: [...topics] }),
    Promise.all(topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) }))),
  ]);
  const committedOf = new Map<string, number>();
  for (const t of committed)
    for (const p of t.partitions) committedOf.set(`${t.topic}:${p.partition}`, Number(p.offset));
  let lag = 0;
  for (const { topic, offsets } of ends) {
    for (const p of offsets) {
      const at = committedOf.get(`${topic}:${p.partition}`) ?? -1;
      // A partition without a committed offset has all of its retained messages still to read.
      const from = at < 0 ? Number(p.low) : at;
      lag += Math.max(0, Number(p.high) - from);
    }
  }
  return lag;
}

export function kafkaLagProbe(options: KafkaLagOptions): LagProbe {
  // Debezium's other topics are never committed by the mirror group: counted, they would lag forever.
  const projected = new Set<string>(PROJECTED_TABLES.map((t) => `${options.topicPrefix}.public.${t}`));
  const kafka = new Kafka({
    clientId: options.clientId ?? 'takt-query',
    brokers: [...options.brokers],
    logLevel: logLevel.NOTHING,
    requestTimeout: options.requestTimeoutMs ?? 5_000,
    connectionTimeout: options.requestTimeoutMs ?? 5_000,
    retry: { retries: 1 },
  });
  let admin: Admin | undefined;
  let connecting: Promise<Admin> | undefined;
  const connected = async (): Promise<Admin> => {
    if (admin !== undefined) return admin;
    connecting ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      admin = a;
      return a;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };
  return {
    async lag() {
      try {
        const a = await connected();
        const topics = await a.listTopics();
        const cdc = topics.filter((t) => projected.has(t));
        const dirty = topics.filter((t) => t === options.dirtyTopic);
        const [mirror, recompute] = await Promise.all([
          groupLag(a, options.mirrorGroup, cdc),
          groupLag(a, options.recomputeGroup, dirty),
        ]);
        return { mirror, recompute };
      } catch {
        const stale = admin;
        admin = undefined;
        await stale?.disconnect().catch(() => undefined);
        throw unavailable('Kafka is unavailable: consumer lag is unknown');
      }
    },
    async close() {
      await admin?.disconnect();
      admin = undefined;
    },
  };
}

export interface Freshness {
  readonly caughtUp: boolean;
  /** Age of the oldest change not yet applied; 0 when caught up, null when the projector never ran. */
  readonly lagMs: number | null;
  readonly lastAppliedLsn: number | null;
  readonly lastEventAt: string | null;
  /** Why not caught up (docs/cdc-health.md); empty exactly when caughtUp. */
  readonly reasons: string[];
}

interface StateRow {
  key: string;
  last_lsn: string;
  last_event_ms: string;
}

/**
 * Why the analytics may trail the source: the projector's unconsumed messages (`projector_lag`, or
 * `lag_unknown` without Kafka) and, when the CDC source is watched, every reason it is unhealthy.
 * A Kafka lag of zero proves nothing while Debezium is not delivering: the changes wait in the WAL.
 */
export function freshnessReasons(lag: GroupLag | undefined, cdc: CdcHealth | undefined): string[] {
  const reasons: string[] = [];
  if (lag === undefined) reasons.push('lag_unknown');
  else if (lag.mirror > 0 || lag.recompute > 0) reasons.push('projector_lag');
  return [...reasons, ...(cdc?.reasons ?? [])];
}

export async function freshness(
  clickhouse: ClickHouse,
  probe: LagProbe | undefined,
  now: number,
  cdc?: () => CdcHealth,
): Promise<Freshness> {
  const [states, lag] = await Promise.all([
    read<StateRow>(
      clickhouse,
      sql`SELECT key, last_lsn, last_event_ms FROM projector_state_v1 FINAL WHERE key IN ('mirror', 'recompute')`,
    ),
    probe?.lag(),
  ]);
  const mirror = states.find((s) => s.key === 'mirror');
  const recompute = states.find((s) => s.key === 'recompute');
  const lastEventMs = mirror === undefined ? null : int(mirror.last_event_ms);
  // Without Kafka the lag is unknown, and unknown is never reported as caught up.
  const reasons = freshnessReasons(lag, cdc?.());
  const caughtUp = reasons.length === 0;
  // The recompute stage is the one behind only when it has work; otherwise (mirror behind, or the
  // source stalled) the age of the last mirrored change is the best bound there is.
  const lagging = lag !== undefined && lag.mirror === 0 && lag.recompute > 0 ? recompute : mirror;
  const laggingEventMs = lagging === undefined ? null : int(lagging.last_event_ms);
  return {
    caughtUp,
    lagMs: caughtUp
      ? 0
      : laggingEventMs === null || laggingEventMs === 0
        ? null
        : Math.max(0, now - laggingEventMs),
    lastAppliedLsn: mirror === undefined ? null : int(mirror.last_lsn),
    lastEventAt: lastEventMs === null || lastEventMs === 0 ? null : iso(lastEventMs),
    reasons,
  };
}
