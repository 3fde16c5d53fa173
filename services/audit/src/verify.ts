import { GENESIS_HASH } from './canonical.js';
import { type SignedCheckpoint, type TrustedKeys, verifyCheckpoint } from './checkpoint.js';
import { type AuditEvent, ChainVerifier, type LinkFailure } from './event.js';

/**
 * The verification rules of an audit chain range, shared by GET /v1/audit/verify and the
 * offline `verify-export`, so both mean the same thing by "ok". Pure: events and checkpoints are
 * handed in, nothing is read here. The rules and the reasons for them are in
 * docs/audit-verification.md.
 */

export type FailureReason =
  | LinkFailure
  | 'checkpoint_untrusted'
  | 'checkpoint_signature'
  | 'checkpoint_hash'
  | 'checkpoint_link'
  | 'checkpoint_outside_range';

export interface Failure {
  position: number;
  reason: FailureReason;
  detail: string;
}

export type VerifiedCheckpoint = SignedCheckpoint & { keyId: string };

export interface RangeVerdict {
  /** True only when nothing failed and every position of the range is covered by a trusted checkpoint. */
  ok: boolean;
  status: 'verified' | 'unverified' | 'failed';
  fromPosition: number;
  toPosition: number;
  /** Events whose position, link and hash held. */
  checked: number;
  /** Checkpoints whose key, signature, hash and link held. */
  checkpoints: number;
  /** The last position a trusted checkpoint vouches for (fromPosition - 1 when none does). */
  verifiedThrough: number;
  /** Positions after verifiedThrough: no trusted signature covers them (yet). */
  unverified?: { fromPosition: number; toPosition: number; count: number };
  firstBadPosition?: number;
  failure?: Failure;
  /** The last checkpoint that held: the range is signed up to it. */
  checkpoint?: VerifiedCheckpoint;
}

export interface RangeInput {
  tenantId: string;
  fromPosition: number;
  toPosition: number;
  /** Hash of the event before fromPosition (ignored at position 1); null when that event is missing. */
  prevHash: string | null;
  /** Every checkpoint the source holds for the range; any outside it fails the range. */
  checkpoints: readonly SignedCheckpoint[];
  trusted: TrustedKeys;
}

const REASONS: Record<FailureReason, string> = {
  position: 'an event is missing, duplicated or out of order',
  link: "the event's prevHash is not the hash of the event before it",
  hash: "the event's hash does not match its content",
  checkpoint_untrusted: 'the checkpoint is not signed by a trusted key',
  checkpoint_signature: 'the checkpoint signature does not verify',
  checkpoint_hash: "the checkpoint's hash is not the chain's hash at its position",
  checkpoint_link: 'a checkpoint before this one is missing',
  checkpoint_outside_range: 'a checkpoint lies outside the verified range',
};

/** Walks one range event by event; feed it with push() in position order, then call finish(). */
export class RangeVerifier {
  private readonly chain: ChainVerifier;
  private readonly byPosition = new Map<number, SignedCheckpoint[]>();
  private failure: Failure | null = null;
  private good: VerifiedCheckpoint | undefined;
  private accepted = 0;
  /** Positions of checkpoints outside the range: failures, reported once the walk is done. */
  private readonly outside: number[] = [];

  constructor(private readonly input: RangeInput) {
    const { fromPosition, toPosition } = input;
    this.chain = new ChainVerifier(
      fromPosition === 1 ? GENESIS_HASH : (input.prevHash ?? GENESIS_HASH),
      fromPosition,
    );
    if (fromPosition > 1 && input.prevHash === null) this.fail(fromPosition - 1, 'position');
    for (const c of input.checkpoints) {
      if (c.position < fromPosition || c.position > toPosition) this.outside.push(c.position);
      else this.byPosition.set(c.position, [...(this.byPosition.get(c.position) ?? []), c]);
    }
  }

  /** Returns false once the range has failed or is complete, so the caller can stop reading. */
  push(events: readonly AuditEvent[]): boolean {
    for (const e of events) {
      if (this.failure) return false;
      if (e.position > this.input.toPosition || this.chain.expectedPosition > this.input.toPosition) {
        this.fail(this.chain.expectedPosition, 'position');
        return false;
      }
      // The hash covers the tenant, so an event of another chain fails as a wrong hash.
      if (e.tenantId !== this.input.tenantId) this.chain.fail(this.chain.expectedPosition, 'hash');
      if (!this.chain.push(e)) {
        const r = this.chain.result();
        if (!r.ok) this.fail(r.firstBadPosition, r.reason);
        return false;
      }
      for (const c of this.byPosition.get(e.position) ?? []) if (!this.acceptCheckpoint(c, e)) return false;
    }
    return !this.failure;
  }

