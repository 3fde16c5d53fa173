import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestHarness, seedPlant, startIngest, type TestTenant } from './harness.js';

// The accepted time range and partition maintenance (docs/time-range.md), against a real database.
const DAY = 86_400_000;
let now = Date.now();
let h: IngestHarness;
let t: TestTenant;

/** Runs SQL as the schema owner, as pg_partman's background worker does. */
async function asOwner<T = Record<string, unknown>>(text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: h.db.urlFor('takt_owner') });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}
const maintain = () => asOwner("SELECT partman.run_maintenance('public.fact_sensor_reading')");

beforeAll(async () => {
  h = await startIngest({ clock: () => now });
  t = await h.tenant();
  await seedPlant(h, t);
  // As in the real database, the owner owns the database (and so may create partitions in public).
  await h.sql(`ALTER DATABASE "${h.db.name}" OWNER TO takt_owner`);
  // The template may be older than today: bring its partitions up to date, as the worker would.
  await maintain();
  now = Date.now();
});
afterAll(() => h?.close());

const iso = (ms: number) => new Date(ms).toISOString();
const post = (url: string, payload: unknown) =>
  h.app.inject({ method: 'POST', url, headers: t.auth('ingest'), payload: payload as object });

/** A valid record of each batch endpoint, with `at` in every time field; `fields` names them. */
const ENDPOINTS = {
  '/v1/sensor-batches': {
    fields: ['ts'],
    record: (at: string) => ({ equipmentCode: 'press-01', tag: 'temp', ts: at, value: 1 }),
  },
  '/v1/production-counts': {
    fields: ['start', 'end'],
    record: (at: string, end = at) => ({
      equipmentCode: 'press-01',
      productCode: 'bracket',
      start: at,
      end,
      total: 1,
      good: 1,
    }),
  },
  '/v1/state-events': {
    fields: ['start', 'end'],
    record: (at: string, end = at) => ({
      id: randomUUID(),
      equipmentCode: 'press-02',
      state: 'running',
      start: at,
      end,
    }),
  },
  '/v1/shifts': {
    fields: ['start', 'end'],
    record: (at: string, end = at) => ({
      id: randomUUID(),
      equipmentCode: 'press-01',
      name: 'A',
      start: at,
      end,
    }),
  },
  '/v1/maintenance-events': {
    fields: ['start', 'end'],
    record: (at: string, end = at) => ({
      id: randomUUID(),
      equipmentCode: 'press-01',
      kind: 'preventive',
      start: at,
      end,
    }),
  },
} as const;

/** The API path that writes each partitioned table: every one must be listed here. */
const PARTITIONED = { fact_sensor_reading: '/v1/sensor-batches' } as const;

const HOSTILE = () => [
  '9999-12-31T23:59:59Z',
  '0001-01-01T00:00:01Z',
  '1969-12-31T23:59:59Z',
  '2106-01-01T00:00:00Z',
  iso(now + 7 * DAY + 1),
  iso(now + 30 * DAY),
  iso(now - 400 * DAY - 1),
];

const batches = async () =>
  Number((await h.sql<{ n: string }>('SELECT count(*) AS n FROM ingest_batch'))[0]?.n);

describe('accepted time range', () => {
  for (const [path, e] of Object.entries(ENDPOINTS)) {
    for (const field of e.fields) {
      it(`${path}: ${field} outside now - 400 days .. now + 7 days is a 400 naming it, and nothing is written`, async () => {
        const before = await batches();
        const ok = iso(now - DAY);
        const okEnd = iso(now - DAY + 3_600_000);
        // An interval keeps end after start, so both of its ends are out, except a future end alone.
        const cases: object[] = HOSTILE().map((bad) => {
          const at = Date.parse(bad);
          if (field === 'ts') return e.record(bad);
          return field === 'start' ? e.record(bad, iso(at + 500)) : e.record(iso(at - 500), bad);
        });
        if (field === 'end') cases.push(e.record(ok, iso(now + 8 * DAY)));
        for (const broken of cases) {
          const res = await post(path, { batchId: randomUUID(), records: [e.record(ok, okEnd), broken] });
          expect(res.statusCode, `${JSON.stringify(broken)}: ${res.body}`).toBe(400);
          expect(res.headers['content-type']).toContain('application/problem+json');
          const body = res.json() as { code: string; errors: { pointer: string; detail: string }[] };
          expect(body.code).toBe('TAKT_VALIDATION');
          const mine = body.errors.find((x) => x.pointer === `/records/1/${field}`);
          expect(mine?.detail, res.body).toMatch(/between now - 400 days and now \+ 7 days/);
        }
        expect(await batches()).toBe(before);
      });
    }
  }

  it('accepts both ends of the range, and the readings land in daily partitions', async () => {
    const edges = [now - 400 * DAY, now + 7 * DAY];
    const batchId = randomUUID();
    const res = await post('/v1/sensor-batches', {
      batchId,
      records: edges.map((at) => ENDPOINTS['/v1/sensor-batches'].record(iso(at))),
    });
    expect(res.statusCode, res.body).toBe(201);
    const rows = await h.sql<{ part: string }>(
      'SELECT tableoid::regclass::text AS part FROM fact_sensor_reading WHERE batch_id = $1',
      [batchId],
    );
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r.part).toMatch(/^fact_sensor_reading_p\d{4}_\d{2}_\d{2}$/);
  });
});

