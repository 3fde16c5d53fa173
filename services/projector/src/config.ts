import { baseEnv, boolFlag, cdcWatchEnv, clickhouseEnv, kafkaEnv, parseEnv, port, z } from '@takt/config';

const groupId = z.string().regex(/^[A-Za-z0-9._-]+$/);

export const projectorEnv = baseEnv
  .extend(kafkaEnv.shape)
  .extend(clickhouseEnv.shape)
  .extend(cdcWatchEnv.shape)
  .extend({
    HOST: z.string().default('127.0.0.1'),
    PORT: port.default(3004),
    /** The internal topic of dirty marks between the two stages (docs/architecture.md). */
    PROJECTOR_DIRTY_TOPIC: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .default('takt.projector.dirty'),
    /** Recomputes announced once in ClickHouse, for caches downstream (the query service); '' for none. */
    PROJECTOR_APPLIED_TOPIC: z
      .string()
      .regex(/^([A-Za-z0-9._-]+)?$/)
      .default('takt.projector.applied'),
    /** Messages the projector cannot apply, kept with their coordinates and reason (docs/cdc-health.md). */
    PROJECTOR_DLQ_TOPIC: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .default('takt.projector.dlq'),
    PROJECTOR_MIRROR_GROUP: groupId.default('takt-projector-mirror'),
    PROJECTOR_RECOMPUTE_GROUP: groupId.default('takt-projector-recompute'),
    /** Which stages this process runs; both by default, one each when they scale separately. */
    PROJECTOR_STAGES: z.enum(['both', 'mirror', 'recompute']).default('both'),
    /** docs/oee.md §7 promises live numbers at most a minute behind the wall clock. */
    PROJECTOR_OPEN_STATE_INTERVAL_MS: z.coerce.number().int().min(1_000).max(60_000).default(30_000),
    PROJECTOR_RETRY_MIN_MS: z.coerce.number().int().positive().default(500),
    PROJECTOR_RETRY_MAX_MS: z.coerce.number().int().positive().default(30_000),
    /** Partitions of the CDC topics applied at once; each is its own batch stream. */
    PROJECTOR_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(4),
    /** Waiting for the CDC topics to exist (Debezium creates them on first change). */
    PROJECTOR_TOPIC_WAIT_MS: z.coerce.number().int().nonnegative().default(600_000),
    PROJECTOR_MIGRATE_ON_START: boolFlag.default(true),
    KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  })
  .superRefine((env, ctx) => {
    if (env.PROJECTOR_RETRY_MIN_MS > env.PROJECTOR_RETRY_MAX_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['PROJECTOR_RETRY_MIN_MS'],
        message: 'must not exceed PROJECTOR_RETRY_MAX_MS',
      });
    }
    if (env.PROJECTOR_MIRROR_GROUP === env.PROJECTOR_RECOMPUTE_GROUP) {
      ctx.addIssue({
        code: 'custom',
        path: ['PROJECTOR_RECOMPUTE_GROUP'],
        message: 'must differ from PROJECTOR_MIRROR_GROUP',
      });
    }
  });

export type ProjectorConfig = z.infer<typeof projectorEnv>;

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): ProjectorConfig =>
  parseEnv(projectorEnv, env);
