import { createHash } from 'node:crypto';

/**
 * What an answer knows of a set of equipment over one time range (a calendar bucket of the answer,
 * clipped to its window): for OEE, the rendered row. An analyst's next window mostly repeats the last
 * one's buckets (the next day, another line of the same site, a wider month), so answers are assembled
 * from fragments and only the missing ranges are read from ClickHouse.
 *
 * A fragment is correct until the projector rewrites a bucket under it. The projector announces every
 * write after it lands (`takt.projector.applied`); `invalidate` drops the fragments it overlaps. Fills
 * race with those announcements: a read that began before an announcement overlapping one of its ranges,
 * for one of its equipment, may have seen the old rows, so it is not kept (`begin` / `put`). An
 * announcement elsewhere in time (the projector re-marks the recent buckets of open states every tick)
 * leaves the fill alone. Without a live feed nothing is kept.
 */

export interface EquipmentSet {
  readonly tenantId: string;
  readonly equipmentIds: readonly string[];
  /** Same tenant and same equipment (in any order) give the same key. */
  readonly key: string;
}

export function equipmentSet(tenantId: string, equipmentIds: readonly string[]): EquipmentSet {
  const digest = createHash('sha1')
    .update([...equipmentIds].sort().join(','))
    .digest('base64url');
  return { tenantId, equipmentIds, key: `${tenantId}|${equipmentIds.length}|${digest}` };
}

export interface FragmentCacheOptions {
  /** Memory bound: an OEE fragment (its rendered row) takes about 770 bytes of heap. */
  readonly maxFragments: number;
  /** A fragment older than this is read again, whatever the feed said: a bound on any lost message. */
  readonly maxAgeMs: number;
  readonly clock?: () => number;
}

interface Fragment<T> {
  readonly at: number;
  readonly value: T;
}

interface Stored<T> {
  readonly set: EquipmentSet;
  /**
   * By range start, then end (windows clip their first and last buckets differently), both in minutes:
   * answers are on a 15-minute grid, and minutes since 1970 are small integers, which V8 hashes
   * faster than millisecond doubles (a warm 7-day hourly answer looks up 168 of them).
   */
  readonly fragments: Map<number, Map<number, Fragment<T>>>;
}

const minutes = (ms: number): number => ms / 60_000;

/** One announced rewrite of an equipment's buckets, in the order the feed delivered it. */
interface Announcement {
  readonly seq: number;
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * The latest announcements kept per equipment for racing fills; a fill older than the ones dropped
 * is treated as overlapping them. Fills take milliseconds, ticks come every few seconds: a few suffice.
 */
const KEPT_ANNOUNCEMENTS = 16;

interface Touched {
  readonly recent: Announcement[];
  /** The sequence number of the newest announcement no longer in `recent`. */
  forgottenSeq: number;
}

export interface FragmentStats {
  readonly live: boolean;
  readonly fragments: number;
  readonly sets: number;
  readonly hits: number;
  readonly misses: number;
}

const memberKey = (tenantId: string, equipmentId: string) => `${tenantId}|${equipmentId}`;

export class FragmentCache<T> {
  private readonly stored = new Map<string, Stored<T>>();
  /** Equipment → the keys of the stored sets that contain it. */
  private readonly members = new Map<string, Set<string>>();
  /** Equipment → its latest announcements. */
  private readonly touched = new Map<string, Touched>();
  private seq = 0;
  /** Fills that began before this sequence number are not kept (the feed was down or restarted). */
  private floor = Number.MAX_SAFE_INTEGER;
  private size = 0;
  private hits = 0;
  private misses = 0;
  private readonly clock: () => number;

  constructor(private readonly opts: FragmentCacheOptions) {
    this.clock = opts.clock ?? Date.now;
  }

  /** Whether fragments are being kept: only while the invalidation feed is live. */
  get live(): boolean {
    return this.floor !== Number.MAX_SAFE_INTEGER;
  }

  /** The feed is live from now on: keep fills that begin after this call. */
  enable(): void {
    this.seq += 1;
    this.floor = this.seq;
  }

  /** The feed is down: forget everything and keep nothing until `enable`. */
  disable(): void {
    this.floor = Number.MAX_SAFE_INTEGER;
    this.clear();
  }

  /** Everything changed at once (a rebuild swapped the tables in). */
  flush(): void {
    this.seq += 1;
    if (this.live) this.floor = this.seq;
    this.clear();
  }

  /** A token for a fill about to read ClickHouse; `put` keeps its result only if nothing changed since. */
  begin(): number {
    return this.seq;
  }

