export type ClickHouseErrorKind = 'server' | 'timeout' | 'network' | 'aborted' | 'unknown';

const NAMES: Readonly<Record<number, string>> = {
  27: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  36: 'BAD_ARGUMENTS',
  43: 'ILLEGAL_TYPE_OF_ARGUMENT',
  46: 'UNKNOWN_FUNCTION',
  47: 'UNKNOWN_IDENTIFIER',
  53: 'TYPE_MISMATCH',
  57: 'TABLE_ALREADY_EXISTS',
  60: 'UNKNOWN_TABLE',
  62: 'SYNTAX_ERROR',
  81: 'UNKNOWN_DATABASE',
  82: 'DATABASE_ALREADY_EXISTS',
  115: 'UNKNOWN_SETTING',
  117: 'INCORRECT_DATA',
  159: 'TIMEOUT_EXCEEDED',
  164: 'READONLY',
  192: 'UNKNOWN_USER',
  193: 'WRONG_PASSWORD',
  202: 'TOO_MANY_SIMULTANEOUS_QUERIES',
  203: 'NO_FREE_CONNECTION',
  209: 'SOCKET_TIMEOUT',
  210: 'NETWORK_ERROR',
  241: 'MEMORY_LIMIT_EXCEEDED',
  242: 'TABLE_IS_READ_ONLY',
  252: 'TOO_MANY_PARTS',
  319: 'UNKNOWN_STATUS_OF_INSERT',
  497: 'ACCESS_DENIED',
  516: 'AUTHENTICATION_FAILED',
  999: 'KEEPER_EXCEPTION',
};

// Server codes where the same request can succeed later: load, limits and replication hiccups.
// Everything else (syntax, unknown table, type errors, auth) fails the same way on retry.
const RETRIABLE_CODES: ReadonlySet<number> = new Set([159, 202, 203, 209, 210, 241, 242, 252, 319, 999]);

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/**
 * Any failure talking to ClickHouse. `code` is the server's numeric code when there is one (18.16
 * messages read `Code: 60, e.displayText() = ...`, current ones `Code: 60. DB::Exception: ...`).
 * The server message can quote rows and query text, so it is kept in the non-enumerable
 * `serverMessage` and stays out of `message`, JSON and log serializers.
 */
export class ClickHouseError extends Error {
  readonly code: number | undefined;
  /** The server's symbolic name for `code`, e.g. UNKNOWN_TABLE, when known. */
  readonly type: string | undefined;
  readonly kind: ClickHouseErrorKind;
  readonly retriable: boolean;
  declare readonly serverMessage: string;

  constructor(init: {
    kind: ClickHouseErrorKind;
    code?: number;
    type?: string;
    retriable: boolean;
    serverMessage: string;
  }) {
    const type = init.type ?? (init.code === undefined ? undefined : NAMES[init.code]);
    const what =
      init.code === undefined ? init.kind : `Code: ${init.code}${type === undefined ? '' : ` ${type}`}`;
    super(`ClickHouse request failed (${what})`);
    this.name = 'ClickHouseError';
    this.code = init.code;
    this.type = type;
    this.kind = init.kind;
    this.retriable = init.retriable;
    Object.defineProperty(this, 'serverMessage', { value: init.serverMessage, enumerable: false });
  }
}

// The HTTP body of a failed query starts with the code; anchored so quoted row data cannot fake one.
const CODE = /^\s*Code: (\d+)/;

// Current servers end with `(TYPE) (version …)`. Only the last such pair is read, so a value
// quoted earlier in the message can never be taken for the type.
function typeSuffix(message: string): string | undefined {
  const end = message.lastIndexOf(') (version ');
  if (end < 0) return undefined;
  const candidate = message.slice(message.lastIndexOf('(', end) + 1, end);
  return /^[A-Z][A-Z0-9_]{2,}$/.test(candidate) ? candidate : undefined;
}

function field(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined;
}

/** Maps whatever the client threw into a ClickHouseError; idempotent. */
export function toClickHouseError(err: unknown): ClickHouseError {
  if (err instanceof ClickHouseError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const errno = field(err, 'code');

  // The client's own parser only recognises the current message format and sets a string code.
  const clientCode = typeof errno === 'string' && /^\d+$/.test(errno) ? Number(errno) : undefined;
  const parsedCode = CODE.exec(message)?.[1];
  const code = clientCode ?? (parsedCode === undefined ? undefined : Number(parsedCode));
  if (code !== undefined) {
    const type = NAMES[code] ?? typeSuffix(message);
    return new ClickHouseError({
      kind: 'server',
      code,
      retriable: RETRIABLE_CODES.has(code),
      serverMessage: message,
      ...(type === undefined ? {} : { type }),
    });
  }
  if (/^Timeout error/.test(message)) {
    return new ClickHouseError({ kind: 'timeout', retriable: true, serverMessage: message });
  }
  if ((typeof errno === 'string' && NETWORK_CODES.has(errno)) || /socket hang up/i.test(message)) {
    return new ClickHouseError({ kind: 'network', retriable: true, serverMessage: message });
  }
  if (field(err, 'name') === 'AbortError' || /aborted a request/.test(message)) {
    return new ClickHouseError({ kind: 'aborted', retriable: false, serverMessage: message });
  }
  return new ClickHouseError({ kind: 'unknown', retriable: false, serverMessage: message });
}
