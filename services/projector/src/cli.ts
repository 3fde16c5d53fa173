import { parseArgs } from 'node:util';
import { createClickHouse } from '@takt/clickhouse';
import { ConfigError } from '@takt/config';
import { createMetricsRegistry } from '@takt/http';
import { createLogger } from '@takt/log';
import { markDeadLettersHandled, unhandledDeadLetters } from '@takt/pipeline';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig, type ProjectorConfig } from './config.js';
import { migrate } from './ddl.js';
import { createProjectorMetrics } from './metrics.js';
import { progressBar, rebuild } from './rebuild.js';

const usage = `usage: takt-projector <command>

  migrate             apply the ClickHouse DDL to CLICKHOUSE_DATABASE (idempotent)
  rebuild [--keep-old] replay the CDC topics from the earliest offsets into fresh tables, recompute
                      every bucket, swap the tables in, then catch up; the old tables are dropped
                      unless --keep-old (they stay in <database>_old_<stamp>)
  dead-letters [--topic <t>] [--mark-handled]
                      list the dead letters not yet handled (PROJECTOR_DLQ_TOPIC by default; any
                      dead-letter topic, e.g. takt.audit.dlq, with --topic), one JSON line each with
                      its source coordinates and reason; --mark-handled then commits
                      CDC_DEAD_LETTERS_HANDLED_GROUP at the end of the topic (docs/cdc-health.md)

Reads the same environment as the service (CLICKHOUSE_*, KAFKA_*, PROJECTOR_*).`;

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  const logger = createLogger({ service: 'projector-cli', level: config.LOG_LEVEL });
  const client = (database?: string) =>
    createClickHouse({
      url: config.CLICKHOUSE_URL,
      username: config.CLICKHOUSE_USER,
      password: config.CLICKHOUSE_PASSWORD,
      requestTimeoutMs: config.CLICKHOUSE_REQUEST_TIMEOUT_MS,
      application: 'takt-projector-cli',
      ...(database === undefined ? {} : { database }),
    });
  const adminCh = client();
  try {
    if (command === 'migrate') {
      const applied = await migrate(adminCh, config.CLICKHOUSE_DATABASE);
      process.stdout.write(
        applied.length === 0
          ? `ClickHouse ${config.CLICKHOUSE_DATABASE}: up to date\n`
          : `ClickHouse ${config.CLICKHOUSE_DATABASE}: applied ${applied.join(', ')}\n`,
      );
      return;
    }
    if (command === 'rebuild') {
      const { values } = parseArgs({
        args: rest,
        options: { 'keep-old': { type: 'boolean', default: false } },
      });
      await migrate(adminCh, config.CLICKHOUSE_DATABASE);
      const ch = client(config.CLICKHOUSE_DATABASE);
      const kafka = new Kafka({
        clientId: 'takt-projector-rebuild',
        brokers: config.KAFKA_BROKERS,
        logLevel: logLevel.ERROR,
      });
      try {
        const result = await rebuild({
          ch,
          adminCh,
          kafka,
          database: config.CLICKHOUSE_DATABASE,
          topicPrefix: config.KAFKA_TOPIC_PREFIX,
          dirtyTopic: config.PROJECTOR_DIRTY_TOPIC,
          ...(config.PROJECTOR_APPLIED_TOPIC ? { appliedTopic: config.PROJECTOR_APPLIED_TOPIC } : {}),
          mirrorGroup: config.PROJECTOR_MIRROR_GROUP,
          logger,
          metrics: createProjectorMetrics(createMetricsRegistry('projector-cli')),
          clock: Date.now,
          onProgress: progressBar(process.stderr, logger),
          keepOld: values['keep-old'],
        });
        process.stderr.write('\n');
        process.stdout.write(
          `rebuilt ${config.CLICKHOUSE_DATABASE}: ${result.events} events, ${result.equipment} equipment\n`,
        );
      } finally {
        await ch.close();
      }
      return;
    }
    if (command === 'dead-letters') {
      const { values } = parseArgs({
        args: rest,
        options: { topic: { type: 'string' }, 'mark-handled': { type: 'boolean', default: false } },
      });
      await deadLetters(config, values.topic ?? config.PROJECTOR_DLQ_TOPIC, values['mark-handled']);
      return;
    }
    throw new Error(usage);
  } finally {
    await adminCh.close();
  }
}

async function deadLetters(config: ProjectorConfig, topic: string, mark: boolean): Promise<void> {
  const kafka = new Kafka({
    clientId: 'takt-projector-cli',
    brokers: config.KAFKA_BROKERS,
    logLevel: logLevel.ERROR,
  });
  const group = config.CDC_DEAD_LETTERS_HANDLED_GROUP;
  const entries = await unhandledDeadLetters(kafka, topic, group, 1_000);
  for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
  process.stderr.write(`${entries.length} unhandled dead letter(s) on ${topic}\n`);
  if (mark) {
    await markDeadLettersHandled(kafka, topic, group);
    process.stderr.write(`marked handled: ${group} now at the end of ${topic}\n`);
  }
}

run(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof ConfigError || err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
