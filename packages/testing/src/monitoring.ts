import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

/**
 * Private Prometheus and Alertmanager processes for a test (Debian's binaries, which infra/takt
 * installs), on free loopback ports with their data in a temporary folder, so a test can watch
 * rules fire without touching the stack's own monitoring (docs/observability.md).
 */
export interface MonitoringProcess {
  readonly url: string;
  stop(): Promise<void>;
}

export interface ScrapeTarget {
  readonly job: string;
  readonly target: string;
}

/** Where the stack's Kafka Connect worker serves its JMX exporter metrics. */
export function connectMetricsTarget(env: NodeJS.ProcessEnv = process.env): string {
  return env.CONNECT_METRICS_TARGET ?? `127.0.0.1:${env.CONNECT_METRICS_PORT ?? 9405}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function launch(binary: string, args: (dir: string, port: number) => string[], config: string) {
  const dir = mkdtempSync(join(tmpdir(), 'takt-monitoring-'));
  const port = await freePort();
  writeFileSync(join(dir, 'config.yml'), config);
  const child: ChildProcess = spawn(binary, args(dir, port), { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (err) => {
    log += `\n${err.message}`;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${binary} exited: ${log}`);
        return (await fetch(`${url}/-/ready`)).ok;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `${binary} on ${url}` },
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return { url, stop };
}

/** Alertmanager that only keeps alerts (no receiver sends anything), grouped per alert at once. */
export function startAlertmanager(): Promise<MonitoringProcess> {
  const config = [
    'route: { receiver: keep, group_by: ["..."], group_wait: 0s, group_interval: 1s }',
    'receivers: [{ name: keep }]',
  ].join('\n');
  return launch(
    'prometheus-alertmanager',
    (dir, port) => [
      `--config.file=${join(dir, 'config.yml')}`,
      `--storage.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    config,
  );
}

export interface PrometheusOptions {
  /** Rule files (globs allowed), as in prometheus.yml. */
  readonly ruleFiles: readonly string[];
  readonly targets: readonly ScrapeTarget[];
  readonly alertmanagerUrl: string;
  /** Scrape and rule evaluation interval, e.g. '1s'. */
  readonly interval: string;
}

export function startPrometheus(o: PrometheusOptions): Promise<MonitoringProcess> {
  const config = JSON.stringify({
    global: { scrape_interval: o.interval, evaluation_interval: o.interval },
    rule_files: o.ruleFiles,
    alerting: {
      alertmanagers: [{ static_configs: [{ targets: [new URL(o.alertmanagerUrl).host] }] }],
    },
    scrape_configs: o.targets.map((t) => ({ job_name: t.job, static_configs: [{ targets: [t.target] }] })),
  });
  return launch(
    'prometheus',
    (dir, port) => [
      `--config.file=${join(dir, 'config.yml')}`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    config,
  );
}

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  status: { state: string };
  startsAt: string;
}

/** Active alerts in Alertmanager whose labels include every given one. */
export async function activeAlerts(
  alertmanagerUrl: string,
  labels: Record<string, string>,
): Promise<AlertmanagerAlert[]> {
  const filter = Object.entries(labels)
    .map(([k, v]) => `filter=${encodeURIComponent(`${k}="${v}"`)}`)
    .join('&');
  const res = await fetch(`${alertmanagerUrl}/api/v2/alerts?active=true&silenced=false&${filter}`);
  if (!res.ok) throw new Error(`Alertmanager /api/v2/alerts: ${res.status}`);
  return (await res.json()) as AlertmanagerAlert[];
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

/** Prometheus' own view of its alerts (pending ones included), filtered by labels. */
export async function prometheusAlerts(
  prometheusUrl: string,
  labels: Record<string, string>,
): Promise<PrometheusAlert[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/alerts`);
  if (!res.ok) throw new Error(`Prometheus /api/v1/alerts: ${res.status}`);
  const body = (await res.json()) as { data: { alerts: PrometheusAlert[] } };
  return body.data.alerts.filter((a) => Object.entries(labels).every(([k, v]) => a.labels[k] === v));
}

/** The value of an instant query's first series, or undefined when it has none. */
export async function queryValue(prometheusUrl: string, promql: string): Promise<number | undefined> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  if (!res.ok) throw new Error(`Prometheus query ${promql}: ${res.status}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  const first = body.data.result[0];
  return first ? Number(first.value[1]) : undefined;
}
