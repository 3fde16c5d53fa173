import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, queryValue, stack, waitFor } from '../src/index.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

// infra/lib/prometheus.sh as `infra/takt up` runs it, in a private state folder on free ports:
// the exporters answer, Prometheus scrapes them with the custom PostgreSQL queries and the
// ClickHouse textfile, loads the rules, and `down` stops every process it started.
describe('monitoring in the local stack', () => {
  const state = mkdtempSync(join(tmpdir(), 'takt-monitoring-state-'));
  const env: Record<string, string> = { TAKT_STATE_DIR: state, CLICKHOUSE_METRICS_INTERVAL: '1' };

  function takt(call: string): string {
    const script = `source infra/lib/common.sh
      for f in infra/lib/*.sh; do [[ "$f" == */common.sh ]] || source "$f"; done
      ${call}`;
    return execFileSync('bash', ['-c', script], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  beforeAll(async () => {
    for (const name of ['PROMETHEUS_PORT', 'ALERTMANAGER_PORT', 'PG_EXPORTER_PORT', 'NODE_EXPORTER_PORT'])
      env[name] = String(await freePort());
    mkdirSync(join(state, 'secrets'), { recursive: true });
    writeFileSync(
      join(state, 'secrets/clickhouse.env'),
      `TAKT_CLICKHOUSE_PASSWORD=${stack().clickhousePassword}\n`,
      {
        mode: 0o600,
      },
    );
    takt('monitoring_up');
  });

  afterAll(() => {
    try {
      takt('monitoring_stop');
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('scrapes PostgreSQL, Kafka, Connect, the disk and ClickHouse, and loads the rules', async () => {
    const prom = `http://127.0.0.1:${env.PROMETHEUS_PORT}`;
    // kafka and connect: the stack's JVMs carry the JMX exporter agent (kafka.sh, connect.sh).
    for (const job of ['prometheus', 'alertmanager', 'postgres', 'node', 'kafka', 'connect']) {
      await waitFor(async () => (await queryValue(prom, `up{job="${job}"}`)) === 1, {
        timeoutMs: 60_000,
        intervalMs: 500,
        what: `target ${job} up`,
      });
    }
    expect(
      await queryValue(prom, 'kafka_connect_task_status{connector="takt-postgres",status="running"}'),
    ).toBe(1);
    expect(await queryValue(prom, 'takt_pg_partitions_count{parent="fact_sensor_reading"}')).toBeGreaterThan(
      1,
    );
    expect(await queryValue(prom, `takt_state_dir_info{path="${state}"}`)).toBe(1);
    await waitFor(async () => (await queryValue(prom, 'takt_clickhouse_up')) === 1, {
      timeoutMs: 30_000,
      what: 'ClickHouse metrics through the textfile',
    });
    expect(await queryValue(prom, 'ClickHouseMetrics_Query')).toBeGreaterThanOrEqual(0);
    const rules = (await (await fetch(`${prom}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string }[] }[] };
    };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name)).toContain('TaktCdcConnectorNotRunning');
    expect(loaded.filter((r) => r.health === 'err')).toEqual([]);
  });

  it('status lists each component, and stop ends them', async () => {
    expect(takt('monitoring_status')).toMatch(/^prometheus\s+up\b[\s\S]*^node-exporter\s+up\b/m);
    takt('monitoring_stop');
    expect(takt('monitoring_status')).not.toMatch(/\bup\b/);
    for (const name of ['PROMETHEUS_PORT', 'NODE_EXPORTER_PORT'])
      await expect(fetch(`http://127.0.0.1:${env[name]}/metrics`)).rejects.toThrow();
  });
});
