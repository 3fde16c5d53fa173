export { keyringFromEnv, type PiiEnv, piiEnv } from './env.js';
export {
  CryptoError,
  type CryptoErrorCode,
  CryptoInputError,
  DecryptError,
  type DecryptFailure,
  KeyringError,
} from './errors.js';
export {
  type BlindIndexEncoding,
  blindIndex,
  decryptField,
  encryptField,
  needsReencryption,
  normalizeForIndex,
  type PiiPlace,
  piiContext,
  storedKeyId,
} from './field.js';
export {
  type GenerateKeyringOptions,
  generateKeyringSpec,
  INDEX_KEY_ID,
  isValidKeyId,
  type Keyring,
  type ParseKeyringOptions,
  parseKeyring,
} from './keyring.js';
