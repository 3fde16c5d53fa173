import { setTimeout as delay } from 'node:timers/promises';
import { isRetryLater, retryAfterMs } from '@takt/http';
import fc from 'fast-check';
import { type FuzzRequest, mutations, type Operation, operationName, type Seed } from './fuzz.js';

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

export interface FuzzTarget {
  op: Operation;
  seed: () => Seed;
  /** Authorization and anything else every request of the target carries. */
  headers: Record<string, string>;
}

/** A finding: the first example of each distinct (operation, mutation, status) that broke a rule. */
export interface Finding {
  operation: string;
  mutation: string;
  status: number;
  rule: string;
  request: string;
  response: string;
}

export interface FuzzReport {
  cases: Map<string, number>;
  statuses: Map<string, Map<number, number>>;
  findings: Finding[];
  ms: number;
  /** Of `ms`: waiting for answers, and in `check`. */
  sendMs: number;
  checkMs: number;
  /** fast-check's seed: FUZZ_SEED replays the run. */
  seed: number;
}

export interface FuzzOptions {
  runs: number;
  seed?: number;
  send: (req: FuzzRequest) => Promise<FuzzResponse>;
  /** Called after each case; returns a broken rule (e.g. "a rejected batch wrote rows"), if any. */
  check?: (req: FuzzRequest, res: FuzzResponse) => Promise<string | undefined>;
  /** Cases in flight at once, for targets without a `check`. */
  parallel?: number;
  /** Stop starting new chunks after this long (FUZZ_BUDGET_S); the report says how far it got. */
  budgetMs?: number;
}

const excerpt = (s: string | Buffer | undefined, n = 240): string => {
  const t = s === undefined ? '' : Buffer.isBuffer(s) ? `<${s.length} bytes>` : s;
  return t.length > n ? `${JSON.stringify(t.slice(0, n))}… (${t.length} chars)` : JSON.stringify(t);
};

/** 429 and 503 with Retry-After are waited out and sent again, as any client should. */
async function sendPolitely(opts: FuzzOptions, req: FuzzRequest): Promise<FuzzResponse> {
  for (let attempt = 1; ; attempt++) {
    const res = await opts.send(req);
    const wait = retryAfterMs(String(res.headers['retry-after'] ?? ''));
    if (!isRetryLater(res.status) || wait === undefined || attempt >= 3) return res;
    await delay(Math.min(wait, 10_000));
  }
}

const CHUNK = 50;

interface TargetState {
  index: number;
  target: FuzzTarget;
  name: string;
  arb: fc.Arbitrary<FuzzRequest>;
  done: number;
  statuses: Map<number, number>;
}

