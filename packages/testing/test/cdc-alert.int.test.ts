import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeAlerts,
  connectMetricsTarget,
  createTestDatabase,
  createTopics,
  debeziumSource,
  deleteTopics,
  type MonitoringProcess,
  prometheusAlerts,
  queryValue,
  registerConnector,
  removeConnectorAndSlot,
  setConnectorPaused,
  startAlertmanager,
  startPrometheus,
  type TestDatabase,
  testKafka,
  topicPrefix,
  waitFor,
  withAdmin,
} from '../src/index.js';

const rules = fileURLToPath(new URL('../../../infra/prometheus/rules/*.yml', import.meta.url));
const ALERT = 'TaktCdcConnectorNotRunning';
const FOR_MS = forOf(ALERT, new URL('../../../infra/prometheus/rules/cdc.yml', import.meta.url));

/** The `for:` of an alert in a rule file, in milliseconds. */
function forOf(alert: string, file: URL): number {
  const block = readFileSync(file, 'utf8')
    .split(/^\s*- alert: /m)
    .find((b) => b.startsWith(`${alert}\n`));
  const m = /^\s*for: (\d+)([smh])$/m.exec(block ?? '');
  if (!m) throw new Error(`no for: for ${alert} in ${file.pathname}`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
}

// The real chain from Kafka Connect to Alertmanager: the worker's JMX exporter, a private
// Prometheus evaluating the repository's rules every second, a private Alertmanager. A private
// connector is paused on purpose (its task stops): the CDC alert must fire after its `for:`, no
// sooner, and resolve once the connector runs again.
describe('CDC alert, end to end', () => {
  const prefix = topicPrefix();
  const connector = `alert-${prefix}`;
  const slot = prefix.replaceAll('-', '_');
  const topics = [`${prefix}.public.alert_probe`, `__debezium-heartbeat.${prefix}`];
  const kafka = testKafka();
  let db: TestDatabase;
  let alertmanager: MonitoringProcess | undefined;
  let prometheus: MonitoringProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase({ prefix: 'takt_alert' });
    await withAdmin(db.name, async (c) => {
      await c.query('CREATE TABLE alert_probe (id int PRIMARY KEY)');
      await c.query(`CREATE PUBLICATION ${slot}_pub FOR TABLE alert_probe`);
    });
    await createTopics(kafka, topics);
    await registerConnector(connector, {
      ...debeziumSource({
        database: db.name,
        topicPrefix: prefix,
        publication: `${slot}_pub`,
        slot,
        tables: ['alert_probe'],
      }),
    });
    alertmanager = await startAlertmanager();
    prometheus = await startPrometheus({
      ruleFiles: [rules],
      targets: [{ job: 'connect', target: connectMetricsTarget() }],
      alertmanagerUrl: alertmanager.url,
      interval: '1s',
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await removeConnectorAndSlot(connector, slot);
    await db?.drop();
    await deleteTopics(kafka, topics).catch(() => undefined);
  });

  it('fires within its for: when the task stops, and resolves when it runs again', async () => {
    const prom = prometheus?.url ?? '';
    const am = alertmanager?.url ?? '';
    const mine = { alertname: ALERT, connector };
    const running = `kafka_connect_task_status{connector="${connector}",status="running"}`;
    await waitFor(async () => (await queryValue(prom, running)) === 1, {
      timeoutMs: 30_000,
      what: `Prometheus to scrape ${connector}'s task from ${connectMetricsTarget()}`,
    });
    expect(await prometheusAlerts(prom, mine)).toEqual([]);

    await setConnectorPaused(connector, true);
    const pausedAt = Date.now();
    await waitFor(async () => (await prometheusAlerts(prom, mine))[0]?.state === 'pending', {
      timeoutMs: 20_000,
      what: `${ALERT} to be pending`,
    });
    expect(await activeAlerts(am, mine)).toEqual([]);

    const [fired] = await waitFor(
      async () => {
        const a = await activeAlerts(am, mine);
        return a.length > 0 && a;
      },
      { timeoutMs: FOR_MS + 30_000, intervalMs: 500, what: `${ALERT} in Alertmanager` },
    );
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(FOR_MS);
    expect(fired?.labels).toMatchObject({ severity: 'page', connector });
    expect(fired?.status.state).toBe('active');

    await setConnectorPaused(connector, false);
    await waitFor(async () => (await activeAlerts(am, mine)).length === 0, {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: `${ALERT} to resolve in Alertmanager`,
    });
    expect(await prometheusAlerts(prom, mine)).toEqual([]);
  }, 180_000);
});
