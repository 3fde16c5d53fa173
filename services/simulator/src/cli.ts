import { parseCli, USAGE } from './args.js';
import { IngestClient, IngestRejected } from './client.js';
import { Simulator } from './model.js';
import { buildPlant } from './plant.js';
import { createProgress } from './progress.js';
import { run } from './run.js';

async function main(): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli(process.argv.slice(2), process.env, Date.now());
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return 2;
  }
  if (cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  let retries = 0;
  const client = new IngestClient({
    baseUrl: cli.url,
    ingestKey: cli.ingestKey,
    ...(cli.adminKey ? { adminKey: cli.adminKey } : {}),
    onRetry: () => {
      retries++;
    },
  });
  const plant = buildPlant({ machines: cli.machines, lines: cli.lines, seed: cli.seed });
  const simulator = new Simulator({ plant, seed: cli.seed, sensorIntervalMs: cli.sensorIntervalMs });
  const progress = createProgress({ stream: process.stderr, quiet: cli.quiet, retries: () => retries });

  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(1);
    // First signal: finish the batches in flight so nothing is half-known; a second one exits at once.
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const summary = await run({
      simulator,
      target: client,
      masterData: cli.masterData,
      from: cli.from,
      to: cli.to,
      live: cli.live,
      ...(cli.speed ? { speed: cli.speed } : {}),
      chunkMs: cli.chunkMs,
      tickMs: cli.tickMs,
      concurrency: cli.concurrency,
      signal: stop.signal,
      onProgress: (p) => progress.update(p),
    });
    progress.end();
    process.stdout.write(`${JSON.stringify({ ...summary, retries })}\n`);
    return 0;
  } catch (err) {
    progress.end();
    if (err instanceof IngestRejected) {
      process.stderr.write(
        `the ingest service rejected a request; this is a bug in the simulator or the service:\n${err.message}\n`,
      );
    } else {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    }
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
