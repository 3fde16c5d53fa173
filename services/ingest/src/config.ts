import { apiKeysEnv, baseEnv, httpEnv, parseEnv, postgresEnv, timeRangeEnv, z } from '@takt/config';
import { piiEnv } from '@takt/crypto';

export const ingestEnv = baseEnv
  .extend(httpEnv.shape)
  .extend(postgresEnv.shape)
  .extend(piiEnv.shape)
  .extend(apiKeysEnv.shape)
  .extend(timeRangeEnv.shape)
  .extend({
    PORT: z.coerce.number().int().min(1).max(65535).default(3001),
    MAX_SENSOR_RECORDS: z.coerce.number().int().positive().default(10_000),
    MAX_FACT_RECORDS: z.coerce.number().int().positive().default(1_000),
  });

export type IngestConfig = z.infer<typeof ingestEnv>;

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): IngestConfig => parseEnv(ingestEnv, env);
