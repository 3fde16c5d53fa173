export * from './buckets.js';
export * from './facts.js';
export * from './interval.js';
export * from './kpis.js';
export * from './oee.js';
export * from './ratios.js';
export * from './rollup.js';
export * from './time-zone.js';
