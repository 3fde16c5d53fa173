import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createTestDatabase, pgUrl, type TestDatabase, withAdmin } from '@takt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineSplitter } from '../schema-engine/protocol.mjs';
import { WASM_ENGINE_ENTRY } from '../schema-engine/select.mjs';
import { ensureTemplateDatabase, TEMPLATE_DATABASE } from '../src/template.js';

const require = createRequire(import.meta.url);

function runOnce(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(WASM_ENGINE_ENTRY, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

type Message = {
  id?: number | string;
  method?: string;
  params?: { content?: string };
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown };
};

/** Talks to the engine like the CLI does: one JSON message per line each way. */
class EngineSession {
  readonly messages: Message[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private waiters: Array<() => void> = [];
  private nextId = 1;
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(WASM_ENGINE_ENTRY, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const split = lineSplitter((line) => {
      this.messages.push(JSON.parse(line));
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stdout.setEncoding('utf8').on('data', (c: string) => split.push(c));
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
  }

  async call(method: string, params?: unknown): Promise<Message> {
    const id = this.nextId++;
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    for (;;) {
      const reply = this.messages.find(
        (m) => m.id === id && (m.result !== undefined || m.error !== undefined),
      );
      if (reply) return reply;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }
}

// Prisma 7 schemas carry no url: the engine reaches the database through the adapter.
const schemaFile = {
  path: 'schema.prisma',
  content:
    'datasource db {\n  provider = "postgresql"\n}\n\nmodel Probe {\n  id Int @id\n  @@map("probe")\n}\n',
};

describe('schema engine adapter process', () => {
  let db: TestDatabase;
  let url: string;

  beforeAll(async () => {
    await ensureTemplateDatabase({ adminUrl: pgUrl('postgres') });
    db = await createTestDatabase({
      prefix: 'takt_db_engine',
      template: TEMPLATE_DATABASE,
      owner: 'takt_owner',
    });
    url = db.urlFor('takt_owner');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('reports the engine commit the CLI expects', async () => {
    const run = await runOnce(['--version']);
    expect(run.code).toBe(0);
    const { enginesVersion } = require(
      require.resolve('@prisma/engines-version', { paths: [require.resolve('prisma/package.json')] }),
    ) as { enginesVersion: string };
    expect(run.stdout).toBe(`schema-engine-cli ${enginesVersion.split('.').pop()?.split('-').pop()}\n`);
  });

  it('answers can-connect-to-database, with P1003 for a missing database', async () => {
    const ok = await runOnce(['--datasource', JSON.stringify({ url }), 'cli', 'can-connect-to-database']);
    expect(ok.code, ok.stderr).toBe(0);
    const missing = await runOnce([
      '--datasource',
      JSON.stringify({ url: `${url}_missing` }),
      'cli',
      'can-connect-to-database',
    ]);
    expect(missing.code).toBe(1);
    const records = missing.stderr
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l));
    expect(records.at(-1)).toMatchObject({
      level: 'ERROR',
      target: 'schema_engine::logger',
      fields: { error_code: 'P1003' },
    });
  });

  it('serves JSON-RPC over stdio against a real database', async () => {
    const engine = new EngineSession(['--datasource', JSON.stringify({ url })]);
    try {
      const version = await engine.call('getDatabaseVersion');
      expect(version.result).toMatch(/^PostgreSQL \d+/);

      const unknown = await engine.call('noSuchMethod', {});
      expect(unknown.error?.code).toBe(-32601);

      // A dollar-quoted body full of semicolons, and an EXCLUDE constraint whose contype is a
      // "char" the describer must read as a char.
      const script = `
        CREATE TABLE shift (line text NOT NULL, during tstzrange NOT NULL,
          CONSTRAINT shift_no_overlap EXCLUDE USING gist (line WITH =, during WITH &&));
        CREATE FUNCTION shift_touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.line := lower(NEW.line); RETURN NEW; END $$;`;
      const exec = await engine.call('dbExecute', { datasourceType: { tag: 'url', url }, script });
      expect(exec.error).toBeUndefined();
      const made = await withAdmin(db.name, (c) =>
        c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'shift_touch'"),
      );
      expect(made.rows[0]?.n).toBe(1);

      const diff = await engine.call('diff', {
        from: { tag: 'schemaDatasource', files: [schemaFile], configDir: '.' },
        to: { tag: 'schemaDatamodel', files: [schemaFile] },
        script: true,
        exitCode: null,
        filters: { externalTables: [], externalEnums: [] },
      });
      expect(diff.error, JSON.stringify(diff.error)).toBeUndefined();
      expect(diff.result).toMatchObject({ stdout: null });
      const printed = engine.messages.find((m) => m.method === 'print')?.params?.content ?? '';
      expect(printed).toMatch(/DROP TABLE ("public"\.)?"shift"/);
      expect(printed).toMatch(/CREATE TABLE ("public"\.)?"probe"/);
    } finally {
      expect(await engine.close()).toBe(0);
    }
  });
});
