// @ts-check
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { hideCharColumns, quoteIdent, restoreCharColumns } from './protocol.mjs';

/**
 * @typedef {import('@prisma/driver-adapter-utils').SqlDriverAdapter} SqlDriverAdapter
 * @typedef {import('@prisma/driver-adapter-utils').SqlMigrationAwareDriverAdapterFactory} SqlMigrationAwareDriverAdapterFactory
 * @typedef {import('pg').ClientConfig} ClientConfig
 */

/**
 * A pg client whose results never show @prisma/adapter-pg a `"char"` column (see
 * hideCharColumns). pg-pool calls `query` with a callback, the adapter awaits the promise form
 * on a checked-out client: both are covered.
 */
class CharColumnsClient extends pg.Client {
  /**
   * @override
   * @param {any[]} args
   */
  query(...args) {
    const last = args.length - 1;
    const cb = args[last];
    if (typeof cb === 'function') {
      args[last] = (/** @type {any} */ err, /** @type {any} */ res) =>
        cb(err, err ? res : hideCharColumns(res));
      return /** @type {any} */ (super.query)(...args);
    }
    const out = /** @type {any} */ (super.query)(...args);
    return out && typeof out.then === 'function' ? out.then(hideCharColumns) : out;
  }
}

const debug = process.env.TAKT_SCHEMA_ENGINE_DEBUG
  ? (/** @type {string} */ msg) => process.stderr.write(`[pg-factory] ${msg}\n`)
  : () => {};

/**
 * A pg config with every connection field spelled out. pg lets `connectionString` override the
 * explicit fields, so `{ connectionString, database: shadow }` would silently connect to the
 * main database.
 * @param {string} url
 * @returns {{ config: ClientConfig, schema: string | undefined }}
 */
export function connectionConfig(url) {
  const config = parseIntoClientConfig(url);
  const schema = new URL(url).searchParams.get('schema') ?? undefined;
  return {
    config: {
      ...config,
      application_name: config.application_name ?? 'prisma-schema-engine',
      connectionTimeoutMillis: 10_000,
    },
    schema,
  };
}

/**
 * @param {ClientConfig} a
 * @param {ClientConfig} b
 */
function sameDatabase(a, b) {
  return (
    (a.host ?? '') === (b.host ?? '') &&
    String(a.port ?? 5432) === String(b.port ?? 5432) &&
    a.database === b.database
  );
}

/**
 * pool.end() resolves as soon as it has asked its clients to close, before the server has seen
 * them go; dropping the database at that point would still find them connected.
 * @param {pg.Pool} pool
 */
export async function endPool(pool, timeoutMs = 5_000) {
  let open = pool.totalCount;
  const closed = new Promise((resolve) => {
    if (open === 0) resolve(undefined);
    pool.on('remove', () => {
      if (--open === 0) resolve(undefined);
    });
    setTimeout(resolve, timeoutMs).unref();
  });
  await pool.end();
  await closed;
}

/**
 * The driver-adapter factory handed to the Wasm schema engine: @prisma/adapter-pg 7.10, with
 * what it gets wrong for migrations fixed here: `"char"` columns, scripts split on `;`, and a
 * shadow database that it connects to by connection string (so it lands in the main database)
 * and drops before closing its pool (so the drop fails).
 * @implements {SqlMigrationAwareDriverAdapterFactory}
 */
export class MigrationAdapterFactory {
  provider = /** @type {const} */ ('postgres');
  adapterName = '@prisma/adapter-pg';

  /** @type {Set<pg.Pool>} */
  #pools = new Set();
  /** @type {Set<() => Promise<void>>} */
  #cleanups = new Set();

  /**
   * @param {{ url: string, shadowDatabaseUrl?: string | undefined, shadowTemplate?: string | undefined }} opts
   *   shadowTemplate: database to clone fresh shadow databases from ('' for none; undefined:
   *   `takt_template` when it exists)
   */
  constructor(opts) {
    this.url = opts.url;
    this.shadowDatabaseUrl = opts.shadowDatabaseUrl;
    this.shadowTemplate = opts.shadowTemplate;
  }

  /** @returns {Promise<SqlDriverAdapter>} */
  connect() {
    return this.#open(connectionConfig(this.url));
  }

