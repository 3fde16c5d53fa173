import { readFileSync } from 'node:fs';
import { startApiKeyStore } from '@takt/api-keys';
import { keyringFromEnv } from '@takt/crypto';
import { createPrisma } from '@takt/db';
import { createMetricsRegistry, Gauge, limitsFromEnv } from '@takt/http';
import { createLogger, runMain, stopOnSignals } from '@takt/log';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: 'ingest', level: config.LOG_LEVEL });
  const keyring = keyringFromEnv(config, (path) => readFileSync(path, 'utf8'));
  const metrics = createMetricsRegistry('ingest');
  const prisma = createPrisma({
    url: config.DATABASE_URL,
    poolMax: config.PG_POOL_MAX,
    statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
    applicationName: 'takt-ingest',
    onPoolError: (err) => logger.error({ err }, 'postgres pool error'),
    onPool: (pool) => {
      new Gauge({
        name: 'takt_pg_pool_connections',
        help: 'PostgreSQL pool connections by state',
        labelNames: ['state'],
        registers: [metrics],
        collect() {
          this.set({ state: 'total' }, pool.totalCount);
          this.set({ state: 'idle' }, pool.idleCount);
          this.set({ state: 'waiting' }, pool.waitingCount);
        },
      });
    },
  });
  const keys = await startApiKeyStore({
    service: 'ingest',
    connectionString: config.DATABASE_URL,
    settings: config,
    logger,
    metrics,
  });
  const app = await buildApp({
    prisma,
    resolveKey: keys.resolve,
    keyring,
    logger,
    metrics,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    limits: { sensorRecords: config.MAX_SENSOR_RECORDS, factRecords: config.MAX_FACT_RECORDS },
    timeRange: {
      retentionDays: config.TIME_RANGE_RETENTION_DAYS,
      horizonDays: config.TIME_RANGE_HORIZON_DAYS,
    },
    http: limitsFromEnv(config),
  });
  await app.listen({ host: config.HOST, port: config.PORT });

  stopOnSignals(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    // Reverse order of start: stop taking requests and drain in-flight ones, then the pool they used.
    await app.close();
    await keys.stop();
    await prisma.$disconnect();
  });
}

runMain(main);
