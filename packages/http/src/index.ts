export {
  apiKeyId,
  apiKeyMatches,
  bearerToken,
  type GeneratedKey,
  generateApiKey,
  hashApiKey,
  type Principal,
  SCOPES,
  type Scope,
} from './api-key.js';
export { createHttpApp, type HttpAppOptions, type ReadinessCheck, type TaktApp } from './app.js';
export { type KeyResolver, principalOf } from './auth.js';
export {
  badRequest,
  conflict,
  type FieldError,
  fieldError,
  forbidden,
  jsonPointer,
  notFound,
  overloaded,
  problemType,
  rateLimited,
  TaktError,
  tooLarge,
  unauthorized,
  unavailable,
  unsupportedMediaType,
  uriTooLong,
} from './errors.js';
export { parseJsonBody } from './frame.js';
export { FORBIDDEN_KEYS, jsonStructureProblems } from './json.js';
export {
  DEFAULT_LIMITS,
  type HttpEnv,
  type HttpLimits,
  type HttpLimitsInput,
  limitsFromEnv,
  resolveLimits,
} from './limits.js';
export { Counter, createMetricsRegistry, Gauge, Histogram, Registry } from './metrics.js';
export { type Problem, sendProblem, toProblem } from './problem.js';
export { isRetryLater, retryAfterMs } from './retry-after.js';
