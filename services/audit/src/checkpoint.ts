import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from './canonical.js';

export interface Checkpoint {
  tenantId: string;
  position: number;
  hash: string;
  signedAt: string;
}

export interface SignedCheckpoint extends Checkpoint {
  /** Ed25519 over the canonical JSON of the four fields above, base64. */
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

/** The bytes a checkpoint signature covers; the tenant is in them so one chain's signature never vouches for another. */
export const checkpointMessage = (c: Checkpoint): Buffer =>
  Buffer.from(
    canonicalJson({ tenantId: c.tenantId, position: c.position, hash: c.hash, signedAt: c.signedAt }),
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

export function verifyCheckpoint(c: SignedCheckpoint, publicKeyPem: string): boolean {
  try {
    return verify(
      null,
      checkpointMessage(c),
      createPublicKey(publicKeyPem),
      Buffer.from(c.signature, 'base64'),
    );
  } catch {
    return false;
  }
}
