import { GENESIS_HASH } from './canonical.js';
import { type SignedCheckpoint, verifyCheckpoint } from './checkpoint.js';
import { type AuditEvent, ChainVerifier } from './event.js';

export interface RangeVerdict {
  ok: boolean;
  checked: number;
  firstBadPosition?: number;
  /** The last checkpoint in the range whose signature and hash hold: the range is signed up to it. */
  checkpoint?: SignedCheckpoint;
}

/**
 * Verifies a contiguous range of one chain: every link and hash recomputed, every checkpoint in
 * the range checked against the trusted public key and against the event at its position. Used
 * by the HTTP verify endpoint and by the offline CLI alike, so both mean the same thing by "ok".
 */
export async function verifyRange(input: {
  fromPosition: number;
  toPosition: number;
  /** Hash of the event before fromPosition (GENESIS_HASH when fromPosition is 1); null when it is missing. */
  prevHash: string | null;
  pages: AsyncIterable<AuditEvent[]> | Iterable<AuditEvent[]>;
  checkpoints: readonly SignedCheckpoint[];
  publicKeyPem: string;
}): Promise<RangeVerdict> {
  const { fromPosition, toPosition } = input;
  if (fromPosition > toPosition) return { ok: true, checked: 0 };
  if (input.prevHash === null)
    return { ok: false, checked: 0, firstBadPosition: Math.max(1, fromPosition - 1) };
  const byPosition = new Map<number, SignedCheckpoint[]>();
  for (const c of input.checkpoints) byPosition.set(c.position, [...(byPosition.get(c.position) ?? []), c]);
  const verifier = new ChainVerifier(fromPosition === 1 ? GENESIS_HASH : input.prevHash, fromPosition);
  let good: SignedCheckpoint | undefined;
  outer: for await (const page of input.pages) {
    for (const e of page) {
      if (e.position > toPosition) break outer;
      if (!verifier.push(e)) break outer;
      for (const c of byPosition.get(e.position) ?? []) {
        const valid =
          c.publicKey.trim() === input.publicKeyPem.trim() &&
          c.hash === e.hash &&
          c.tenantId === e.tenantId &&
          verifyCheckpoint(c, input.publicKeyPem);
        if (!valid) {
          verifier.fail(e.position);
          break outer;
        }
        good = c;
      }
    }
  }
  let r = verifier.result();
  // Rows missing at the end of the range are a gap too.
  if (r.ok && verifier.expectedPosition <= toPosition) {
    verifier.fail(verifier.expectedPosition);
    r = verifier.result();
  }
  return r.ok
    ? { ok: true, checked: r.checked, ...(good ? { checkpoint: good } : {}) }
    : {
        ok: false,
        checked: r.checked,
        firstBadPosition: r.firstBadPosition,
        ...(good ? { checkpoint: good } : {}),
      };
}
