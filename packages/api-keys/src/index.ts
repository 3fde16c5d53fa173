export { KeyCache } from './cache.js';
export { API_KEY_CHANNEL, ApiKeyStore, type ApiKeyStoreOptions, MAX_CACHE_TTL_MS } from './store.js';
