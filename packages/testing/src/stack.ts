import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the real local stack is. `infra/takt test` exports these; the state folder is the fallback. */
export interface StackSettings {
  stateDir: string;
  pgHost: string;
  pgPort: number;
  pgSuperuser: string;
  kafkaBrokers: string[];
  connectUrl: string;
  clickhouseUrl: string;
  clickhouseUser: string;
  clickhousePassword: string;
}

function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

let cached: StackSettings | undefined;

export function stack(env: NodeJS.ProcessEnv = process.env): StackSettings {
  if (cached) return cached;
  const stateDir = env.TAKT_STATE_DIR ?? join(homedir(), '.local/state/takt');
  const secrets = readEnvFile(join(stateDir, 'secrets/clickhouse.env'));
  cached = {
    stateDir,
    pgHost: env.PG_HOST ?? '127.0.0.1',
    pgPort: Number(env.PG_PORT ?? 5432),
    pgSuperuser: env.PG_SUPERUSER ?? 'postgres',
    kafkaBrokers: (env.KAFKA_BROKERS ?? `127.0.0.1:${env.KAFKA_PORT ?? 9092}`).split(','),
    connectUrl: env.CONNECT_URL ?? `http://127.0.0.1:${env.CONNECT_PORT ?? 8083}`,
    clickhouseUrl: env.CLICKHOUSE_URL ?? `http://127.0.0.1:${env.CLICKHOUSE_HTTP_PORT ?? 8123}`,
    clickhouseUser: env.CLICKHOUSE_USER ?? 'default',
    clickhousePassword: env.CLICKHOUSE_PASSWORD ?? secrets.TAKT_CLICKHOUSE_PASSWORD ?? '',
  };
  return cached;
}

export function pgUrl(database: string, user = stack().pgSuperuser, password?: string): string {
  const s = stack();
  const auth = password
    ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}`
    : encodeURIComponent(user);
  return `postgresql://${auth}@${s.pgHost}:${s.pgPort}/${database}`;
}