  /**
   * A fresh shadow database, cloned from the template so that migrations find the extensions
   * only a superuser can create. Without a configured shadow url it is a temporary database,
   * dropped on dispose. A configured one is recreated on every use, which is what the native
   * engine's reset amounts to (the Wasm engine applies migrations on top of whatever is there).
   * @returns {Promise<SqlDriverAdapter>}
   */
  async connectToShadowDb() {
    const main = connectionConfig(this.url);
    const shadow = this.shadowDatabaseUrl ? connectionConfig(this.shadowDatabaseUrl) : undefined;
    if (shadow && sameDatabase(main.config, shadow.config)) {
      throw Object.assign(new Error('The shadow database url points at the main database.'), {
        code: 'P3014',
      });
    }
    const temporary = shadow === undefined;
    const name = shadow?.config.database ?? `prisma_migrate_shadow_db_${randomUUID()}`;
    // A configured shadow database may live on another server; a temporary one sits next to
    // the main database. Either way the admin session stays out of the shadow database.
    const admin = new pg.Client({
      ...(shadow ?? main).config,
      database: temporary ? main.config.database : 'postgres',
    });
    await admin.connect();
    let created = false;
    const drop = async () => {
      // FORCE: a connection the engine leaked must not keep the database alive.
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      debug(`dropped shadow database ${name}`);
    };
    const finish = async () => {
      try {
        if (temporary) await drop();
      } finally {
        await admin.end();
      }
    };
    try {
      if (!temporary) await drop();
      const template = await this.#resolveTemplate(admin);
      await admin.query(
        `CREATE DATABASE ${quoteIdent(name)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ''}`,
      );
      created = true;
      debug(`created shadow database ${name}${template ? ` from ${template}` : ''}`);
      this.#cleanups.add(finish);
      const target = shadow ?? main;
      return await this.#open(
        { config: { ...target.config, database: name }, schema: target.schema },
        async () => {
          this.#cleanups.delete(finish);
          await finish();
        },
      );
    } catch (err) {
      this.#cleanups.delete(finish);
      if (created && temporary) await drop().catch(() => {});
      await admin.end().catch(() => {});
      throw err;
    }
  }

  /**
   * Ends every pool and drops any shadow database still around: the CLI kills the process as
   * soon as it closes stdin.
   */
  async close() {
    const pools = [...this.#pools];
    this.#pools.clear();
    await Promise.allSettled(pools.map(endPool));
    const cleanups = [...this.#cleanups];
    this.#cleanups.clear();
    await Promise.allSettled(cleanups.map((c) => c()));
  }

  /** @param {pg.Client} admin */
  async #resolveTemplate(admin) {
    if (this.shadowTemplate !== undefined) return this.shadowTemplate || undefined;
    const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', ['takt_template']);
    return rows.length > 0 ? 'takt_template' : undefined;
  }

  /**
   * @param {{ config: ClientConfig, schema: string | undefined }} target
   * @param {() => Promise<void>} [afterEnd] runs once the pool is closed: a database cannot be
   *   dropped while its own pool still holds connections to it.
   * @returns {Promise<SqlDriverAdapter>}
   */
  async #open(target, afterEnd) {
    const pool = new pg.Pool({ ...target.config, max: 4, Client: CharColumnsClient });
    // The adapter detaches its own listener on dispose; an idle client failing after that
    // (a shadow database being dropped under it) would otherwise crash the process.
    pool.on('error', (err) => debug(`idle client error on ${target.config.database}: ${err.message}`));
    this.#pools.add(pool);
    const adapter = await new PrismaPg(pool, target.schema ? { schema: target.schema } : undefined).connect();
    /** @type {SqlDriverAdapter} */
    const wrapped = Object.create(adapter);
    wrapped.queryRaw = async (query) => restoreCharColumns(await adapter.queryRaw(query));
    wrapped.startTransaction = async (isolationLevel) => {
      const tx = await adapter.startTransaction(isolationLevel);
      /** @type {typeof tx} */
      const wrappedTx = Object.create(tx);
      wrappedTx.queryRaw = async (query) => restoreCharColumns(await tx.queryRaw(query));
      return wrappedTx;
    };
    // adapter-pg splits scripts on every `;`, which cuts dollar-quoted function bodies apart.
    // A parameterless query goes over the simple protocol, which takes the whole script at
    // once, like the native engine does.
    wrapped.executeScript = async (script) => {
      await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
    };
    wrapped.dispose = async () => {
      debug(`dispose ${target.config.database} (pool: ${pool.totalCount} clients, ${pool.idleCount} idle)`);
      await adapter.dispose();
      if (this.#pools.delete(pool)) await endPool(pool);
      await afterEnd?.();
    };
    return wrapped;
  }
}
