import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  COLUMN_TYPE_CHARACTER,
  cliFailureLines,
  connectionFailure,
  externalErrorId,
  hideCharColumns,
  lineSplitter,
  PG_CHAR_OID,
  PG_TEXT_OID,
  parseEngineArgs,
  parseRpcLine,
  printRequest,
  restoreCharColumns,
  rpcError,
  rpcResult,
  toEngineFailure,
} from '../schema-engine/protocol.mjs';
import { findNativeEngine, selectSchemaEngine, WASM_ENGINE_ENTRY } from '../schema-engine/select.mjs';

describe('parseEngineArgs', () => {
  it('reads what the CLI passes to the RPC server', () => {
    const args = parseEngineArgs([
      '--datamodels',
      '/repo/prisma/schema.prisma',
      '--datasource',
      JSON.stringify({ url: 'postgresql://u@h/db', shadowDatabaseUrl: 'postgresql://u@h/shadow' }),
      '--enabled-preview-features',
      'views',
      '--extension-types',
      '{"types":[]}',
    ]);
    expect(args).toEqual({
      version: false,
      datamodels: ['/repo/prisma/schema.prisma'],
      datasource: { url: 'postgresql://u@h/db', shadowDatabaseUrl: 'postgresql://u@h/shadow' },
      cliCommand: undefined,
    });
  });

  it('reads the one-shot cli form and --version', () => {
    expect(
      parseEngineArgs(['--datasource', '{"url":"postgresql://x"}', 'cli', 'can-connect-to-database']),
    ).toMatchObject({
      cliCommand: 'can-connect-to-database',
      datasource: { url: 'postgresql://x' },
    });
    expect(parseEngineArgs(['--version']).version).toBe(true);
  });

  it('drops empty urls and rejects a missing value', () => {
    expect(parseEngineArgs(['--datasource', '{"url":""}']).datasource).toEqual({});
    expect(() => parseEngineArgs(['--datamodels'])).toThrow(/needs a value/);
  });
});

describe('lineSplitter', () => {
  it('reassembles messages split across chunks and splits batched ones', () => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    s.push('{"id":1,"me');
    s.push('thod":"a"}\n{"id":2}\r\n\n{"id"');
    s.push(':3}');
    expect(lines).toEqual(['{"id":1,"method":"a"}', '{"id":2}']);
    s.end();
    expect(lines).toEqual(['{"id":1,"method":"a"}', '{"id":2}', '{"id":3}']);
  });
});

describe('parseRpcLine', () => {
  it('accepts requests and ignores replies to our own print requests', () => {
    expect(parseRpcLine('{"jsonrpc":"2.0","id":7,"method":"diff","params":{"a":1}}')).toEqual({
      kind: 'request',
      request: { jsonrpc: '2.0', id: 7, method: 'diff', params: { a: 1 } },
    });
    expect(parseRpcLine('{"jsonrpc":"2.0","id":"print-1","result":{}}')).toEqual({ kind: 'ignore' });
  });

  it('flags garbage', () => {
    expect(parseRpcLine('not json')).toMatchObject({ kind: 'invalid', reason: 'Parse error' });
    expect(parseRpcLine('{"id":3}')).toMatchObject({ kind: 'invalid', id: 3 });
  });
});

describe('replies', () => {
  it('always carries a result key, which the CLI requires', () => {
    expect(JSON.parse(rpcResult(1, undefined))).toEqual({ jsonrpc: '2.0', result: {}, id: 1 });
    expect(JSON.parse(rpcResult(2, null))).toEqual({ jsonrpc: '2.0', result: null, id: 2 });
  });

  it('puts errors where the CLI looks: data.message, data.error_code, data.is_panic', () => {
    const reply = JSON.parse(
      rpcError(3, { message: 'The database schema is not empty.', errorCode: 'P3005' }),
    );
    expect(reply.id).toBe(3);
    expect(reply.error.data).toEqual({
      is_panic: false,
      message: 'The database schema is not empty.',
      error_code: 'P3005',
    });
    const panic = JSON.parse(rpcError(4, { message: 'boom', isPanic: true }));
    expect(panic.error.data).toMatchObject({ is_panic: true, error: { message: 'boom' } });
  });

  it('prints through the CLI without doubling the final newline', () => {
    expect(JSON.parse(printRequest('print-1', 'CREATE TABLE x ();\n'))).toEqual({
      jsonrpc: '2.0',
      method: 'print',
      params: { content: 'CREATE TABLE x ();' },
      id: 'print-1',
    });
  });
});

describe('toEngineFailure', () => {
  it('keeps Prisma error codes and treats Wasm traps as panics', () => {
    expect(toEngineFailure(Object.assign(new Error('not empty'), { code: 'P3005' }), undefined)).toEqual({
      message: 'not empty',
      errorCode: 'P3005',
      meta: undefined,
    });
    const trap = Object.assign(new Error('unreachable'), { name: 'RuntimeError' });
    expect(toEngineFailure(trap, 'panicked at describer.rs')).toEqual({
      message: 'panicked at describer.rs',
      isPanic: true,
    });
  });

  it('replaces an external error id with the adapter error behind it', () => {
    expect(externalErrorId('Failed to connect\nExternal error id#12')).toBe(12);
    const cause = Object.assign(new Error('shadow is main'), { code: 'P3014' });
    const failure = toEngineFailure(new Error('Failed\nExternal error id#0'), undefined, (id) =>
      id === 0 ? cause : undefined,
    );
    expect(failure).toEqual({ message: 'Failed\nshadow is main', errorCode: 'P3014', meta: undefined });
  });
});

