import { setTimeout as delay } from 'node:timers/promises';
import { isRetryLater, retryAfterMs } from '@takt/http';
import type { Batch } from './batches.js';
import type { FactKind } from './model.js';
import type { Plant } from './plant.js';

/** The ingest API over Node's fetch: master data PUTs, fact batches, retries with backoff. */

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 250, maxDelayMs: 15_000 };

export interface IngestClientOptions {
  baseUrl: string;
  adminKey?: string;
  ingestKey: string;
  retry?: RetryPolicy;
  requestTimeoutMs?: number;
  fetch?: FetchLike;
  /** Called before each retry: the progress display counts them. */
  onRetry?: (info: { what: string; attempt: number; delayMs: number; reason: string }) => void;
}

/**
 * A response the simulator cannot fix by retrying: a 4xx means the simulator sent something
 * the contract rejects, which is a bug to report with the server's problem+json, not to repeat.
 */
export class IngestRejected extends Error {
  readonly retriable = false;
  constructor(
    readonly what: string,
    readonly status: number,
    readonly problem: unknown,
  ) {
    super(
      `${what} answered ${status}: ${typeof problem === 'string' ? problem : JSON.stringify(problem, null, 2)}`,
    );
    this.name = 'IngestRejected';
  }
}

/** Retries ran out on network errors, 5xx or 429. */
export class IngestUnavailable extends Error {
  readonly retriable = true;
  constructor(
    readonly what: string,
    readonly attempts: number,
    readonly lastReason: string,
  ) {
    super(`${what} failed after ${attempts} attempts: ${lastReason}`);
    this.name = 'IngestUnavailable';
  }
}

/** Full jitter (AWS architecture blog): spreads retries of many batches instead of synchronising them. */
export const backoffMs = (policy: RetryPolicy, attempt: number, random: () => number = Math.random): number =>
  Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));

export interface BatchAnswer {
  status: 200 | 201;
  accepted: number;
}

export class IngestClient {
  private readonly base: string;
  private readonly retry: RetryPolicy;
  private readonly fetch: FetchLike;

  constructor(private readonly opts: IngestClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.fetch = opts.fetch ?? ((url, init) => fetch(url, init));
  }

