/**
 * Seeded randomness with no global state. Every random decision of the simulator draws from a
 * generator seeded by `hash32(seed, …what it decides about)`, never from a shared stream, so
 * any hour of any machine can be generated alone and comes out the same as in a long run.
 */

export type Rng = () => number;

/** FNV-1a over the parts, then murmur3's finalizer: FNV alone mixes the last bytes poorly. */
export function hash32(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = typeof part === 'number' ? `#${part}` : part;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    // A separator, so ('ab', 'c') and ('a', 'bc') differ.
    h ^= 0xff;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: 32 bits of state, plenty for the few hundred draws one seed ever makes. Values in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const rngFor = (...parts: readonly (string | number)[]): Rng => mulberry32(hash32(...parts));

export const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();

export const intBetween = (rng: Rng, lo: number, hi: number): number => Math.floor(uniform(rng, lo, hi + 1));

/** Exponential waiting time with the given mean: the gap between events of a Poisson process. */
export const exponential = (rng: Rng, mean: number): number => -mean * Math.log(1 - rng());

/** Log-uniform in [lo, hi]: short stops are common, long ones rare, as on real machines. */
export const logUniform = (rng: Rng, lo: number, hi: number): number =>
  Math.exp(uniform(rng, Math.log(lo), Math.log(hi)));

/** Standard normal by Box–Muller (one of the pair is dropped: simplicity over speed). */
export const normal = (rng: Rng): number => {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
};

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** Binomial draw; exact by Bernoulli trials for the small counts of one production record. */
export function binomial(rng: Rng, n: number, p: number): number {
  if (n <= 200) {
    let k = 0;
    for (let i = 0; i < n; i++) if (rng() < p) k++;
    return k;
  }
  const k = Math.round(n * p + Math.sqrt(n * p * (1 - p)) * normal(rng));
  return Math.min(n, Math.max(0, k));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A UUID shaped like v4 (version and variant bits set), its 122 random bits drawn from `rng`. */
export function uuidFrom(rng: Rng): string {
  const b = new Array<number>(16);
  for (let i = 0; i < 16; i += 4) {
    const w = Math.floor(rng() * 4294967296);
    b[i] = w >>> 24;
    b[i + 1] = (w >>> 16) & 0xff;
    b[i + 2] = (w >>> 8) & 0xff;
    b[i + 3] = w & 0xff;
  }
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.map((x) => HEX[x] ?? '00');
  return `${h.slice(0, 4).join('')}-${h.slice(4, 6).join('')}-${h.slice(6, 8).join('')}-${h.slice(8, 10).join('')}-${h.slice(10).join('')}`;
}

/** A stable id: the same seed and key give the same UUID in every run and every chunking. */
export const stableUuid = (...parts: readonly (string | number)[]): string => {
  // One 32-bit seed has only 2^32 outcomes: a week of a plant would hit a birthday collision.
  // Two independent hashes interleaved give 64 bits.
  const a = hash32(...parts);
  const b = hash32('uuid', a, ...parts);
  const r1 = mulberry32(a);
  const r2 = mulberry32(b);
  let flip = false;
  return uuidFrom(() => {
    flip = !flip;
    return flip ? r1() : r2();
  });
};
