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
  problemType,
  TaktError,
  tooLarge,
  unauthorized,
  unavailable,
} from './errors.js';
export { Counter, createMetricsRegistry, Gauge, Histogram, Registry } from './metrics.js';
export { type Problem, sendProblem, toProblem } from './problem.js';
