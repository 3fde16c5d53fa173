export { createTestClickHouseDatabase, type TestClickHouseDatabase, testClickHouse } from './clickhouse.js';
export {
  debeziumSource,
  deleteConnector,
  registerConnector,
  removeConnectorAndSlot,
  setConnectorPaused,
} from './connect.js';
export {
  type FuzzRequest,
  mutations,
  type OpenApiDoc,
  type Operation,
  operationName,
  operationsOf,
  type Seed,
} from './fuzz.js';
export {
  type Finding,
  FUZZ_HTTP_LIMITS,
  type FuzzReport,
  type FuzzResponse,
  type FuzzTarget,
  formatReport,
  fuzzBudgetMs,
  fuzzRuns,
  injector,
  runFuzz,
} from './fuzz-run.js';
export { fetchRetryingLater, type RetryLaterOptions } from './http.js';
export { createTopics, deleteTopics, testKafka, topicPrefix } from './kafka.js';
export {
  type AlertmanagerAlert,
  activeAlerts,
  connectMetricsTarget,
  freePort,
  type MonitoringProcess,
  type PrometheusAlert,
  prometheusAlerts,
  queryValue,
  startAlertmanager,
  startPrometheus,
} from './monitoring.js';
export { uniqueName } from './names.js';
export { createTestDatabase, type TestDatabase, withAdmin } from './postgres.js';
export { pgUrl, type StackSettings, stack } from './stack.js';
export { type WaitOptions, waitFor } from './wait.js';