/** One case: send, check, count, and keep the first example of each broken rule. */
async function runCase(
  s: TargetState,
  req: FuzzRequest,
  opts: FuzzOptions,
  report: FuzzReport,
  seen: Set<string>,
): Promise<void> {
  const sent = { ...req, headers: { ...s.target.headers, ...req.headers } };
  const t0 = performance.now();
  const res = await sendPolitely(opts, sent);
  const t1 = performance.now();
  const broken = await opts.check?.(sent, res);
  report.sendMs += t1 - t0;
  report.checkMs += performance.now() - t1;
  s.statuses.set(res.status, (s.statuses.get(res.status) ?? 0) + 1);
  const rules = [
    res.status >= 500 ? 'no 5xx' : undefined,
    res.status >= 400 && !String(res.headers['content-type']).includes('application/problem+json')
      ? 'errors are problem+json'
      : undefined,
    broken,
  ].filter((r): r is string => r !== undefined);
  for (const rule of rules) {
    const key = `${s.name}|${req.mutation}|${res.status}|${rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    report.findings.push({
      operation: s.name,
      mutation: req.mutation,
      status: res.status,
      rule,
      request: `${req.method} ${excerpt(req.url, 200)} ${JSON.stringify(req.headers)} body ${excerpt(req.payload)}`,
      response: excerpt(res.body),
    });
  }
}

/**
 * Runs `runs` cases per target, a chunk of each in turn so hostile bodies never pile up in
 * memory and a time budget (`budgetMs`) still covers every operation evenly. Without a
 * `check`, `parallel` cases are in flight at once.
 */
export async function runFuzz(targets: readonly FuzzTarget[], opts: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const seed = opts.seed ?? (Number(process.env.FUZZ_SEED) || Date.now() % 1_000_000);
  const report: FuzzReport = {
    cases: new Map(),
    statuses: new Map(),
    findings: [],
    ms: 0,
    sendMs: 0,
    checkMs: 0,
    seed,
  };
  const seen = new Set<string>();
  const parallel = opts.check ? 1 : (opts.parallel ?? 1);
  const states: TargetState[] = targets.map((target, index) => {
    const name = operationName(target.op);
    const statuses = new Map<number, number>();
    report.statuses.set(name, statuses);
    report.cases.set(name, 0);
    return { index, target, name, arb: mutations(target.op, target.seed), done: 0, statuses };
  });
  const deadline = started + (opts.budgetMs ?? Number.POSITIVE_INFINITY);
  while (states.some((s) => s.done < opts.runs) && performance.now() < deadline) {
    for (const s of states.filter((x) => x.done < opts.runs)) {
      const n = Math.min(CHUNK, opts.runs - s.done);
      const reqs = fc.sample(s.arb, { numRuns: n, seed: seed + s.index * 1_000_003 + s.done });
      for (let i = 0; i < reqs.length; i += parallel) {
        await Promise.all(reqs.slice(i, i + parallel).map((req) => runCase(s, req, opts, report, seen)));
      }
      s.done += n;
      report.cases.set(s.name, s.done);
    }
  }
  report.ms = performance.now() - started;
  return report;
}

/** Cases per operation and answers by status, then each finding with its example. */
export function formatReport(service: string, r: FuzzReport): string {
  const lines = [
    `fuzz ${service}: ${[...r.cases.values()].reduce((a, b) => a + b, 0)} cases in ${(r.ms / 1000).toFixed(1)} s` +
      ` (answers ${(r.sendMs / 1000).toFixed(1)} s, checks ${(r.checkMs / 1000).toFixed(1)} s), FUZZ_SEED=${r.seed}`,
  ];
  const total = new Map<number, number>();
  for (const [name, n] of r.cases) {
    const st = r.statuses.get(name) ?? new Map<number, number>();
    for (const [s, c] of st) total.set(s, (total.get(s) ?? 0) + c);
    const by = [...st]
      .sort(([a], [b]) => a - b)
      .map(([s, c]) => `${s}:${c}`)
      .join(' ');
    lines.push(`  ${name.padEnd(48)} ${String(n).padStart(6)} cases  ${by}`);
  }
  lines.push(
    `  by status: ${[...total]
      .sort(([a], [b]) => a - b)
      .map(([s, c]) => `${s}:${c}`)
      .join(' ')}`,
  );
  lines.push(`  findings: ${r.findings.length}`);
  for (const f of r.findings) {
    lines.push(
      `  - [${f.rule}] ${f.operation} ${f.mutation} -> ${f.status}`,
      `      request  ${f.request}`,
      `      response ${f.response}`,
    );
  }
  return lines.join('\n');
}

interface Injectable {
  inject(opts: {
    method: string;
    url: string;
    headers: Record<string, string>;
    payload?: string | Buffer;
  }): PromiseLike<{ statusCode: number; headers: FuzzResponse['headers']; body: string }>;
}

/** `send` for an app under test: fastify's inject runs the whole frame without a socket. */
export const injector =
  (app: Injectable) =>
  async (req: FuzzRequest): Promise<FuzzResponse> => {
    const res = await app.inject({
      method: req.method,
      url: req.url,
      headers: req.headers,
      ...(req.payload !== undefined ? { payload: req.payload } : {}),
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  };

/** FUZZ_BUDGET_S in ms, if set: a wall-clock cap for machines too busy for the full count. */
export const fuzzBudgetMs = (): number | undefined => {
  const s = Number(process.env.FUZZ_BUDGET_S);
  return Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
};

/** How many cases per operation: a few hundred in the suite, FUZZ_RUNS for `pnpm fuzz`. */
export const fuzzRuns = (fallback = 200): number => {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

/**
 * The fuzzer's own servers run without rate limits and load shedding: thousands of requests a
 * second from one key is the point, and a 429 or 503 would hide the answer under test.
 */
export const FUZZ_HTTP_LIMITS = {
  rateLimit: { perIp: 0, perKey: 0 },
  pressure: { maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0 },
};
