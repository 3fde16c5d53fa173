// @ts-check
// The wire protocol the Prisma CLI speaks with a schema-engine binary, without any I/O, so it
// can be tested on its own. The CLI spawns the binary in one of three ways:
//   schema-engine --version                                  (prints "schema-engine-cli <commit>")
//   schema-engine --datasource <json> cli <command>          (one-shot; errors as JSON log lines on stderr)
//   schema-engine [--datamodels <path>]... [--datasource <json>]   (JSON-RPC 2.0, one message per line)

/** pg's internal single-byte `"char"` type (pg_class.relkind, pg_constraint.contype, …). */
export const PG_CHAR_OID = 18;
export const PG_TEXT_OID = 25;

/**
 * @typedef {{ url?: string, shadowDatabaseUrl?: string }} DatasourceArg
 * @typedef {{
 *   version: boolean,
 *   datamodels: string[],
 *   datasource: DatasourceArg | undefined,
 *   cliCommand: string | undefined,
 * }} EngineArgs
 */

/**
 * Parses the arguments the CLI passes. Unknown flags that take a value (`--enabled-preview-features`,
 * `--extension-types`) are skipped: the Wasm engine has no use for them.
 * @param {readonly string[]} argv arguments after the script path
 * @returns {EngineArgs}
 */
export function parseEngineArgs(argv) {
  /** @type {EngineArgs} */
  const out = { version: false, datamodels: [], datasource: undefined, cliCommand: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--version':
      case '-V':
        out.version = true;
        break;
      case '--datamodels':
      case '-d':
        out.datamodels.push(requireValue(argv, ++i, arg));
        break;
      case '--datasource':
        out.datasource = parseDatasource(requireValue(argv, ++i, arg));
        break;
      case 'cli':
        out.cliCommand = requireValue(argv, ++i, arg);
        break;
      default:
        if (arg?.startsWith('--') && !arg.includes('=')) i++;
    }
  }
  return out;
}

/**
 * @param {readonly string[]} argv
 * @param {number} i
 * @param {string} flag
 */
function requireValue(argv, i, flag) {
  const v = argv[i];
  if (v === undefined) throw new Error(`${flag} needs a value`);
  return v;
}

/** @param {string} json */
function parseDatasource(json) {
  const v = JSON.parse(json);
  if (v === null || typeof v !== 'object') throw new Error('--datasource must be a JSON object');
  /** @type {DatasourceArg} */
  const ds = {};
  if (typeof v.url === 'string' && v.url !== '') ds.url = v.url;
  if (typeof v.shadowDatabaseUrl === 'string' && v.shadowDatabaseUrl !== '')
    ds.shadowDatabaseUrl = v.shadowDatabaseUrl;
  return ds;
}

/**
 * Splits a byte stream into lines. A message can arrive split across chunks, and one chunk can
 * hold several messages.
 * @param {(line: string) => void} onLine
 * @returns {{ push(chunk: string): void, end(): void }}
 */
export function lineSplitter(onLine) {
  let buffered = '';
  return {
    push(chunk) {
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl !== -1) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== '') onLine(line);
        nl = buffered.indexOf('\n');
      }
    },
    end() {
      const rest = buffered.trim();
      buffered = '';
      if (rest !== '') onLine(rest);
    },
  };
}

/**
 * @typedef {{ jsonrpc: '2.0', id: number | string | null, method: string, params: unknown }} RpcRequest
 * @typedef {{ kind: 'request', request: RpcRequest } | { kind: 'ignore' } | { kind: 'invalid', id: number | string | null, reason: string }} ParsedLine
 */

/**
 * @param {string} line
 * @returns {ParsedLine}
 */
export function parseRpcLine(line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return { kind: 'invalid', id: null, reason: 'Parse error' };
  }
  if (msg === null || typeof msg !== 'object')
    return { kind: 'invalid', id: null, reason: 'Invalid Request' };
  const id = typeof msg.id === 'number' || typeof msg.id === 'string' ? msg.id : null;
  // Replies to our own requests: the CLI acknowledges each `print` this way.
  if (typeof msg.method !== 'string')
    return 'result' in msg || 'error' in msg
      ? { kind: 'ignore' }
      : { kind: 'invalid', id, reason: 'Invalid Request' };
  return { kind: 'request', request: { jsonrpc: '2.0', id, method: msg.method, params: msg.params } };
}

