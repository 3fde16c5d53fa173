#!/usr/bin/env node
// @ts-check
// Stands in for Prisma's native schema-engine binary (which the CLI downloads from a host this
// network cannot reach): the official Wasm build of the same engine, over @prisma/adapter-pg.
// prisma.config.ts points PRISMA_SCHEMA_ENGINE_BINARY here when no native binary is installed.
import { readFile } from 'node:fs/promises';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { connectionConfig, MigrationAdapterFactory } from './pg-factory.mjs';
import {
  cliFailureLines,
  connectionFailure,
  lineSplitter,
  parseEngineArgs,
  parseRpcLine,
  printRequest,
  quoteIdent,
  rpcError,
  rpcProtocolError,
  rpcResult,
  toEngineFailure,
} from './protocol.mjs';
import { lastPanicMessage, loadSchemaEngine } from './wasm.mjs';

/** @typedef {import('./protocol.mjs').DatasourceArg} DatasourceArg */

const args = parseEngineArgs(process.argv.slice(2));

if (args.version) {
  process.stdout.write(`schema-engine-cli ${loadSchemaEngine().engine.version()}\n`);
} else if (args.cliCommand !== undefined) {
  process.exitCode = await runCliCommand(args.cliCommand, args.datasource);
} else {
  await serveRpc(args.datamodels, args.datasource);
}

/**
 * @param {DatasourceArg | undefined} ds
 * @returns {string}
 */
function requireUrl(ds) {
  if (!ds?.url)
    throw Object.assign(new Error('The datasource has no url: set datasource.url in prisma.config.ts.'), {
      code: 'P1012',
    });
  return ds.url;
}

/**
 * Runs `fn` on a connection to the maintenance database of the url's server.
 * @template T
 * @param {string} url
 * @param {(client: pg.Client, database: string) => Promise<T>} fn
 */
async function onServer(url, fn) {
  const { config } = connectionConfig(url);
  const database = config.database ?? config.user ?? '';
  const client = new pg.Client({ ...config, database: 'postgres' });
  await client.connect();
  try {
    return await fn(client, database);
  } finally {
    await client.end();
  }
}

/** @param {string} url */
async function createDatabase(url) {
  return onServer(url, async (client, database) => {
    await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
    return database;
  });
}

/**
 * `migrate dev`, `migrate deploy` and `db push` ask these before starting the engine proper.
 * @param {string} command
 * @param {DatasourceArg | undefined} ds
 */
