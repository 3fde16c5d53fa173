import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from './canonical.js';

export interface Checkpoint {
  tenantId: string;
  position: number;
  hash: string;
  signedAt: string;
  /**
   * Position of the chain's previous checkpoint (0 for its first). Signed, so a deleted checkpoint
   * shows as a broken link; absent on checkpoints written before the link existed.
   */
  prevPosition?: number;
}

export interface SignedCheckpoint extends Checkpoint {
  /** Ed25519 over the canonical JSON of the fields above, base64. */
  signature: string;
  /** SPKI PEM of the key that signed. */
  publicKey: string;
}

export class SigningKeyError extends Error {
  readonly code = 'TAKT_AUDIT_SIGNING_KEY';
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyError';
  }
}

/**
 * The bytes a checkpoint signature covers; the tenant is in them so one chain's signature never
 * vouches for another. An absent prevPosition is left out, so older checkpoints keep their bytes.
 */
export const checkpointMessage = (c: Checkpoint): Buffer =>
  Buffer.from(
    canonicalJson({
      tenantId: c.tenantId,
      position: c.position,
      hash: c.hash,
      signedAt: c.signedAt,
      prevPosition: c.prevPosition,
    }),
    'utf8',
  );

export interface Signer {
  publicKeyPem: string;
  sign(c: Checkpoint): SignedCheckpoint;
}

export function signerFromPem(pem: string): Signer {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new SigningKeyError('the audit signing key is not a PEM private key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SigningKeyError('the audit signing key must be Ed25519');
  const publicKeyPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  return {
    publicKeyPem,
    sign: (c) => ({
      ...c,
      signature: sign(null, checkpointMessage(c), key).toString('base64'),
      publicKey: publicKeyPem,
    }),
  };
}

export function verifyCheckpoint(c: SignedCheckpoint, publicKey: string | KeyObject): boolean {
  try {
    return verify(
      null,
      checkpointMessage(c),
      typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey,
      Buffer.from(c.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

export interface TrustedKey {
  /** First 16 hex digits of the SHA-256 of the key's SPKI DER: a short, stable name for the key. */
  keyId: string;
  key: KeyObject;
}

/**
 * The public keys a verifier accepts checkpoints from, by SHA-256 of their SPKI DER. Always
 * given by the verifier's own configuration (service config, CLI flag): the `publicKey` stored
 * with a checkpoint only says which trusted key to try, it never adds trust. See
 * docs/audit-verification.md.
 */
export class TrustedKeys {
  private readonly byDigest = new Map<string, TrustedKey>();

  constructor(keys: readonly KeyObject[]) {
    for (const key of keys) {
      if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519')
        throw new SigningKeyError('a trusted audit key must be an Ed25519 public key');
      const digest = spkiDigest(key);
      this.byDigest.set(digest, { keyId: digest.slice(0, 16), key });
    }
  }

  /** Every `-----BEGIN PUBLIC KEY-----` block of one or more PEM texts (a bundle file may hold many). */
  static fromPem(...texts: string[]): TrustedKeys {
    const blocks = texts.flatMap(
      (t) => t.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [],
    );
    return new TrustedKeys(
      blocks.map((b) => {
        try {
          return createPublicKey(b);
        } catch {
          throw new SigningKeyError('a trusted audit key is not a PEM public key');
        }
      }),
    );
  }

  get size(): number {
    return this.byDigest.size;
  }

  get keyIds(): string[] {
    return [...this.byDigest.values()].map((k) => k.keyId);
  }

  /** The trusted key a stored PEM names, or null when that key is unknown, unparsable or untrusted. */
  lookup(pem: string): TrustedKey | null {
    try {
      return this.byDigest.get(spkiDigest(createPublicKey(pem))) ?? null;
    } catch {
      return null;
    }
  }
}

export const spkiDigest = (key: KeyObject): string =>
  createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