/**
 * @param {number | string | null} id
 * @param {unknown} result
 */
export function rpcResult(id, result) {
  // The CLI rejects a reply without a `result` key, and JSON.stringify drops undefined.
  return JSON.stringify({ jsonrpc: '2.0', result: result === undefined ? {} : result, id });
}

/**
 * The error shape of the native engine: the CLI reads `data.message`, `data.error_code` (to
 * recognise P3005, P3018, …) and `data.is_panic`.
 * @typedef {{ message: string, errorCode?: string | undefined, meta?: unknown, isPanic?: boolean }} EngineFailure
 * @param {number | string | null} id
 * @param {EngineFailure} failure
 */
export function rpcError(id, failure) {
  /** @type {Record<string, unknown>} */
  const data = { is_panic: failure.isPanic === true, message: failure.message };
  if (failure.errorCode !== undefined) data.error_code = failure.errorCode;
  if (failure.meta !== undefined) data.meta = failure.meta;
  if (failure.isPanic === true) data.error = { message: failure.message };
  return JSON.stringify({
    jsonrpc: '2.0',
    error: { code: 4466, message: 'An error happened. Check the data field for details.', data },
    id,
  });
}

/**
 * A request from the engine asking the CLI to write `content` (plus a newline) to its stdout.
 * @param {string} id
 * @param {string} content
 */
export function printRequest(id, content) {
  return JSON.stringify({
    jsonrpc: '2.0',
    method: 'print',
    params: { content: content.replace(/\n$/, '') },
    id,
  });
}

/**
 * @param {number | string | null} id
 * @param {number} code JSON-RPC protocol error code
 * @param {string} message
 */
export function rpcProtocolError(id, code, message) {
  return JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id });
}

/**
 * An exception thrown by adapter code reaches the engine as an id into the adapter's error
 * registry, and comes back in the engine's message as `External error id#<n>`.
 * @param {string} message
 * @returns {number | undefined}
 */
