import { withAdmin } from './postgres.js';
import { stack } from './stack.js';
import { waitFor } from './wait.js';

async function rest(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${stack().connectUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/**
 * The Debezium PostgreSQL source settings every test connector shares: the local server as its
 * superuser (trust auth), a publication the test made, its own slot, no snapshot. Callers add
 * converters and value handling.
 */
export function debeziumSource(opts: {
  database: string;
  topicPrefix: string;
  publication: string;
  slot: string;
  tables: readonly string[];
}): Record<string, string> {
  const s = stack();
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'plugin.name': 'pgoutput',
    'database.hostname': s.pgHost,
    'database.port': String(s.pgPort),
    'database.user': s.pgSuperuser,
    'database.password': 'unused-with-trust-auth',
    'database.dbname': opts.database,
    'topic.prefix': opts.topicPrefix,
    'publication.name': opts.publication,
    'publication.autocreate.mode': 'disabled',
    'slot.name': opts.slot,
    'table.include.list': opts.tables.map((t) => `public.${t}`).join(','),
    'snapshot.mode': 'no_data',
  };
}

/** Registers (or updates) a connector and waits until it and its task run. */
export async function registerConnector(name: string, config: Record<string, string>): Promise<void> {
  const put = await rest('PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
  if (put.status >= 300) throw new Error(`connector ${name}: ${put.status} ${JSON.stringify(put.json)}`);
  await waitFor(
    async () => {
      const { status, json } = await rest('GET', `/connectors/${encodeURIComponent(name)}/status`);
      if (status !== 200) return false;
      const s = json as { connector: { state: string }; tasks: { state: string; trace?: string }[] };
      const failed = s.tasks.find((t) => t.state === 'FAILED');
      if (failed) throw new Error(`connector ${name} task failed: ${failed.trace?.split('\n')[0]}`);
      return (
        s.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING')
      );
    },
    { timeoutMs: 60_000, intervalMs: 250, what: `connector ${name} to run` },
  );
}

/** Pauses (or resumes) a connector: its tasks stop, so nothing more is read from the slot. */
export async function setConnectorPaused(name: string, paused: boolean): Promise<void> {
  const res = await rest('PUT', `/connectors/${encodeURIComponent(name)}/${paused ? 'pause' : 'resume'}`);
  if (res.status >= 300) throw new Error(`${paused ? 'pause' : 'resume'} connector ${name}: ${res.status}`);
}

export async function deleteConnector(name: string): Promise<void> {
  const res = await rest('DELETE', `/connectors/${encodeURIComponent(name)}`);
  if (res.status >= 300 && res.status !== 404) throw new Error(`delete connector ${name}: ${res.status}`);
}

/**
 * Removes a test's connector and then its replication slot. The slot stays active for a moment
 * after the connector stops, and an abandoned slot would pin WAL (and its database) forever.
 */
export async function removeConnectorAndSlot(name: string, slot: string): Promise<void> {
  await deleteConnector(name).catch(() => undefined);
  await waitFor(
    () =>
      withAdmin('postgres', async (c) => {
        const r = await c.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
        if (r.rows[0]?.active) return false;
        if (r.rowCount) await c.query('SELECT pg_drop_replication_slot($1)', [slot]);
        return true;
      }),
    { timeoutMs: 30_000, what: 'replication slot to be released' },
  ).catch(() => undefined);
}