async function runCliCommand(command, ds) {
  const url = ds?.url ?? '';
  const { config } = connectionConfig(url || 'postgresql://localhost');
  const target = {
    host: typeof config.host === 'string' ? config.host : undefined,
    port: config.port,
    database: config.database,
    user: config.user,
  };
  try {
    requireUrl(ds);
    switch (command) {
      case 'can-connect-to-database': {
        const client = new pg.Client(config);
        await client.connect();
        await client.end();
        break;
      }
      case 'create-database':
        await createDatabase(url);
        break;
      case 'drop-database':
        await onServer(url, (client, database) =>
          client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`),
        );
        break;
      default:
        throw new Error(`unknown cli command ${command}`);
    }
    return 0;
  } catch (err) {
    const failure =
      /** @type {{ code?: unknown }} */ (err).code === 'P1012'
        ? { errorCode: 'P1012', message: /** @type {Error} */ (err).message }
        : connectionFailure(err, target);
    process.stderr.write(`${cliFailureLines(failure).join('\n')}\n`);
    return 1;
  }
}

/**
 * @param {string[]} datamodelPaths
 * @param {DatasourceArg | undefined} ds
 */
async function serveRpc(datamodelPaths, ds) {
  /** @type {[string, string][]} */
  const datamodels = await Promise.all(
    datamodelPaths.map(async (p) => /** @type {[string, string]} */ ([p, await readFile(p, 'utf8')])),
  );
  /** @type {MigrationAdapterFactory | undefined} */
  let factory;
  /** @type {ReturnType<typeof bindMigrationAwareSqlAdapterFactory> | undefined} */
  let bound;
  const lookupExternal = (/** @type {number} */ id) => bound?.errorRegistry.consumeError(id)?.error;
  /** @type {Promise<import('@prisma/schema-engine-wasm').SchemaEngine> | undefined} */
  let engine;

  // Created on the first request, so a CLI that only starts and stops the engine costs no
  // connection.
  const getEngine = () => {
    engine ??= (async () => {
      factory = new MigrationAdapterFactory({
        url: requireUrl(ds),
        shadowDatabaseUrl: ds?.shadowDatabaseUrl,
        shadowTemplate: process.env.SHADOW_DATABASE_TEMPLATE,
      });
      const { engine: wasm } = loadSchemaEngine();
      const log = (/** @type {string} */ line) => {
        if (process.env.TAKT_SCHEMA_ENGINE_DEBUG) process.stderr.write(`${line}\n`);
      };
      bound = bindMigrationAwareSqlAdapterFactory(factory);
      // Wasm requires `datamodels` to be undefined or non-empty.
      return wasm.SchemaEngine.new(
        { datamodels: datamodels.length > 0 ? datamodels : undefined },
        log,
        bound,
      );
    })();
    return engine;
  };

  const write = (/** @type {string} */ line) => process.stdout.write(`${line}\n`);
  let prints = 0;

  /** @type {Record<string, (params: any) => Promise<unknown>>} */
  const methods = {
    applyMigrations: async (p) => (await getEngine()).applyMigrations(p),
    createMigration: async (p) => (await getEngine()).createMigration(p),
    dbExecute: async (p) => (await getEngine()).dbExecute(p),
    debugPanic: async () => (await getEngine()).debugPanic(),
    devDiagnostic: async (p) => (await getEngine()).devDiagnostic(p),
    diagnoseMigrationHistory: async (p) => (await getEngine()).diagnoseMigrationHistory(p),
    // The native engine hands the diff to the CLI in a `print` request and returns no stdout;
    // the CLI prints nothing else, so without this `migrate diff` would always look empty.
    diff: async (p) => {
      const result = await (await getEngine()).diff(p);
      if (typeof result.stdout === 'string' && result.stdout !== '')
        write(printRequest(`print-${++prints}`, result.stdout));
      return { ...result, stdout: null };
    },
    ensureConnectionValidity: async (p) => (await getEngine()).ensureConnectionValidity(p),
    evaluateDataLoss: async (p) => (await getEngine()).evaluateDataLoss(p),
    getDatabaseVersion: async (p) => (await getEngine()).version(p ?? undefined),
    introspect: async (p) => (await getEngine()).introspect(p),
    // Every published Wasm build recurses until the stack overflows here (over driver
    // adapters), taking the process down; fail the request with a reason instead.
    introspectSql: async () => {
      throw new Error(
        'TypedSQL (`prisma generate --sql`) needs the native schema engine: the Wasm engine cannot introspect SQL over a driver adapter. Use $queryRaw, or set TAKT_SCHEMA_ENGINE=native where the native engine is installed.',
      );
    },
    markMigrationApplied: async (p) => (await getEngine()).markMigrationApplied(p),
    markMigrationRolledBack: async (p) => (await getEngine()).markMigrationRolledBack(p),
    reset: async (p) => (await getEngine()).reset(p),
    schemaPush: async (p) => (await getEngine()).schemaPush(p),
    // Not in the Wasm engine; the CLI calls it only through `cli create-database` today.
    createDatabase: async (p) => {
      const url = p?.datasource?.tag === 'ConnectionString' ? p.datasource.url : requireUrl(ds);
      return { databaseName: await createDatabase(url) };
    },
  };

  // One request at a time: the engine is not re-entrant, and the CLI never pipelines anyway.
  let queue = Promise.resolve();
  /** @type {number | string | null} */
  let current = null;

  // A Rust panic inside an engine callback surfaces as an uncaught RuntimeError rather than a
  // rejected promise. Answer the request it belongs to, then stop: the instance is unusable.
  const crash = (/** @type {unknown} */ err) => {
    const failure = toEngineFailure(err, lastPanicMessage(), lookupExternal);
    process.stdout.write(`${rpcError(current, { ...failure, isPanic: true })}\n`);
    const stop = () => process.exit(101);
    setTimeout(stop, 5_000).unref();
    // Still drop the shadow databases this run created.
    (factory?.close() ?? Promise.resolve()).then(stop, stop);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  /** @param {string} line */
  const onLine = (line) => {
    const parsed = parseRpcLine(line);
    if (parsed.kind === 'ignore') return;
    if (parsed.kind === 'invalid') {
      write(rpcProtocolError(parsed.id, parsed.reason === 'Parse error' ? -32700 : -32600, parsed.reason));
      return;
    }
    const { id, method, params } = parsed.request;
    queue = queue.then(async () => {
      const handler = methods[method];
      if (!handler) {
        write(rpcProtocolError(id, -32601, `Method not found: ${method}`));
        return;
      }
      current = id;
      try {
        write(rpcResult(id, await handler(params)));
      } catch (err) {
        write(rpcError(id, toEngineFailure(err, lastPanicMessage(), lookupExternal)));
      } finally {
        current = null;
      }
    });
  };

  const splitter = lineSplitter(onLine);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => splitter.push(String(chunk)));
  await new Promise((resolve) => process.stdin.once('end', resolve));
  splitter.end();
  await queue;
  if (engine) (await engine.catch(() => undefined))?.free();
  await factory?.close();
}
