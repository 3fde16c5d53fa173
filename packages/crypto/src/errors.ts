export type CryptoErrorCode = 'TAKT_KEYRING_INVALID' | 'TAKT_DECRYPT_FAILED' | 'TAKT_CRYPTO_INPUT_INVALID';

/** Base of every error this package throws; callers switch on `code`, never on the message. */
export class CryptoError extends Error {
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The operator's key configuration is unusable. Lists every problem at once; messages name the
 * entry and key id but never contain key material.
 */
export class KeyringError extends CryptoError {
  constructor(readonly problems: readonly string[]) {
    super(
      'TAKT_KEYRING_INVALID',
      `invalid PII keyring (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p}`).join('\n'),
    );
  }
}

export type DecryptFailure = 'malformed' | 'unknown-key' | 'authentication';

/** A stored value did not decrypt. Never carries the stored value or any plaintext. */
export class DecryptError extends CryptoError {
  constructor(
    readonly reason: DecryptFailure,
    message: string,
  ) {
    super('TAKT_DECRYPT_FAILED', `cannot decrypt field: ${message}`);
  }
}

/** A programming error: a value or context this package refuses to work with. */
export class CryptoInputError extends CryptoError {
  constructor(message: string) {
    super('TAKT_CRYPTO_INPUT_INVALID', message);
  }
}
