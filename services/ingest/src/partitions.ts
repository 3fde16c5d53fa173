import type { PrismaClient } from '@takt/db';
import { Gauge, type Registry } from '@takt/http';
import type { Logger } from '@takt/log';
import type { Clock } from './context.js';

interface PartitionHealth {
  parent_table: string;
  partitions: number;
  oldest_start: Date | null;
  newest_end: Date | null;
  default_rows: bigint;
  without_full_identity: number;
}

const DAY_MS = 86_400_000;

/**
 * What partition maintenance (pg_partman's background worker) has achieved, read on every scrape
 * from `takt_partition_health()`; labelled by table only. A failing maintenance shows as
 * `takt_partition_premade_days` shrinking below the accepted horizon, and its usual cause as
 * `takt_partition_default_rows` above 0 (docs/time-range.md).
 */
export function installPartitionMetrics(
  registry: Registry,
  prisma: PrismaClient,
  clock: Clock,
  logger: Logger,
): void {
  let pending: Promise<void> | undefined;
  // prom-client collects every metric of a scrape at once: they share one query.
  const refresh = () => {
    pending ??= read().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const gauge = (name: string, help: string, labelNames: string[] = ['table']) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect: refresh });
  const premade = gauge('takt_partition_premade_days', 'Days from now to the end of the newest partition');
  const oldest = gauge('takt_partition_oldest_days', 'Days from the start of the oldest partition to now');
  const count = gauge('takt_partition_count', 'Partitions, the default one included');
  const defaultRows = gauge(
    'takt_partition_default_rows',
    'Rows in the default partition (capped at 1,000,000)',
  );
  const notFull = gauge(
    'takt_partition_replica_identity_missing',
    'Partitions without REPLICA IDENTITY FULL (their updates and deletes reach CDC without full before images)',
  );
  const up = gauge('takt_partition_check_up', '1 when the last partition check could read PostgreSQL', []);

  async function read(): Promise<void> {
    try {
      const rows = await prisma.$queryRaw<PartitionHealth[]>`SELECT * FROM takt_partition_health()`;
      const now = clock();
      for (const r of rows) {
        const table = { table: r.parent_table };
        if (r.newest_end) premade.set(table, (r.newest_end.getTime() - now) / DAY_MS);
        if (r.oldest_start) oldest.set(table, (now - r.oldest_start.getTime()) / DAY_MS);
        count.set(table, r.partitions);
        defaultRows.set(table, Number(r.default_rows));
        notFull.set(table, r.without_full_identity);
      }
      up.set(1);
    } catch (err) {
      logger.warn({ err }, 'partition check failed');
      up.set(0);
    }
  }
}
