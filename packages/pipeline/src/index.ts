export {
  createMissingTopics,
  type DeadLetterEntry,
  type DeadLetterSink,
  type DeadLetterSinkOptions,
  deadLetterSink,
  markDeadLettersHandled,
  unhandledDeadLetters,
} from './dead-letters.js';
export { registerCdcMetrics } from './metrics.js';
export {
  CdcUnhealthyError,
  type CdcWatcher,
  type CdcWatcherOptions,
  cdcWatcherOptions,
  createCdcWatcher,
} from './watcher.js';
