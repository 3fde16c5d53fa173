export { KeyCache } from './cache.js';
export {
  API_KEY_CHANNEL,
  type ApiKeySettings,
  ApiKeyStore,
  type ApiKeyStoreOptions,
  MAX_CACHE_TTL_MS,
  startApiKeyStore,
} from './store.js';
