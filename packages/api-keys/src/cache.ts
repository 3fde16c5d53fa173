import type { Principal } from '@takt/http';

interface Entry {
  /** The key this entry is about: a change notified for this id drops it. */
  keyId: string;
  principal: Principal | null;
  /** When the lookup that produced it started. */
  at: number;
}

/**
 * Resolved API keys by the SHA-256 of the presented token, for at most `ttlMs`, and dropped as soon
 * as a change of their key is announced (docs/api-keys.md). Unknown keys are kept too, so a
 * client retrying with a wrong key does not cost a lookup per request.
 *
 * A lookup that was running while any key changed is not kept: it may have read the row before
 * the change committed. Each change bumps `generation`; `set` ignores answers from an older one.
 */
export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private gen = 0;

  constructor(
    readonly ttlMs: number,
    readonly maxEntries = 10_000,
  ) {}

  /** Pass it to `set` with the answer of a lookup started now. */
  get generation(): number {
    return this.gen;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The kept answer for a hash, or undefined when there is none younger than the TTL. */
  get(hash: string, now: number): { principal: Principal | null } | undefined {
    const entry = this.entries.get(hash);
    if (entry === undefined) return undefined;
    // A clock that went backwards must not make an entry live longer than the TTL either.
    if (now - entry.at >= this.ttlMs || now < entry.at) {
      this.entries.delete(hash);
      return undefined;
    }
    return { principal: entry.principal };
  }

  set(hash: string, keyId: string, principal: Principal | null, startedAt: number, generation: number): void {
    if (this.ttlMs <= 0 || generation !== this.gen) return;
    this.entries.delete(hash);
    // Oldest first out: a flood of made-up keys pushes out old entries, never fills memory.
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(hash, { keyId, principal, at: startedAt });
  }

  /** A key was created, revoked, changed or deleted: forget what was known about it. */
  invalidate(keyId: string): void {
    this.gen += 1;
    for (const [hash, entry] of this.entries) if (entry.keyId === keyId) this.entries.delete(hash);
  }

  /** Changes may have been missed (the listener was down): forget everything. */
  clear(): void {
    this.gen += 1;
    this.entries.clear();
  }
}
