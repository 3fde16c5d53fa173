import type { FactKind } from './model.js';
import type { RunProgress } from './run.js';

/** Progress on stderr: one line rewritten in place on a terminal, a line every few seconds in a log file. */

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  quiet: boolean;
  retries: () => number;
  /** Between lines when stderr is not a terminal; a live run logs at a sixth of that rate. */
  logEveryMs?: number;
}

const SHORT: Record<FactKind, string> = {
  shifts: 'shift',
  states: 'state',
  production: 'prod',
  maintenance: 'maint',
  sensors: 'sensor',
};

export const compact = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(n);

export function formatProgress(p: RunProgress, retries: number): string {
  const sim = new Date(p.simTime).toISOString().slice(0, 16).replace('T', ' ');
  const share =
    p.to !== undefined && p.to > p.from
      ? ` ${Math.min(100, Math.floor((100 * (p.simTime - p.from)) / (p.to - p.from)))}%`
      : '';
  const kinds = (Object.keys(SHORT) as FactKind[])
    .map((k) => `${SHORT[k]} ${compact(p.posted.records[k])}`)
    .join(' ');
  const total = Object.values(p.posted.records).reduce((a, b) => a + b, 0);
  const rate = p.elapsedMs > 0 ? Math.round((total * 1000) / p.elapsedMs) : 0;
  const { created, replayed } = p.posted.batches;
  return `${p.phase} ${sim}Z${share} | ${kinds} | batches ${created + replayed} (${replayed} replayed, ${p.posted.inFlight} in flight) | retries ${retries} | ${compact(rate)} rec/s`;
}

export function createProgress(opts: ProgressOptions): { update(p: RunProgress): void; end(): void } {
  const tty = opts.stream.isTTY === true;
  const every = opts.logEveryMs ?? 10_000;
  let last = 0;
  let drawn = false;
  let latest: RunProgress | undefined;
  return {
    update(p) {
      latest = p;
      if (opts.quiet) return;
      const t = Date.now();
      if (tty) {
        if (t - last < 200 && p.phase !== 'done') return;
        opts.stream.write(
          `\r\x1b[2K${formatProgress(p, opts.retries()).slice(0, (opts.stream.columns ?? 200) - 1)}`,
        );
        drawn = true;
      } else {
        // A live run goes on for days: its log should not grow by a line every few seconds.
        if (t - last < (p.phase === 'live' ? 6 * every : every) && p.phase !== 'done') return;
        opts.stream.write(`${formatProgress(p, opts.retries())}\n`);
      }
      last = t;
    },
    end() {
      if (opts.quiet) return;
      if (tty && drawn)
        opts.stream.write(latest ? `\r\x1b[2K${formatProgress(latest, opts.retries())}\n` : '\n');
    },
  };
}