  /** Upserts the plant's master data in dependency order; PUT by code is idempotent, so a re-run changes nothing. */
  async putMasterData(plant: Plant, concurrency = 4): Promise<void> {
    const key = this.opts.adminKey;
    if (!key) throw new Error('master data needs an admin key');
    const phases: { path: string; body: object }[][] = [
      plant.sites.map((s) => ({ path: `/v1/sites/${s.code}`, body: { name: s.name, timeZone: s.timeZone } })),
      plant.lines.map((l) => ({ path: `/v1/lines/${l.code}`, body: { name: l.name, siteCode: l.siteCode } })),
      plant.equipment.map((e) => ({
        path: `/v1/equipment/${e.code}`,
        body: { name: e.name, lineCode: e.lineCode, attributes: e.attributes },
      })),
      [
        ...plant.products.map((p) => ({
          path: `/v1/products/${p.code}`,
          body: { name: p.name, idealCycleTimeS: p.idealCycleTimeS },
        })),
        ...plant.reasons.map((r) => ({
          path: `/v1/downtime-reasons/${r.code}`,
          body: { name: r.name, planned: r.planned },
        })),
      ],
    ];
    for (const phase of phases) {
      const queue = [...phase];
      const worker = async () => {
        for (let item = queue.shift(); item; item = queue.shift()) {
          await this.send('PUT', item.path, item.body, key, [200, 201]);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    }
  }

  async postBatch(batch: Batch): Promise<BatchAnswer> {
    const { status, body } = await this.send(
      'POST',
      batch.path,
      { batchId: batch.batchId, records: batch.records },
      this.opts.ingestKey,
      [200, 201],
    );
    const accepted = (body as { accepted?: unknown } | undefined)?.accepted;
    return {
      status: status as 200 | 201,
      accepted: typeof accepted === 'number' ? accepted : batch.records.length,
    };
  }

  private async send(
    method: string,
    path: string,
    body: object,
    key: string,
    ok: readonly number[],
  ): Promise<{ status: number; body: unknown }> {
    const what = `${method} ${path}${'batchId' in body ? ` (batch ${String(body.batchId)})` : ''}`;
    const payload = JSON.stringify(body);
    let reason = '';
    for (let attempt = 1; ; attempt++) {
      let wait: number | undefined;
      try {
        const res = await this.fetch(`${this.base}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: payload,
          signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 60_000),
        });
        const text = await res.text();
        const parsed = parseJson(text);
        if (ok.includes(res.status)) return { status: res.status, body: parsed };
        if (res.status < 500 && res.status !== 429) throw new IngestRejected(what, res.status, parsed);
        reason = `HTTP ${res.status}`;
        // Rate limits (429) and load shedding (503) say when to come back: docs/http.md.
        if (isRetryLater(res.status)) wait = retryAfterMs(res.headers.get('retry-after'));
      } catch (err) {
        if (err instanceof IngestRejected) throw err;
        // fetch rejects only for network failures and our timeout: the request may or may not have
        // been applied, and the batch id makes the retry safe either way.
        reason = err instanceof Error ? `${err.name}: ${causeOf(err)}` : String(err);
      }
      if (attempt >= this.retry.maxAttempts) throw new IngestUnavailable(what, attempt, reason);
      const delayMs = Math.max(wait ?? 0, backoffMs(this.retry, attempt));
      this.opts.onRetry?.({ what, attempt, delayMs, reason });
      await delay(delayMs);
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

const causeOf = (err: Error): string => {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
};

export interface DispatchStats {
  records: Record<FactKind, number>;
  batches: { created: number; replayed: number };
  inFlight: number;
}

/**
 * Bounded concurrency over batches, with lanes: a lane's batches run strictly one after
 * another (the state stream of one equipment must arrive in order), different lanes and
 * unlaned batches share the concurrency limit. The first failure stops everything not yet sent.
 */
export class Dispatcher {
  readonly stats: DispatchStats = {
    records: { shifts: 0, states: 0, production: 0, maintenance: 0, sensors: 0 },
    batches: { created: 0, replayed: 0 },
    inFlight: 0,
  };
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  private readonly settled: (() => void)[] = [];
  failure: Error | undefined;

  constructor(
    private readonly post: (batch: Batch) => Promise<BatchAnswer>,
    private readonly concurrency: number,
  ) {}

  /** Batches submitted and not yet answered. */
  get backlog(): number {
    return this.pending.size;
  }

  submit(batch: Batch): void {
    const after = (batch.lane && this.lanes.get(batch.lane)) || Promise.resolve();
    const job = after.then(() => this.run(batch));
    if (batch.lane) this.lanes.set(batch.lane, job);
    this.pending.add(job);
    void job.finally(() => {
      this.pending.delete(job);
      if (batch.lane && this.lanes.get(batch.lane) === job) this.lanes.delete(batch.lane);
      for (const wake of this.settled.splice(0)) wake();
    });
  }

  /** Resolves once fewer than `limit` batches are pending (or something failed): the generator's back-pressure. */
  async waitBelow(limit: number): Promise<void> {
    while (this.pending.size >= limit && !this.failure) {
      await new Promise<void>((resolve) => this.settled.push(resolve));
    }
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async run(batch: Batch): Promise<void> {
    if (this.failure) return;
    await this.acquire();
    try {
      if (this.failure) return;
      this.stats.inFlight++;
      const answer = await this.post(batch).finally(() => this.stats.inFlight--);
      this.stats.records[batch.kind] += batch.records.length;
      if (answer.status === 201) this.stats.batches.created++;
      else this.stats.batches.replayed++;
    } catch (err) {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
    } finally {
      this.release();
    }
  }

  private async acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
