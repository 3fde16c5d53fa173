import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration, parseInstant } from './time.js';

/** The command line, parsed and checked in one place; every problem is a usage error (exit 2). */

export const USAGE = `usage: takt-simulator [options]

Simulates a plant and posts its master data and facts to the Takt ingest API.

  --machines N          equipment to simulate (default 6)
  --lines M             lines, spread over sites in Berlin, Kolkata, Detroit (default 2)
  --seed S              same seed and range, same facts and ids (default "takt")
  --from T              RFC 3339 time or relative like -7d, -12h (default -1d)
  --to T                RFC 3339 time or "now" (default now; not with --live)
  --live                after reaching now, keep following the wall clock
  --speed X             simulated time runs X times faster than wall time, never past now
  --sensor-interval D   time between sensor readings per tag (default 10s)
  --tick D              how often a live run posts (default 5s)
  --chunk D             simulated time generated per step (default 2h)
  --concurrency N       requests in flight (default 4)
  --url URL             ingest base URL (env TAKT_INGEST_URL, default http://127.0.0.1:3001)
  --admin-key K         key with scope admin, for master data (env TAKT_ADMIN_KEY)
  --ingest-key K        key with scope ingest, for facts (env TAKT_INGEST_KEY)
  --api-key K           fallback for both (env TAKT_API_KEY)
  --keys-file F         JSON { keys: [{ scopes, key }] } as infra/takt writes it (env TAKT_KEYS_FILE)
  --no-master-data      skip the master data PUTs (they need an admin key)
  --quiet               no progress on stderr
  -h, --help            this text

Prints a JSON summary on stdout when done. Exit codes: 0 ok, 1 error, 2 usage.`;

export class UsageError extends Error {}

interface KeysFile {
  keys?: { scopes?: string[]; key?: string }[];
}

function keyFromFile(path: string | undefined, scope: string): string | undefined {
  if (!path) return undefined;
  let parsed: KeysFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as KeysFile;
  } catch (err) {
    throw new UsageError(`cannot read --keys-file ${path}: ${err instanceof Error ? err.message : err}`);
  }
  return parsed.keys?.find((k) => k.scopes?.includes(scope))?.key;
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new UsageError(`--${name} must be an integer in 1..10000`);
  return n;
}

function duration(name: string, value: string): number {
  const d = parseDuration(value);
  if (d === null) throw new UsageError(`--${name} must be a duration like 10s, 500ms, 2h`);
  return d;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv, now: number) {
  // `--from -7d` reads as two options to parseArgs; glue a relative time to its flag.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if ((a === '--from' || a === '--to') && next !== undefined && /^-\d/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      machines: { type: 'string', default: '6' },
      lines: { type: 'string', default: '2' },
      seed: { type: 'string', default: 'takt' },
      from: { type: 'string', default: '-1d' },
      to: { type: 'string' },
      live: { type: 'boolean', default: false },
      speed: { type: 'string' },
      'sensor-interval': { type: 'string', default: '10s' },
      tick: { type: 'string', default: '5s' },
      chunk: { type: 'string', default: '2h' },
      concurrency: { type: 'string', default: '4' },
      url: { type: 'string' },
      'admin-key': { type: 'string' },
      'ingest-key': { type: 'string' },
      'api-key': { type: 'string' },
      'keys-file': { type: 'string' },
      'no-master-data': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { help: true as const };

  const machines = positiveInt('machines', values.machines);
  const lines = positiveInt('lines', values.lines);
  if (lines > 99) throw new UsageError('--lines must be at most 99');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(values.seed))
    throw new UsageError('--seed must match [A-Za-z0-9._-]{1,64}');
  const from = parseInstant(values.from, now);
  if (from === null) throw new UsageError('--from must be an RFC 3339 time or like -7d');
  if (values.live && values.to !== undefined && values.to !== 'now')
    throw new UsageError('--to does not go with --live');
  const to = parseInstant(values.to ?? 'now', now);
  if (to === null) throw new UsageError('--to must be an RFC 3339 time or "now"');
  if (to > now) throw new UsageError('--to lies in the future: nothing is known about it yet');
  if (from >= to) throw new UsageError('--from must be before --to');
  let speed: number | undefined;
  if (values.speed !== undefined) {
    speed = Number(values.speed);
    if (!Number.isFinite(speed) || speed <= 0) throw new UsageError('--speed must be a positive number');
  }
  const sensorIntervalMs = duration('sensor-interval', values['sensor-interval']);
  if (sensorIntervalMs < 1000) throw new UsageError('--sensor-interval must be at least 1s');

  const keysFile = values['keys-file'] ?? env.TAKT_KEYS_FILE;
  const fallback = values['api-key'] ?? env.TAKT_API_KEY;
  const adminKey = values['admin-key'] ?? env.TAKT_ADMIN_KEY ?? keyFromFile(keysFile, 'admin') ?? fallback;
  const ingestKey =
    values['ingest-key'] ?? env.TAKT_INGEST_KEY ?? keyFromFile(keysFile, 'ingest') ?? fallback;
  const masterData = !values['no-master-data'];
  if (!ingestKey)
    throw new UsageError('an ingest key is needed: --ingest-key, --api-key, --keys-file or TAKT_INGEST_KEY');
  if (masterData && !adminKey)
    throw new UsageError('master data needs an admin key: --admin-key (or --no-master-data)');

  return {
    help: false as const,
    machines,
    lines,
    seed: values.seed,
    from,
    to,
    live: values.live,
    speed,
    sensorIntervalMs,
    tickMs: duration('tick', values.tick),
    chunkMs: duration('chunk', values.chunk),
    concurrency: positiveInt('concurrency', values.concurrency),
    url: values.url ?? env.TAKT_INGEST_URL ?? 'http://127.0.0.1:3001',
    adminKey,
    ingestKey,
    masterData,
    quiet: values.quiet,
  };
}

export type CliOptions = Exclude<ReturnType<typeof parseCli>, { help: true }>;
