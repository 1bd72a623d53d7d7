// A small seeded random number generator for the examples, so that a run
// with the same seed prints the same thing (and tests can check it).
// Math.random cannot be seeded; this is mulberry32, good enough for dice
// and k-means restarts, not for cryptography or serious statistics.

/** Mixes two integers into one well-spread 32-bit seed (splitmix-style). */
export function mixSeed(seed: number, stream: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul((stream | 0) + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
  return (h ^ (h >>> 15)) >>> 0;
}

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /**
   * An independent generator for stream `stream` of `seed`: one per rank, or
   * one per k-means restart, so results do not depend on how work is split.
   */
  static stream(seed: number, stream: number): Random {
    return new Random(mixSeed(seed, stream));
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [low, high], both included (Python's random.randint). */
  randint(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  /** A normally distributed number (Box-Muller). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next(); // in (0, 1]: log(0) would be -Infinity
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** `k` distinct integers from [0, n), in random order (a partial Fisher-Yates shuffle). */
  sample(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`cannot pick ${k} distinct values out of ${n}`);
    const pool = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(this.next() * (n - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, k);
  }
}
