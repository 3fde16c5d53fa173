/** One field-level problem: an RFC 6901 pointer into the request and what is wrong there. */
export interface FieldError {
  pointer: string;
  detail: string;
}

/**
 * Every error a Takt service answers with deliberately. `code` is stable and maps 1:1 to the
 * problem+json `type`; `retriable` tells a client (and our own retry loops) whether trying the
 * same request again can succeed.
 */
export class TaktError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly options: { retriable?: boolean; errors?: FieldError[]; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'TaktError';
  }

  get retriable(): boolean {
    return this.options.retriable ?? this.status >= 500;
  }

  get type(): string {
    return problemType(this.code);
  }
}

export const problemType = (code: string): string =>
  `https://takt.dev/problems/${code
    .replace(/^TAKT_/, '')
    .toLowerCase()
    .replaceAll('_', '-')}`;

export const badRequest = (message: string, errors: FieldError[] = []) =>
  new TaktError('TAKT_VALIDATION', 400, message, { errors });

export const fieldError = (pointer: string, detail: string) => badRequest(detail, [{ pointer, detail }]);

export const unauthorized = (message = 'missing or unknown API key') =>
  new TaktError('TAKT_UNAUTHORIZED', 401, message);

export const forbidden = (scope: string) =>
  new TaktError('TAKT_FORBIDDEN', 403, `this API key lacks the "${scope}" scope`);

export const notFound = (message: string, errors: FieldError[] = []) =>
  new TaktError('TAKT_NOT_FOUND', 404, message, { errors });

export const conflict = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  new TaktError(code, 409, message, { extra });

export const tooLarge = (message: string, errors: FieldError[] = []) =>
  new TaktError('TAKT_TOO_LARGE', 413, message, { errors });

export const unsupportedMediaType = (message: string) =>
  new TaktError('TAKT_UNSUPPORTED_MEDIA_TYPE', 415, message);

export const uriTooLong = (message: string) => new TaktError('TAKT_URI_TOO_LONG', 414, message);

/** Retriable by definition: the same request succeeds once the window has passed. */
export const rateLimited = (message: string, retryAfterS: number) =>
  new TaktError('TAKT_RATE_LIMITED', 429, message, { retriable: true, extra: { retryAfterS } });

export const overloaded = (message: string, retryAfterS: number) =>
  new TaktError('TAKT_OVERLOADED', 503, message, { retriable: true, extra: { retryAfterS } });

export const unavailable = (message: string) =>
  new TaktError('TAKT_UNAVAILABLE', 503, message, { retriable: true });

/** RFC 6901: `~` and `/` inside a segment are escaped. */
export function jsonPointer(path: readonly (string | number | symbol)[], root = ''): string {
  return (
    root + path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')
  );
}