export function externalErrorId(message) {
  const m = /External error id#(\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/**
 * Turns whatever the Wasm engine (or our own code) threw into the CLI's error shape.
 * @param {unknown} err
 * @param {string | undefined} panicMessage the message the Wasm panic hook recorded, if any
 * @param {(id: number) => unknown} [lookupExternal] the adapter error behind an `External error id#<n>`
 * @returns {EngineFailure}
 */
export function toEngineFailure(err, panicMessage, lookupExternal) {
  // WebAssembly.RuntimeError: a Rust panic (`unreachable`) or a trap.
  if (err instanceof Error && err.name === 'RuntimeError') {
    return { message: panicMessage || err.message, isPanic: true };
  }
  if (err instanceof Error) {
    const e = /** @type {Error & { code?: unknown, meta?: unknown }} */ (err);
    let errorCode = prismaCode(e.code);
    let message = e.message;
    const id = externalErrorId(message);
    const cause = id === undefined ? undefined : lookupExternal?.(id);
    if (cause instanceof Error) {
      message = message.replace(/External error id#\d+/, cause.message);
      errorCode ??= prismaCode(/** @type {{ code?: unknown }} */ (cause).code);
    }
    return { message, errorCode, meta: e.meta };
  }
  return { message: String(err) };
}

/** @param {unknown} code */
function prismaCode(code) {
  return typeof code === 'string' && /^P\d{4}$/.test(code) ? code : undefined;
}

/** Column type codes of @prisma/driver-adapter-utils' ColumnTypeEnum. */
export const COLUMN_TYPE_CHARACTER = 6;

/**
 * Positions of `"char"` columns, keyed by the rows array of the pg result they came from:
 * @prisma/adapter-pg hands that same array on in its result set, which is how the second half
 * (restoreCharColumns) finds them again.
 * @type {WeakMap<object, number[]>}
 */
const charColumnsByRows = new WeakMap();

/**
 * First half of the `"char"` fix, applied to every pg result (or to each result of a
 * multi-statement query). @prisma/adapter-pg 7.10 has no column type for OID 18 and fails the
 * whole query, yet the engine's catalog queries select such columns (relkind, contype, …).
 * Tagging them `text` gets them past the adapter; pg has already parsed each value as a
 * one-character string, so only the tag changes.
 * @template T
 * @param {T} result
 * @returns {T}
 */
export function hideCharColumns(result) {
  const results = Array.isArray(result) ? result : [result];
  for (const r of results) {
    if (r === null || typeof r !== 'object') continue;
    const { fields, rows } = /** @type {{ fields?: unknown, rows?: unknown }} */ (r);
    if (!Array.isArray(fields)) continue;
    /** @type {number[]} */
    const positions = [];
    fields.forEach((f, i) => {
      if (f !== null && typeof f === 'object' && f.dataTypeID === PG_CHAR_OID) {
        f.dataTypeID = PG_TEXT_OID;
        positions.push(i);
      }
    });
    if (positions.length > 0 && rows !== null && typeof rows === 'object')
      charColumnsByRows.set(rows, positions);
  }
  return result;
}

/**
 * Second half: marks those columns as Character in the adapter's result set, which is what
 * the native engine sees for `"char"` (its describer reads pg_constraint.contype as a char
 * and panics on text, e.g. for an EXCLUDE constraint).
 * @template {{ columnTypes: number[], rows: unknown[] }} R
 * @param {R} resultSet
 * @returns {R}
 */
export function restoreCharColumns(resultSet) {
  const positions = charColumnsByRows.get(resultSet.rows);
  if (positions) for (const i of positions) resultSet.columnTypes[i] = COLUMN_TYPE_CHARACTER;
  return resultSet;
}

/**
 * Maps a connection failure to the Prisma error code the CLI switches on: `migrate dev` only
 * offers to create the database when `can-connect-to-database` answers P1003.
 * @param {unknown} err
 * @param {{ host?: string, port?: string | number, database?: string, user?: string }} target
 * @returns {{ errorCode: string | undefined, message: string }}
 */
export function connectionFailure(err, target) {
  const e = /** @type {{ code?: unknown, message?: unknown }} */ (err ?? {});
  const code = typeof e.code === 'string' ? e.code : '';
  const where = `${target.host ?? 'localhost'}:${target.port ?? 5432}`;
  switch (code) {
    case '3D000':
      return {
        errorCode: 'P1003',
        message: `Database \`${target.database ?? ''}\` does not exist on the database server at \`${where}\`.`,
      };
    case '28P01':
    case '28000':
      return {
        errorCode: 'P1000',
        message: `Authentication failed against database server at \`${where}\`, the provided database credentials for \`${target.user ?? ''}\` are not valid.`,
      };
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
      return { errorCode: 'P1001', message: `Can't reach database server at \`${where}\`.` };
    case 'ETIMEDOUT':
      return {
        errorCode: 'P1002',
        message: `The database server at \`${where}\` was reached but timed out.`,
      };
    default:
      return { errorCode: undefined, message: typeof e.message === 'string' ? e.message : String(err) };
  }
}

/**
 * Stderr of a failed `cli` command, as the CLI parses it: it drops the first line and reads
 * every following line as a JSON log record, looking for an ERROR from `schema_engine::logger`.
 * @param {{ errorCode: string | undefined, message: string }} failure
 * @param {Date} [now]
 */
export function cliFailureLines(failure, now = new Date()) {
  const timestamp = now.toISOString();
  /** @type {Record<string, string>} */
  const fields = { message: failure.message };
  if (failure.errorCode !== undefined) fields.error_code = failure.errorCode;
  return [
    JSON.stringify({
      timestamp,
      level: 'INFO',
      fields: { message: 'Starting schema engine CLI' },
      target: 'schema_engine',
    }),
    JSON.stringify({ timestamp, level: 'ERROR', fields, target: 'schema_engine::logger' }),
  ];
}

/** @param {string} name */
export function quoteIdent(name) {
  return `"${name.replaceAll('"', '""')}"`;
}
