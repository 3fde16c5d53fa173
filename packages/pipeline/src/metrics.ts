import { CDC_REASONS } from '@takt/cdc';
import { Gauge, type Registry } from '@takt/http';
import type { CdcWatcher } from './watcher.js';

const TASK_STATES = ['RUNNING', 'PAUSED', 'FAILED', 'UNASSIGNED', 'RESTARTING', 'STOPPED'] as const;

/**
 * The watcher's last observation as Prometheus gauges, read at scrape time (docs/cdc-health.md lists
 * them). No label holds a tenant: the source is shared by every tenant.
 */
export function registerCdcMetrics(registry: Registry, watcher: CdcWatcher): void {
  const registers = [registry];
  new Gauge({
    name: 'takt_cdc_healthy',
    help: '1 when the CDC source shows no problem at all (dead letters included)',
    registers,
    collect() {
      this.set(watcher.health().healthy ? 1 : 0);
    },
  });
  new Gauge({
    name: 'takt_cdc_unhealthy_reason',
    help: 'One series per reason code, 1 while that reason holds',
    labelNames: ['reason'],
    registers,
    collect() {
      const now = new Set(watcher.health().reasons);
      for (const reason of CDC_REASONS) this.set({ reason }, now.has(reason) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'takt_cdc_connector_up',
    help: '1 when Kafka Connect reports the connector and every one of its tasks RUNNING',
    registers,
    collect() {
      const c = watcher.latest()?.connector;
      const up =
        c?.kind === 'status' &&
        c.state === 'RUNNING' &&
        c.tasks.length > 0 &&
        c.tasks.every((t) => t.state === 'RUNNING');
      this.set(up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'takt_cdc_task_state',
    help: 'Connector task state as reported by Kafka Connect: 1 for the current state of each task',
    labelNames: ['task', 'state'],
    registers,
    collect() {
      this.reset();
      const c = watcher.latest()?.connector;
      if (c?.kind !== 'status') return;
      for (const t of c.tasks)
        for (const state of new Set<string>([...TASK_STATES, t.state]))
          this.set({ task: String(t.id), state }, t.state === state ? 1 : 0);
    },
  });
  sourceGauges(registers, watcher);
  new Gauge({
    name: 'takt_cdc_dead_letters_unhandled',
    help: 'Dead letters not yet marked handled, per dead-letter topic',
    labelNames: ['topic'],
    registers,
    collect() {
      this.reset();
      const d = watcher.latest()?.deadLetters;
      if (d?.kind === 'ok') for (const [topic, n] of Object.entries(d.unhandled)) this.set({ topic }, n);
    },
  });
}

function sourceGauges(registers: Registry[], watcher: CdcWatcher): void {
  const source = () => {
    const s = watcher.latest()?.source;
    return s?.kind === 'ok' ? s : undefined;
  };
  new Gauge({
    name: 'takt_cdc_slot_active',
    help: '1 while a walsender streams from the replication slot',
    registers,
    collect() {
      this.reset();
      const s = source();
      if (s) this.set(s.slot?.active ? 1 : 0);
    },
  });
  new Gauge({
    name: 'takt_cdc_slot_retained_wal_bytes',
    help: 'WAL the replication slot keeps on disk: pg_current_wal_lsn() minus its restart_lsn',
    registers,
    collect() {
      this.reset();
      const bytes = source()?.slot?.retainedWalBytes;
      if (bytes !== undefined && bytes !== null) this.set(bytes);
    },
  });
  new Gauge({
    name: 'takt_cdc_heartbeat_age_seconds',
    help: "Age of Debezium's last heartbeat row, on the database's clock",
    registers,
    collect() {
      this.reset();
      const age = source()?.heartbeatAgeMs;
      if (age !== undefined && age !== null) this.set(age / 1000);
    },
  });
}
