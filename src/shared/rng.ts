// A counter-based generator: every stream is derived by hashing its key, never from shared
// sequential state, so the same parts give the same numbers in any order, on any worker, on any
// machine. Integer-only mixing (Math.imul, >>> 0) keeps it exact. Neutral ground: the engine keys
// it by (seed, epoch, sampleId, opIndex) in src/main/augment/rng.ts, the catalog's seeded split by
// (seed, key).

/** cyrb128 over the UTF-16 code units of `s`: four 32-bit words. */
function cyrb128(s: string): [number, number, number, number] {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  h1 ^= h2 ^ h3 ^ h4
  h2 ^= h1
  h3 ^= h1
  h4 ^= h1
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}

/** A small, fast, well-tested generator (sfc32) seeded from a hashed key. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number
  constructor(state: [number, number, number, number]) {
    ;[this.a, this.b, this.c, this.d] = state
    for (let i = 0; i < 12; i++) this.u32() // decorrelate nearby keys
  }
  static fromParts(...parts: Array<string | number>): Rng {
    return new Rng(cyrb128(parts.map((p) => (typeof p === 'number' ? `n${p}` : `s${p}`)).join('\u0000')))
  }
  u32(): number {
    this.a >>>= 0
    this.b >>>= 0
    this.c >>>= 0
    this.d >>>= 0
    let t = (this.a + this.b) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.d = (this.d + 1) | 0
    t = (t + this.d) | 0
    this.c = (this.c + t) | 0
    return t >>> 0
  }
  /** Uniform in [0, 1) with 53 bits. */
  next(): number {
    const hi = this.u32() >>> 5
    const lo = this.u32() >>> 6
    return (hi * 67108864 + lo) / 9007199254740992
  }
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next()
  }
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }
  chance(p: number): boolean {
    return p >= 1 ? (this.next(), true) : this.next() < p
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
  /** The generator's state (four 32-bit words), for a native kernel that continues this stream. */
  state(): Uint32Array {
    return Uint32Array.of(this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0)
  }
  /** A fresh 32-bit seed for a sub-stream (e.g. per-pixel noise recorded in a plan). */
  seed32(): number {
    return this.u32()
  }
}