describe('partitioned tables', () => {
  it('every partitioned table has an API path, and hostile times leave its default partition empty', async () => {
    const tables = await h.sql<{ name: string; fallback: string | null }>(
      `SELECT r.relname AS name,
              (SELECT c.oid::regclass::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = r.oid AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT') AS fallback
         FROM pg_partitioned_table p JOIN pg_class r ON r.oid = p.partrelid
        WHERE NOT r.relispartition AND r.relnamespace = 'public'::regnamespace`,
    );
    expect(tables.map((x) => x.name).sort()).toEqual(Object.keys(PARTITIONED).sort());
    for (const { name, fallback } of tables) {
      const path = PARTITIONED[name as keyof typeof PARTITIONED];
      const e = ENDPOINTS[path];
      for (const bad of HOSTILE()) {
        const res = await post(path, { batchId: randomUUID(), records: [e.record(bad)] });
        expect(res.statusCode, res.body).toBe(400);
      }
      expect(fallback).not.toBeNull();
      expect(Number((await h.sql<{ n: string }>(`SELECT count(*) AS n FROM ${fallback}`))[0]?.n)).toBe(0);
    }
  });
});

const scrape = async () => (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
const metric = (text: string, name: string) => {
  const m = new RegExp(`^${name}\\{[^}]*table="fact_sensor_reading"[^}]*\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
};

describe('partition maintenance', () => {
  it('still makes partitions, with full before images, after hostile times were posted', async () => {
    for (const bad of HOSTILE())
      await post('/v1/sensor-batches', {
        batchId: randomUUID(),
        records: [ENDPOINTS['/v1/sensor-batches'].record(bad)],
      });
    const before = metric(await scrape(), 'takt_partition_premade_days');
    expect(before).toBeGreaterThan(13);
    await h.sql(
      "UPDATE partman.part_config SET premake = 20 WHERE parent_table = 'public.fact_sensor_reading'",
    );
    await maintain();
    const text = await scrape();
    expect(metric(text, 'takt_partition_premade_days')).toBeGreaterThan(19);
    expect(metric(text, 'takt_partition_default_rows')).toBe(0);
    expect(metric(text, 'takt_partition_replica_identity_missing')).toBe(0);
    expect(metric(text, 'takt_partition_oldest_days')).toBeGreaterThanOrEqual(400);
    expect(text).toMatch(/^takt_partition_check_up\{[^}]*\} 1$/m);
    const lacking = await h.sql(
      "SELECT relname FROM pg_class WHERE relispartition AND relkind = 'r' AND relreplident <> 'f'",
    );
    expect(lacking).toEqual([]);
  });

  it('a row put into the default partition by SQL shows in the metrics while it stops maintenance', async () => {
    const [{ end }] = (await h.sql<{ end: Date }>(
      'SELECT newest_end AS end FROM takt_partition_health()',
    )) as [{ end: Date }];
    const eq = await h.sql<{ id: string }>(
      "SELECT id FROM dim_equipment WHERE code = 'press-01' AND tenant_id = $1",
      [t.id],
    );
    // As the superuser, past the newest partition: the API could never have written it.
    await h.sql(
      "INSERT INTO fact_sensor_reading (tenant_id, equipment_id, tag, ts, value, batch_id) VALUES ($1, $2, 'x', $3, 1, gen_random_uuid())",
      [t.id, eq[0]!.id, new Date(end.getTime() + 3_600_000)],
    );
    await h.sql(
      "UPDATE partman.part_config SET premake = premake + 2 WHERE parent_table = 'public.fact_sensor_reading'",
    );
    await expect(maintain()).rejects.toThrow(/default partition/);
    const text = await scrape();
    expect(metric(text, 'takt_partition_default_rows')).toBe(1);
    expect(metric(text, 'takt_partition_premade_days')).toBeLessThan((end.getTime() - now) / DAY + 0.01);
    // Moving the row out lets maintenance catch up.
    await h.sql("DELETE FROM fact_sensor_reading WHERE tag = 'x'");
    await maintain();
    const after = await scrape();
    expect(metric(after, 'takt_partition_default_rows')).toBe(0);
    expect(metric(after, 'takt_partition_premade_days')).toBeGreaterThan((end.getTime() - now) / DAY + 1);
  });
});
