import {
  apiKeysDatabaseEnv,
  baseEnv,
  boolFlag,
  cdcWatchEnv,
  clickhouseEnv,
  csv,
  httpEnv,
  kafkaEnv,
  parseEnv,
  timeRangeEnv,
  z,
} from '@takt/config';

export const queryEnv = baseEnv
  .extend(httpEnv.shape)
  .extend(clickhouseEnv.shape)
  .extend(kafkaEnv.shape)
  .extend(cdcWatchEnv.shape)
  .extend(apiKeysDatabaseEnv.shape)
  .extend(timeRangeEnv.shape)
  .extend({
    /** Dead letters that keep /v1/freshness from caughtUp: the projector's (docs/cdc-health.md). */
    CDC_DEAD_LETTER_TOPICS: csv.default(['takt.projector.dlq']),
    PORT: z.coerce.number().int().min(1).max(65535).default(3002),
    /** Off where no Kafka runs: /v1/freshness then reports from the projector's state table alone. */
    FRESHNESS_KAFKA: boolFlag.default(true),
    KAFKA_MIRROR_GROUP: z.string().min(1).default('takt-projector-mirror'),
    KAFKA_RECOMPUTE_GROUP: z.string().min(1).default('takt-projector-recompute'),
    KAFKA_DIRTY_TOPIC: z.string().min(1).default('takt.projector.dirty'),
    /** Sites, lines and equipment per tenant; a moved equipment shows up in roll-ups within this time. */
    PLANT_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(5_000),
    /** Identical analytics requests within this time share one answer; 0 turns it off. */
    RESULT_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(1_000),
    /** Where the projector announces its writes; the OEE fragment cache drops what they overlap. */
    KAFKA_APPLIED_TOPIC: z.string().min(1).default('takt.projector.applied'),
    /** OEE calendar buckets kept between requests (about 770 bytes of heap each); 0 turns it off. */
    FRAGMENT_CACHE_MAX: z.coerce.number().int().nonnegative().default(200_000),
    /** Even with the feed live, a kept bucket is read again after this long. */
    FRAGMENT_CACHE_MAX_AGE_MS: z.coerce
      .number()
      .int()
      .positive()
      .default(15 * 60_000),
  });

export type QueryConfig = z.infer<typeof queryEnv>;

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): QueryConfig => parseEnv(queryEnv, env);
