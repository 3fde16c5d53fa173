import { connect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createClickHouse } from '@takt/clickhouse';
import { createLogger } from '@takt/log';
import { stack, waitFor } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../ingest/test/harness.js';
import { expectedBuckets } from './expected.js';
import { type Pipeline, startPipeline, storedBuckets } from './harness.js';
import { DAY, factSteps, seedMasterData } from './scenario.js';

const WHOLE = { start: DAY - 86_400_000, end: DAY + 2 * 86_400_000 };

/** A TCP hop in front of ClickHouse that can be cut and restored: an outage without touching the server. */
function clickhouseProxy(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      if (server?.listening) return resolve();
      server = createServer((client) => {
        const upstream = connect(Number(target.port), target.hostname);
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop).pipe(upstream);
        upstream.on('error', drop).on('close', drop).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      server?.close(() => resolve());
    });
  return { up, down, url: () => `http://127.0.0.1:${port}` };
}

// A ClickHouse outage pauses consumption with backoff and says so, and nothing is lost: after the
// outage the buckets are exactly the domain's, which needs every event that arrived during it.
describe('projector: ClickHouse outage', () => {
  let p: Pipeline;
  let t: TestTenant;
  const proxy = clickhouseProxy(new URL(stack().clickhouseUrl));
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });

  beforeAll(async () => {
    p = await startPipeline();
    t = await p.ingest.tenant();
    await proxy.up();
    const s = stack();
    const ch = createClickHouse({
      url: proxy.url(),
      username: s.clickhouseUser,
      password: s.clickhousePassword,
      database: p.chDb.name,
    });
    await p.startProjector(
      { retry: { minMs: 200, maxMs: 1_000 } },
      { ch, logger: createLogger({ service: 'projector', level: 'info', destination: sink }) },
    );
  });
  afterAll(async () => {
    await proxy.up().catch(() => undefined);
    await p?.close();
    await proxy.down();
  });

  it('pauses, logs, and catches up without losing an event', async () => {
    await seedMasterData(p.ingest, t);
    const steps = factSteps(p.ingest, t);
    const half = Math.floor(steps.length / 2);
    for (const step of steps.slice(0, half)) await step();
    await waitFor(async () => (await storedBuckets(p.ch, t.id)).length > 0, {
      timeoutMs: 30_000,
      what: 'first buckets',
    });

    await proxy.down();
    for (const step of steps.slice(half)) await step();
    await waitFor(() => lines.some((l) => l.includes('consumption paused')), {
      timeoutMs: 30_000,
      what: 'the pause log line',
    });
    // While ClickHouse is away the mirror group has not committed past what it could not write.
    const admin = p.kafka.admin();
    await admin.connect();
    try {
      const topic = `${p.prefix}.public.fact_equipment_state`;
      const [committed] = await admin.fetchOffsets({ groupId: p.settings.mirrorGroup, topics: [topic] });
      const ends = await admin.fetchTopicOffsets(topic);
      const behind = committed!.partitions.some(
        (c) =>
          BigInt(c.offset === '-1' ? '0' : c.offset) <
          BigInt(ends.find((e) => e.partition === c.partition)!.high),
      );
      expect(behind).toBe(true);
    } finally {
      await admin.disconnect();
    }

    await proxy.up();
    let last: unknown;
    const ok = await waitFor(
      async () => {
        const expected = await expectedBuckets(p.ingest, t.id, WHOLE, Date.now());
        const stored = await storedBuckets(p.ch, t.id);
        last = { stored, expected };
        return JSON.stringify(stored) === JSON.stringify(expected);
      },
      { timeoutMs: 45_000, intervalMs: 500, what: 'buckets after the outage' },
    ).catch(() => false);
    expect(ok ? 'equal' : last).toBe('equal');
    expect(lines.some((l) => l.includes('consumption resumed'))).toBe(true);
  });
});