  get(set: EquipmentSet, start: number, end: number): T | undefined {
    return this.getAll(set, [{ start, end }])[0];
  }

  /** The kept value of each range, or undefined where none is kept (or it is too old). */
  getAll(set: EquipmentSet, ranges: readonly { start: number; end: number }[]): (T | undefined)[] {
    const stored = this.stored.get(set.key);
    if (stored === undefined) {
      this.misses += ranges.length;
      return ranges.map(() => undefined);
    }
    const oldest = this.clock() - this.opts.maxAgeMs;
    return ranges.map((r) => {
      const fragment = stored.fragments.get(minutes(r.start))?.get(minutes(r.end));
      if (fragment === undefined || fragment.at < oldest) {
        this.misses += 1;
        return undefined;
      }
      this.hits += 1;
      return fragment.value;
    });
  }

  /**
   * Keeps the fragments of one fill, unless an announcement for one of its equipment that overlaps one
   * of its ranges came after `token`.
   */
  put(
    set: EquipmentSet,
    token: number,
    fragments: readonly { start: number; end: number; value: T }[],
  ): boolean {
    if (token < this.floor || fragments.length === 0) return false;
    for (const id of set.equipmentIds)
      if (this.raced(memberKey(set.tenantId, id), token, fragments)) return false;
    let stored = this.stored.get(set.key);
    if (stored === undefined) {
      stored = { set, fragments: new Map() };
      this.stored.set(set.key, stored);
      for (const id of set.equipmentIds) {
        const key = memberKey(set.tenantId, id);
        const sets = this.members.get(key);
        if (sets === undefined) this.members.set(key, new Set([set.key]));
        else sets.add(set.key);
      }
    }
    const at = this.clock();
    for (const f of fragments) {
      let ends = stored.fragments.get(minutes(f.start));
      if (ends === undefined) {
        ends = new Map();
        stored.fragments.set(minutes(f.start), ends);
      }
      if (!ends.has(minutes(f.end))) this.size += 1;
      ends.set(minutes(f.end), { at, value: f.value });
    }
    if (this.size > this.opts.maxFragments) this.evict();
    return true;
  }

  /** The projector rewrote the buckets of one equipment in `[fromMs, toMs)`. */
  invalidate(tenantId: string, equipmentId: string, fromMs: number, toMs: number): void {
    this.seq += 1;
    const key = memberKey(tenantId, equipmentId);
    this.remember(key, { seq: this.seq, fromMs, toMs });
    for (const setKey of this.members.get(key) ?? []) {
      const stored = this.stored.get(setKey);
      if (stored === undefined) continue;
      for (const [start, ends] of stored.fragments) {
        if (start >= minutes(toMs)) continue;
        for (const end of ends.keys()) {
          if (end <= minutes(fromMs)) continue;
          ends.delete(end);
          this.size -= 1;
        }
        if (ends.size === 0) stored.fragments.delete(start);
      }
    }
  }

  stats(): FragmentStats {
    return {
      live: this.live,
      fragments: this.size,
      sets: this.stored.size,
      hits: this.hits,
      misses: this.misses,
    };
  }

  private remember(key: string, announcement: Announcement): void {
    let touched = this.touched.get(key);
    if (touched === undefined) {
      touched = { recent: [], forgottenSeq: 0 };
      this.touched.set(key, touched);
    }
    touched.recent.push(announcement);
    if (touched.recent.length > KEPT_ANNOUNCEMENTS) touched.forgottenSeq = touched.recent.shift()?.seq ?? 0;
  }

  /** Whether an announcement after `token` may have rewritten rows under one of `ranges`. */
  private raced(key: string, token: number, ranges: readonly { start: number; end: number }[]): boolean {
    const touched = this.touched.get(key);
    if (touched === undefined) return false;
    if (touched.forgottenSeq > token) return true;
    return touched.recent.some(
      (a) => a.seq > token && ranges.some((r) => r.start < a.toMs && r.end > a.fromMs),
    );
  }

  private clear(): void {
    this.stored.clear();
    this.members.clear();
    this.size = 0;
  }

  /** Drops the sets stored longest ago until a tenth of the room is free again. */
  private evict(): void {
    const target = Math.floor(this.opts.maxFragments * 0.9);
    for (const [key, stored] of this.stored) {
      if (this.size <= target) break;
      for (const ends of stored.fragments.values()) this.size -= ends.size;
      this.stored.delete(key);
      for (const id of stored.set.equipmentIds) {
        const member = memberKey(stored.set.tenantId, id);
        const sets = this.members.get(member);
        sets?.delete(key);
        if (sets?.size === 0) this.members.delete(member);
      }
    }
  }
}