  private acceptCheckpoint(c: SignedCheckpoint, e: AuditEvent): boolean {
    const key = this.input.trusted.lookup(c.publicKey);
    const prev = this.good?.position;
    const linkHolds =
      c.prevPosition === undefined ||
      (c.prevPosition < this.input.fromPosition ? prev === undefined : prev === c.prevPosition);
    const reason: FailureReason | null = !key
      ? 'checkpoint_untrusted'
      : c.tenantId !== this.input.tenantId || !verifyCheckpoint(c, key.key)
        ? 'checkpoint_signature'
        : c.hash !== e.hash
          ? 'checkpoint_hash'
          : !linkHolds
            ? 'checkpoint_link'
            : null;
    if (reason) {
      this.fail(
        e.position,
        reason,
        reason === 'checkpoint_link' ? `names position ${c.prevPosition} as the checkpoint before it` : '',
      );
      return false;
    }
    this.good = { ...c, keyId: key!.keyId };
    this.accepted += 1;
    return true;
  }

  private fail(position: number, reason: FailureReason, more = ''): void {
    if (this.failure && this.failure.position <= position) return;
    this.failure = { position, reason, detail: more ? `${REASONS[reason]}: ${more}` : REASONS[reason] };
  }

  finish(): RangeVerdict {
    const { fromPosition, toPosition } = this.input;
    // Rows missing at the end of the range are a gap too.
    if (!this.failure && this.chain.expectedPosition <= toPosition)
      this.fail(this.chain.expectedPosition, 'position');
    for (const p of this.outside) this.fail(p, 'checkpoint_outside_range');
    const verifiedThrough = this.good?.position ?? fromPosition - 1;
    const count = Math.max(0, toPosition - verifiedThrough);
    const failure = this.failure;
    return {
      ok: !failure && count === 0,
      status: failure ? 'failed' : count > 0 ? 'unverified' : 'verified',
      fromPosition,
      toPosition,
      checked: this.chain.result().checked,
      checkpoints: this.accepted,
      verifiedThrough,
      ...(count > 0 ? { unverified: { fromPosition: verifiedThrough + 1, toPosition, count } } : {}),
      ...(failure ? { firstBadPosition: failure.position, failure } : {}),
      ...(this.good ? { checkpoint: this.good } : {}),
    };
  }
}

/**
 * What GET /v1/audit/verify answers and `cli verify-export` prints, field for field. The checkpoint
 * is summarised (its key is named by keyId; the PEM is in the trusted list already).
 */
export const verdictView = (v: RangeVerdict, lastPosition?: number) => {
  const c = v.checkpoint;
  return {
    ok: v.ok,
    status: v.status,
    fromPosition: v.fromPosition,
    toPosition: v.toPosition,
    ...(lastPosition !== undefined ? { lastPosition } : {}),
    checked: v.checked,
    checkpoints: v.checkpoints,
    verifiedThrough: v.verifiedThrough,
    ...(v.unverified ? { unverified: v.unverified } : {}),
    ...(v.firstBadPosition !== undefined ? { firstBadPosition: v.firstBadPosition, failure: v.failure } : {}),
    ...(c
      ? {
          checkpoint: {
            position: c.position,
            hash: c.hash,
            signature: c.signature,
            signedAt: c.signedAt,
            ...(c.prevPosition !== undefined ? { prevPosition: c.prevPosition } : {}),
            keyId: c.keyId,
          },
        }
      : {}),
  };
};

/** Verifies a range held in memory. */
export function verifyEvents(input: RangeInput, events: readonly AuditEvent[]): RangeVerdict {
  const v = new RangeVerifier(input);
  v.push(events);
  return v.finish();
}

/** Verifies a range read page by page (constant memory); stops reading at the first failure. */
export async function verifyRange(
  input: RangeInput & { pages: AsyncIterable<AuditEvent[]> | Iterable<AuditEvent[]> },
): Promise<RangeVerdict> {
  const v = new RangeVerifier(input);
  for await (const page of input.pages) if (!v.push(page)) break;
  return v.finish();
}