describe('"char" columns (pg OID 18)', () => {
  const pgResult = () => ({
    fields: [
      { name: 'table_name', dataTypeID: 19 },
      { name: 'constraint_type', dataTypeID: PG_CHAR_OID },
      { name: 'relkind', dataTypeID: PG_CHAR_OID },
    ],
    rows: [['shift', 'x', 'r']],
  });

  it('hides them from adapter-pg as text and restores them as Character', () => {
    const result = hideCharColumns(pgResult());
    expect(result.fields.map((f) => f.dataTypeID)).toEqual([19, PG_TEXT_OID, PG_TEXT_OID]);
    // What adapter-pg returns: its own column types, the same rows array.
    const resultSet = {
      columnNames: ['table_name', 'constraint_type', 'relkind'],
      columnTypes: [7, 7, 7],
      rows: result.rows,
    };
    expect(restoreCharColumns(resultSet).columnTypes).toEqual([
      7,
      COLUMN_TYPE_CHARACTER,
      COLUMN_TYPE_CHARACTER,
    ]);
  });

  it('handles multi-statement results and leaves other results alone', () => {
    const results = hideCharColumns([pgResult(), { fields: [{ name: 'n', dataTypeID: 23 }], rows: [[1]] }]);
    expect(results[0]?.fields[1]?.dataTypeID).toBe(PG_TEXT_OID);
    const untouched = { columnNames: ['n'], columnTypes: [0], rows: results[1]?.rows ?? [] };
    expect(restoreCharColumns(untouched).columnTypes).toEqual([0]);
    expect(hideCharColumns(undefined)).toBeUndefined();
  });
});

describe('cli command failures', () => {
  it('maps connection errors to the codes the CLI switches on', () => {
    const target = { host: '127.0.0.1', port: 5432, database: 'takt', user: 'takt_owner' };
    expect(connectionFailure({ code: '3D000' }, target).errorCode).toBe('P1003');
    expect(connectionFailure({ code: '28P01' }, target).errorCode).toBe('P1000');
    expect(connectionFailure({ code: 'ECONNREFUSED' }, target)).toEqual({
      errorCode: 'P1001',
      message: "Can't reach database server at `127.0.0.1:5432`.",
    });
    expect(connectionFailure(new Error('odd'), target)).toEqual({ errorCode: undefined, message: 'odd' });
  });

  it('writes stderr the way the CLI reads it: first line skipped, the rest JSON', () => {
    const stderr = cliFailureLines({ errorCode: 'P1003', message: 'Database `x` does not exist' }).join('\n');
    const records = stderr
      .split(/\r?\n/)
      .slice(1)
      .map((l) => JSON.parse(l));
    expect(records.find((r) => r.level === 'ERROR' && r.target === 'schema_engine::logger')?.fields).toEqual({
      message: 'Database `x` does not exist',
      error_code: 'P1003',
    });
  });
});

describe('selectSchemaEngine', () => {
  const noNative = () => undefined;

  it('respects a PRISMA_SCHEMA_ENGINE_BINARY that is already set', () => {
    const env: NodeJS.ProcessEnv = {
      PRISMA_SCHEMA_ENGINE_BINARY: '/opt/schema-engine',
      TAKT_SCHEMA_ENGINE: 'wasm',
    };
    expect(selectSchemaEngine(env, { findNative: noNative })).toEqual({
      kind: 'preset',
      binary: '/opt/schema-engine',
    });
    expect(env.PRISMA_SCHEMA_ENGINE_BINARY).toBe('/opt/schema-engine');
  });

  it('prefers an installed native engine, else points the CLI at the Wasm one', () => {
    const native: NodeJS.ProcessEnv = {};
    expect(
      selectSchemaEngine(native, { findNative: () => '/x/schema-engine-debian-openssl-3.0.x' }).kind,
    ).toBe('native');
    expect(native.PRISMA_SCHEMA_ENGINE_BINARY).toBeUndefined();

    const wasm: NodeJS.ProcessEnv = {};
    expect(selectSchemaEngine(wasm, { findNative: noNative })).toEqual({
      kind: 'wasm',
      binary: WASM_ENGINE_ENTRY,
    });
    expect(wasm.PRISMA_SCHEMA_ENGINE_BINARY).toBe(WASM_ENGINE_ENTRY);
  });

  it('lets TAKT_SCHEMA_ENGINE force either one', () => {
    const forcedWasm: NodeJS.ProcessEnv = { TAKT_SCHEMA_ENGINE: 'wasm' };
    expect(selectSchemaEngine(forcedWasm, { findNative: () => '/x/schema-engine-linux' }).kind).toBe('wasm');
    const forcedNative: NodeJS.ProcessEnv = { TAKT_SCHEMA_ENGINE: 'native' };
    expect(selectSchemaEngine(forcedNative, { findNative: noNative })).toEqual({
      kind: 'native',
      binary: undefined,
    });
    expect(forcedNative.PRISMA_SCHEMA_ENGINE_BINARY).toBeUndefined();
  });

  const dir = mkdtempSync(join(tmpdir(), 'takt-engines-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds only an executable schema-engine-<target>, not download leftovers', () => {
    writeFileSync(join(dir, 'schema-engine-debian-openssl-3.0.x.gz'), '');
    writeFileSync(join(dir, 'schema-engine-debian-openssl-3.0.x.sha256'), '');
    writeFileSync(join(dir, 'schema-engine-debian-openssl-3.0.x'), '');
    expect(findNativeEngine([dir])).toBeUndefined();
    chmodSync(join(dir, 'schema-engine-debian-openssl-3.0.x'), 0o755);
    expect(findNativeEngine([dir, '/nonexistent'])).toBe(join(dir, 'schema-engine-debian-openssl-3.0.x'));
  });
});
