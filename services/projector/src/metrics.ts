import { Counter, Gauge, Histogram, type Registry } from '@takt/http';

export interface ProjectorMetrics {
  readonly lag: Gauge<'stage' | 'topic' | 'partition'>;
  readonly eventsApplied: Counter<'table'>;
  readonly deadLetters: Counter<'topic'>;
  readonly dirtyMarks: Counter;
  readonly bucketsRecomputed: Counter;
  readonly rowsWritten: Counter<'table'>;
  readonly lastLsn: Gauge;
  readonly lastEventSeconds: Gauge;
  readonly retries: Counter<'stage'>;
  readonly batchSeconds: Histogram<'stage'>;
}

export function createProjectorMetrics(registry: Registry): ProjectorMetrics {
  const registers = [registry];
  return {
    lag: new Gauge({
      name: 'takt_projector_consumer_lag',
      help: 'Messages behind the end of each partition after the last applied batch',
      labelNames: ['stage', 'topic', 'partition'],
      registers,
    }),
    eventsApplied: new Counter({
      name: 'takt_projector_events_applied_total',
      help: 'CDC events written to the ClickHouse mirrors, by source table',
      labelNames: ['table'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'takt_projector_dead_letters_total',
      help: 'Messages sent to the dead-letter topic (undecodable, or data ClickHouse refuses), by source topic',
      labelNames: ['topic'],
      registers,
    }),
    dirtyMarks: new Counter({
      name: 'takt_projector_dirty_marks_total',
      help: 'Dirty marks published to the internal topic',
      registers,
    }),
    bucketsRecomputed: new Counter({
      name: 'takt_projector_buckets_recomputed_total',
      help: '15-minute equipment buckets recomputed from the mirrors',
      registers,
    }),
    rowsWritten: new Counter({
      name: 'takt_projector_rows_written_total',
      help: 'Derived rows written (deletions included), by table',
      labelNames: ['table'],
      registers,
    }),
    lastLsn: new Gauge({
      name: 'takt_projector_last_applied_lsn',
      help: 'Highest Postgres LSN applied to the mirrors (precision of a double)',
      registers,
    }),
    lastEventSeconds: new Gauge({
      name: 'takt_projector_last_event_timestamp_seconds',
      help: 'Commit time of the last applied change, unix seconds',
      registers,
    }),
    retries: new Counter({
      name: 'takt_projector_batch_retries_total',
      help: 'Batch attempts that failed and were retried after a backoff',
      labelNames: ['stage'],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'takt_projector_batch_duration_seconds',
      help: 'Time to apply and commit one batch',
      labelNames: ['stage'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}
