// Lockstep's own check of a whole JPEG, the reference for native/decoders/check_jpeg.c (which
// must give the same verdict, in the same words, for every input: test/io/check.test.ts and the
// fuzzer compare them). It reads every marker segment and decodes every scan's entropy-coded data
// to its end, Huffman code by Huffman code, without any IDCT: a file cut short, a scan whose data
// stops before the MCUs its frame header claims, a bad Huffman code, a coefficient outside its
// block, restart markers out of order, stray bytes, and a progressive image whose scans leave
// coefficients unfinished are all reported, each with where it was found. It is at least as
// strict as libjpeg-turbo reading the coefficients (every error and every data warning of
// libjpeg's is a problem here too: the fuzzer checks that), so a file that passes decodes
// without complaint in libvips and in the native region decoder alike.
//
// Baseline, extended (8-bit Huffman) and progressive files are checked; arithmetic-coded,
// lossless, hierarchical and 12-bit files are `unsupported` (the caller decodes them fully
// instead). Missing Huffman tables 0 and 1 are the standard ones, as libjpeg-turbo assumes for
// Motion-JPEG frames.
/** TOO_LARGE: `problem` is the frame's size, WxH. */
export type JpegCheck = { ok: true } | { ok: false; kind: 'CORRUPT' | 'TOO_LARGE'; problem: string } | { ok: null; unsupported: string }

/** More scans than this is refused (libjpeg's simple progression writes 10; a file of thousands is an attack on the decoder). */
export const MAX_SCANS = 1000
const MAX_DIMENSION = 65500

// The standard tables (JPEG Annex K.3), used where a file defines none (libjpeg-turbo's jstdhuff.c).
const STD_DC_BITS = [
  [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
  [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
]
const STD_DC_VALS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
const STD_AC_BITS = [
  [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
]
// prettier-ignore
const STD_AC_VALS = [
  [0x01,0x02,0x03,0x00,0x04,0x11,0x05,0x12,0x21,0x31,0x41,0x06,0x13,0x51,0x61,0x07,0x22,0x71,0x14,0x32,0x81,0x91,0xa1,0x08,0x23,0x42,0xb1,0xc1,0x15,0x52,0xd1,0xf0,
   0x24,0x33,0x62,0x72,0x82,0x09,0x0a,0x16,0x17,0x18,0x19,0x1a,0x25,0x26,0x27,0x28,0x29,0x2a,0x34,0x35,0x36,0x37,0x38,0x39,0x3a,0x43,0x44,0x45,0x46,0x47,0x48,0x49,
   0x4a,0x53,0x54,0x55,0x56,0x57,0x58,0x59,0x5a,0x63,0x64,0x65,0x66,0x67,0x68,0x69,0x6a,0x73,0x74,0x75,0x76,0x77,0x78,0x79,0x7a,0x83,0x84,0x85,0x86,0x87,0x88,0x89,
   0x8a,0x92,0x93,0x94,0x95,0x96,0x97,0x98,0x99,0x9a,0xa2,0xa3,0xa4,0xa5,0xa6,0xa7,0xa8,0xa9,0xaa,0xb2,0xb3,0xb4,0xb5,0xb6,0xb7,0xb8,0xb9,0xba,0xc2,0xc3,0xc4,0xc5,
   0xc6,0xc7,0xc8,0xc9,0xca,0xd2,0xd3,0xd4,0xd5,0xd6,0xd7,0xd8,0xd9,0xda,0xe1,0xe2,0xe3,0xe4,0xe5,0xe6,0xe7,0xe8,0xe9,0xea,0xf1,0xf2,0xf3,0xf4,0xf5,0xf6,0xf7,0xf8,
   0xf9,0xfa],
  [0x00,0x01,0x02,0x03,0x11,0x04,0x05,0x21,0x31,0x06,0x12,0x41,0x51,0x07,0x61,0x71,0x13,0x22,0x32,0x81,0x08,0x14,0x42,0x91,0xa1,0xb1,0xc1,0x09,0x23,0x33,0x52,0xf0,
   0x15,0x62,0x72,0xd1,0x0a,0x16,0x24,0x34,0xe1,0x25,0xf1,0x17,0x18,0x19,0x1a,0x26,0x27,0x28,0x29,0x2a,0x35,0x36,0x37,0x38,0x39,0x3a,0x43,0x44,0x45,0x46,0x47,0x48,
   0x49,0x4a,0x53,0x54,0x55,0x56,0x57,0x58,0x59,0x5a,0x63,0x64,0x65,0x66,0x67,0x68,0x69,0x6a,0x73,0x74,0x75,0x76,0x77,0x78,0x79,0x7a,0x82,0x83,0x84,0x85,0x86,0x87,
   0x88,0x89,0x8a,0x92,0x93,0x94,0x95,0x96,0x97,0x98,0x99,0x9a,0xa2,0xa3,0xa4,0xa5,0xa6,0xa7,0xa8,0xa9,0xaa,0xb2,0xb3,0xb4,0xb5,0xb6,0xb7,0xb8,0xb9,0xba,0xc2,0xc3,
   0xc4,0xc5,0xc6,0xc7,0xc8,0xc9,0xca,0xd2,0xd3,0xd4,0xd5,0xd6,0xd7,0xd8,0xd9,0xda,0xe2,0xe3,0xe4,0xe5,0xe6,0xe7,0xe8,0xe9,0xea,0xf2,0xf3,0xf4,0xf5,0xf6,0xf7,0xf8,
   0xf9,0xfa],
]

/** A marker's name in messages: SOF0-15, DHT, DQT, SOS, EOI, RST0-7, APP0-15, COM, ... or 0xFFxx. */
export function markerName(m: number): string {
  if (m >= 0xd0 && m <= 0xd7) return `RST${m - 0xd0}`
  if (m >= 0xe0 && m <= 0xef) return `APP${m - 0xe0}`
  const named: Record<number, string> = {
    0xc4: 'DHT',
    0xc8: 'JPG',
    0xcc: 'DAC',
    0xd8: 'SOI',
    0xd9: 'EOI',
    0xda: 'SOS',
    0xdb: 'DQT',
    0xdc: 'DNL',
    0xdd: 'DRI',
    0xfe: 'COM',
    0x01: 'TEM',
  }
  if (named[m]) return named[m]
  if (m >= 0xc0 && m <= 0xcf) return `SOF${m - 0xc0}`
  return `0xFF${m.toString(16).toUpperCase().padStart(2, '0')}`
}

interface Table {
  /** 9-bit lookahead: (length << 8) | symbol, 0 when the code is longer or absent */
  fast: Uint16Array
  maxcode: Int32Array
  valoff: Int32Array
  vals: Uint8Array
  /** each code's length and value, in table order (for the sequential fast path's tables) */
  sizes: Uint8Array
  codes: Int32Array
  /** the sequential fast path's look-ups, made on first use (tables are shared between files: tableOf) */
  dcLook?: Uint8Array
  acOne?: Uint16Array
  acRuns?: Uint16Array
  oneCode?: Int32Array
}

interface Component {
  id: number
  h: number
  v: number
  tq: number
  wBlocks: number
  hBlocks: number
  /** sequential: scans that coded it */
  scans: number
  /** progressive: the successive-approximation bit each coefficient reached (-1: never coded) */
  coefBits: Int8Array
  /** progressive: which coefficients of each block are nonzero (two 32-bit words per block) */
  nz: Uint32Array | null
}

class Problem extends Error {}
class TooLarge extends Error {}
class Unsupported extends Error {}

const fail = (problem: string): never => {
  throw new Problem(problem)
}

/** Builds the decoding tables from DHT counts and values (libjpeg's checks: no code all ones, DC symbols <= 15). */
function buildTable(bits: ArrayLike<number>, vals: ArrayLike<number>, dc: boolean): Table | null {
  const sizes: number[] = []
  for (let l = 1; l <= 16; l++) for (let i = 0; i < bits[l - 1]; i++) sizes.push(l)
  const n = sizes.length
  if (n > 256) return null
  const codes = new Int32Array(n)
  let code = 0
  let p = 0
  let si = n ? sizes[0] : 0
  while (p < n) {
    while (p < n && sizes[p] === si) codes[p++] = code++
    if (code >= 1 << si) return null
    code <<= 1
    si++
  }
  if (dc) for (let i = 0; i < n; i++) if (vals[i] > 15) return null
  const maxcode = new Int32Array(18).fill(-1)
  const valoff = new Int32Array(17)
  for (let l = 1, q = 0; l <= 16; l++) {
    const c = bits[l - 1]
    if (c) {
      valoff[l] = q - codes[q]
      q += c
      maxcode[l] = codes[q - 1]
    }
  }
  const fast = new Uint16Array(512)
  for (let i = 0; i < n; i++) {
    const l = sizes[i]
    if (l > 9) break
    const lo = codes[i] << (9 - l)
    for (let k = 0; k < 1 << (9 - l); k++) fast[lo + k] = (l << 8) | vals[i]
  }
  return { fast, maxcode, valoff, vals: Uint8Array.from(vals), sizes: Uint8Array.from(sizes), codes }
}

/**
 * Tables built from the same counts and values are the same: most files of a dataset share theirs
 * (often the standard ones). Each is found by its counts and values, compared byte by byte (a
 * string key built per table and file cost more).
 */
const tables: { dc: boolean; bytes: Uint8Array; table: Table | null }[] = []
const MAX_TABLES = 64

function tableOf(bits: ArrayLike<number>, vals: ArrayLike<number>, dc: boolean): Table | null {
  const n = vals.length
  find: for (let j = 0; j < tables.length; j++) {
    const c = tables[j]
    if (c.dc !== dc || c.bytes.length !== 16 + n) continue
    const k = c.bytes
    for (let i = 0; i < 16; i++) if (k[i] !== bits[i]) continue find
    for (let i = 0; i < n; i++) if (k[16 + i] !== vals[i]) continue find
    return c.table
  }
  const bytes = new Uint8Array(16 + n)
  for (let i = 0; i < 16; i++) bytes[i] = bits[i]
  for (let i = 0; i < n; i++) bytes[16 + i] = vals[i]
  const table = buildTable(bits, vals, dc)
  if (tables.length >= MAX_TABLES) tables.length = 0
  tables.push({ dc, bytes, table })
  return table
}

const RAN_OUT = -1
const BAD_CODE = -2

/** Entropy-coded data: bytes with 0xFF00 unstuffed, ending at a marker or at the end of the file. */
class Bits {
  acc = 0
  n = 0
  pos: number
  stop = false
  loads = 0
  /** file offset of each of the last 8 bytes loaded (to find the first byte not consumed) */
  readonly ring = new Int32Array(8)
  constructor(
    readonly b: Uint8Array,
    pos: number,
  ) {
    this.pos = pos
  }

  load(): boolean {
    if (this.stop) return false
    const b = this.b
    const p = this.pos
    if (p >= b.length) {
      this.stop = true
      return false
    }
    const v = b[p]
    if (v === 0xff) {
      let q = p + 1
      while (q < b.length && b[q] === 0xff) q++
      if (q >= b.length || b[q] !== 0) {
        this.stop = true
        return false
      }
      this.pos = q + 1
    } else this.pos = p + 1
    this.ring[this.loads & 7] = p
    this.loads++
    this.acc = ((this.acc << 8) | v) >>> 0
    this.n += 8
    return true
  }

  /** s bits (s <= 16) as a number, or RAN_OUT */
  bits(s: number): number {
    while (this.n < s) if (!this.load()) return RAN_OUT
    this.n -= s
    return (this.acc >>> this.n) & ((1 << s) - 1)
  }

  /** the next Huffman symbol, RAN_OUT or BAD_CODE */
  decode(t: Table): number {
    if (this.n < 9) while (this.n <= 24 && this.load());
    if (this.n >= 9) {
      const e = t.fast[(this.acc >>> (this.n - 9)) & 511]
      if (e) {
        this.n -= e >> 8
        return e & 255
      }
    }
    for (let l = 1; l <= 16; l++) {
      while (this.n < l) if (!this.load()) return RAN_OUT
      const code = (this.acc >>> (this.n - l)) & ((1 << l) - 1)
      if (code <= t.maxcode[l]) {
        this.n -= l
        return t.vals[t.valoff[l] + code]
      }
    }
    return BAD_CODE
  }

  /** Drops the bits left in the current byte; the file offset of the first byte not consumed. */
  align(): number {
    this.n -= this.n & 7
    if (this.n > 0) return this.ring[(this.loads - this.n / 8) & 7]
    return this.pos
  }
}

interface Scan {
  index: number
  at: number
  comps: Component[]
  dc: (Table | null)[]
  ac: (Table | null)[]
  ss: number
  se: number
  ah: number
  al: number
}

/**
 * Checks a whole JPEG. `maxPixels`: larger frames are TOO_LARGE (the decompression-bomb guard,
 * also bounding this check's own memory). `fast: false`: sequential scans without their fast
 * path (the same verdicts in the same words; tests compare the two).
 */
export function checkJpeg(b: Uint8Array, maxPixels: number, opts: { fast?: boolean } = {}): JpegCheck {
  try {
    return new JpegChecker(b, maxPixels, opts.fast ?? true).run()
  } catch (err) {
    if (err instanceof Problem) return { ok: false, kind: 'CORRUPT', problem: err.message }
    if (err instanceof TooLarge) return { ok: false, kind: 'TOO_LARGE', problem: err.message }
    if (err instanceof Unsupported) return { ok: null, unsupported: err.message }
    throw err
  } finally {
    // (the fast path's buffer is kept for the next file, unless a very large one grew it)
    if (unstuffed.length > KEEP_UNSTUFFED) unstuffed = new Uint8Array(1 << 16)
  }
}

class JpegChecker {
  private readonly dcTables: (Uint8Array[] | null)[] = [null, null, null, null]
  private readonly acTables: (Uint8Array[] | null)[] = [null, null, null, null]
  private readonly quant = [false, false, false, false]
  private comps: Component[] = []
  private sof = -1
  private width = 0
  private height = 0
  private hmax = 1
  private vmax = 1
  private restart = 0
  private scans = 0

  constructor(
    private readonly b: Uint8Array,
    private readonly maxPixels: number,
    private readonly fast: boolean,
  ) {}

  run(): JpegCheck {
    const b = this.b
    if (b.length < 2 || b[0] !== 0xff || b[1] !== 0xd8) fail('not a JPEG (it does not start with a start-of-image marker)')
    let pos = 2
    for (;;) {
      // a marker: 0xFF, fill bytes 0xFF, then its code
      if (pos >= b.length) fail(`truncated: the file ends at byte ${b.length} before its end-of-image marker`)
      if (b[pos] !== 0xff) fail(`stray data at byte ${pos} where a marker should be`)
      let q = pos + 1
      while (q < b.length && b[q] === 0xff) q++
      if (q >= b.length) fail(`truncated: the file ends at byte ${b.length} before its end-of-image marker`)
      const m = b[q]
      if (m === 0) fail(`stray data at byte ${pos} where a marker should be`)
      const at = pos
      pos = q + 1
      if (m === 0xd9) return this.end(at)
      if (m === 0xd8) fail(`a second start-of-image marker at byte ${at}`)
      if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) continue
      if (m === 0xc8 || m === 0xde || m === 0xdf || (m >= 0xf0 && m <= 0xfd) || m < 0xc0) fail(`unknown marker ${markerName(m)} at byte ${at}`)
      if (pos + 2 > b.length) fail(`truncated: the file ends at byte ${b.length} inside the ${markerName(m)} segment at byte ${at}`)
      const len = (b[pos] << 8) | b[pos + 1]
      if (len < 2) fail(`the ${markerName(m)} segment at byte ${at} has a bad length (${len})`)
      if (pos + len > b.length) fail(`truncated: the file ends at byte ${b.length} inside the ${markerName(m)} segment at byte ${at}`)
      const seg = b.subarray(pos + 2, pos + len)
      pos += len
      if (m === 0xdb) this.dqt(seg, at)
      else if (m === 0xc4) this.dht(seg, at)
      else if (m === 0xdd) {
        if (len !== 4) fail(`bad DRI segment at byte ${at} (length ${len})`)
        this.restart = (seg[0] << 8) | seg[1]
      } else if (m >= 0xc0 && m <= 0xcf && m !== 0xcc) this.frame(m, seg, at)
      else if (m === 0xda) pos = this.scan(seg, at, pos)
      // APPn, COM, DNL, DAC: nothing to check
    }
  }

  private dqt(seg: Uint8Array, at: number): void {
    let p = 0
    while (p < seg.length) {
      const pq = seg[p] >> 4,
        tq = seg[p] & 15
      if (pq > 1 || tq > 3) fail(`bad DQT segment at byte ${at} (table ${tq}, precision ${pq})`)
      const n = 1 + 64 * (pq + 1)
      if (p + n > seg.length) fail(`bad DQT segment at byte ${at} (table ${tq} is cut short)`)
      this.quant[tq] = true
      p += n
    }
  }

  private dht(seg: Uint8Array, at: number): void {
    let p = 0
    while (seg.length - p > 16) {
      const index = seg[p]
      const cls = index >> 4,
        id = index & 15
      if (cls > 1 || id > 3) fail(`bad DHT segment at byte ${at} (table class ${cls} id ${id})`)
      const bits = seg.subarray(p + 1, p + 17)
      let count = 0
      for (let i = 0; i < 16; i++) count += bits[i]
      if (count > 256 || p + 17 + count > seg.length) fail(`bad DHT segment at byte ${at} (${count} codes)`)
      const vals = seg.subarray(p + 17, p + 17 + count)
      ;(cls ? this.acTables : this.dcTables)[id] = [bits, vals]
      p += 17 + count
    }
    if (p !== seg.length) fail(`bad DHT segment at byte ${at} (length)`)
  }

  private frame(m: number, seg: Uint8Array, at: number): void {
    const name = markerName(m)
    if (this.sof >= 0) fail(`a second frame header (${name}) at byte ${at}`)
    if (m !== 0xc0 && m !== 0xc1 && m !== 0xc2) throw new Unsupported(`${name} (arithmetic-coded, lossless or hierarchical)`)
    if (seg.length < 6) fail(`bad frame header (${name}) at byte ${at} (length ${seg.length + 2})`)
    const precision = seg[0]
    const height = (seg[1] << 8) | seg[2]
    const width = (seg[3] << 8) | seg[4]
    const nf = seg[5]
    if (!height || !width || !nf) fail(`bad frame header (${name}) at byte ${at} (${width}x${height}, ${nf} components)`)
    if (seg.length !== 6 + 3 * nf) fail(`bad frame header (${name}) at byte ${at} (length ${seg.length + 2} for ${nf} components)`)
    if (width > MAX_DIMENSION || height > MAX_DIMENSION) fail(`bad frame header (${name}) at byte ${at} (${width}x${height} exceeds 65500)`)
    if (precision !== 8) throw new Unsupported(`${precision}-bit samples`)
    if (nf > 4) throw new Unsupported(`${nf} components`)
    if (width * height > this.maxPixels) throw new TooLarge(`${width}x${height}`)
    const comps: Component[] = []
    for (let i = 0; i < nf; i++) {
      const id = seg[6 + 3 * i],
        hv = seg[7 + 3 * i],
        tq = seg[8 + 3 * i]
      const h = hv >> 4,
        v = hv & 15
      if (h < 1 || h > 4 || v < 1 || v > 4) fail(`bad frame header (${name}) at byte ${at} (sampling factors ${h}x${v} of component ${id})`)
      if (tq > 3) fail(`bad frame header (${name}) at byte ${at} (quantization table ${tq} of component ${id})`)
      if (comps.some((c) => c.id === id)) throw new Unsupported(`two components with id ${id}`)
      comps.push({ id, h, v, tq, wBlocks: 0, hBlocks: 0, scans: 0, coefBits: new Int8Array(64).fill(-1), nz: null })
    }
    this.hmax = Math.max(...comps.map((c) => c.h))
    this.vmax = Math.max(...comps.map((c) => c.v))
    for (const c of comps) {
      // libjpeg-turbo upsamples integer ratios only
      if (this.hmax % c.h || this.vmax % c.v) throw new Unsupported(`sampling factors ${c.h}x${c.v} of component ${c.id} (max ${this.hmax}x${this.vmax})`)
      c.wBlocks = Math.ceil((width * c.h) / (this.hmax * 8))
      c.hBlocks = Math.ceil((height * c.v) / (this.vmax * 8))
      if (m === 0xc2) c.nz = new Uint32Array(c.wBlocks * c.hBlocks * 2)
    }
    this.sof = m
    this.width = width
    this.height = height
    this.comps = comps
  }

  private table(cls: 0 | 1, id: number, scan: number, at: number): Table {
    const stored = (cls ? this.acTables : this.dcTables)[id]
    const [bits, vals] = stored ?? (id < 2 ? [cls ? STD_AC_BITS[id] : STD_DC_BITS[id], cls ? STD_AC_VALS[id] : STD_DC_VALS] : [null, null])
    if (!bits) fail(`bad scan header ${scan} at byte ${at} (${cls ? 'AC' : 'DC'} Huffman table ${id} is not defined)`)
    const t = tableOf(bits!, vals!, cls === 0)
    if (!t) fail(`bad scan header ${scan} at byte ${at} (${cls ? 'AC' : 'DC'} Huffman table ${id} is not a valid code)`)
    return t!
  }

  /** Parses a scan header and checks its entropy-coded data; returns where the next marker starts. */
  private scan(seg: Uint8Array, at: number, dataStart: number): number {
    const k = ++this.scans
    if (this.sof < 0) fail(`scan ${k} at byte ${at} comes before the frame header`)
    if (k > MAX_SCANS) fail(`more than ${MAX_SCANS} scans`)
    const ns = seg[0] ?? 0
    if (ns < 1 || ns > 4 || seg.length !== 4 + 2 * ns) fail(`bad scan header ${k} at byte ${at} (length ${seg.length + 2} for ${ns} components)`)
    const progressive = this.sof === 0xc2
    const comps: Component[] = []
    const sel: number[] = []
    for (let i = 0; i < ns; i++) {
      const id = seg[1 + 2 * i]
      const c = this.comps.find((x) => x.id === id)
      if (!c) fail(`bad scan header ${k} at byte ${at} (component id ${id} is not in the frame)`)
      if (comps.includes(c!)) fail(`bad scan header ${k} at byte ${at} (component id ${id} twice)`)
      comps.push(c!)
      sel.push(seg[2 + 2 * i])
    }
    const ss = seg[1 + 2 * ns],
      se = seg[2 + 2 * ns],
      ah = seg[3 + 2 * ns] >> 4,
      al = seg[3 + 2 * ns] & 15
    const dcScan = ss === 0
    if (progressive) {
      const bad = (dcScan ? se !== 0 : ss > se || se > 63 || ns !== 1) || (ah !== 0 && al !== ah - 1) || al > 13
      if (bad) fail(`bad scan header ${k} at byte ${at} (progression Ss=${ss} Se=${se} Ah=${ah} Al=${al})`)
      for (const c of comps) {
        if (!dcScan && c.coefBits[0] < 0) fail(`scan ${k} at byte ${at} codes AC coefficients of component ${c.id} before its DC`)
        for (let j = ss; j <= se; j++) {
          const expected = c.coefBits[j] < 0 ? 0 : c.coefBits[j]
          if (ah !== expected) fail(`scan ${k} at byte ${at} refines coefficient ${j} of component ${c.id} out of order`)
          c.coefBits[j] = al
        }
      }
    } else {
      // (Ss, Se, Ah, Al are ignored in sequential files, as libjpeg does: some writers leave them 0)
      for (const c of comps) if (c.scans++) fail(`scan ${k} at byte ${at} codes component ${c.id} a second time`)
    }
    let blocks = 0
    for (const c of comps) blocks += ns === 1 ? 1 : c.h * c.v
    if (blocks > 10) fail(`bad scan header ${k} at byte ${at} (${blocks} blocks per MCU, at most 10)`)
    for (const c of comps) if (!this.quant[c.tq]) fail(`bad scan header ${k} at byte ${at} (quantization table ${c.tq} of component ${c.id} is not defined)`)
    const dc: (Table | null)[] = []
    const ac: (Table | null)[] = []
    const needDc = progressive ? dcScan && ah === 0 : true
    const needAc = progressive ? !dcScan : true
    for (const t of sel) {
      dc.push(needDc ? this.table(0, t >> 4, k, at) : null)
      ac.push(needAc ? this.table(1, t & 15, k, at) : null)
    }
    return this.entropy({ index: k, at, comps, dc, ac, ss, se, ah, al }, dataStart)
  }

  private entropy(s: Scan, start: number): number {
    const { comps } = s
    const single = comps.length === 1
    const mcusX = single ? comps[0].wBlocks : Math.ceil(this.width / (this.hmax * 8))
    const total = single ? comps[0].wBlocks * comps[0].hBlocks : mcusX * Math.ceil(this.height / (this.vmax * 8))
    const progressive = this.sof === 0xc2
    if (!progressive && this.fast) {
      const end = sequentialScanEnd(this.b, s, start, total, this.restart)
      if (end >= 0) return end
      // something is wrong (or unusual) in this scan: the loop below finds what, in its words
    }
    let r = new Bits(this.b, start)
    let eobrun = 0
    let nextRst = 0
    for (let m = 0; m < total; m++) {
      if (this.restart && m > 0 && m % this.restart === 0) {
        const p = r.align()
        const mk = this.markerAt(p)
        if (mk < 0) fail(`truncated: scan ${s.index}'s data ends at byte ${this.b.length} (the end of the file) after ${m} of ${total} MCUs`)
        if (mk === 0) fail(`stray data at byte ${p} in scan ${s.index} where restart marker RST${nextRst} should follow MCU ${m}`)
        if (mk !== 0xd0 + nextRst) {
          if (mk >= 0xd0 && mk <= 0xd7) fail(`restart marker out of order in scan ${s.index} at byte ${p} (${markerName(mk)}, expected RST${nextRst})`)
          fail(`scan ${s.index} ends early: its data stops at byte ${p} (${markerName(mk)}) after ${m} of ${total} MCUs`)
        }
        nextRst = (nextRst + 1) & 7
        r = new Bits(this.b, this.markerEnd(p))
        eobrun = 0
      }
      const why = progressive ? this.progressiveMcu(s, r, m, single, eobrun) : this.sequentialMcu(s, r, single)
      if (typeof why === 'string') this.dataProblem(s, r, why, m, total)
      if (progressive) eobrun = why as number
    }
    const p = r.align()
    const mk = this.markerAt(p)
    if (mk === 0) fail(`stray data after scan ${s.index} at byte ${p}`)
    return p
  }

  /** <0: end of file; 0: data (not a marker); else the marker code at p */
  private markerAt(p: number): number {
    const b = this.b
    if (p >= b.length) return -1
    if (b[p] !== 0xff) return 0
    let q = p + 1
    while (q < b.length && b[q] === 0xff) q++
    if (q >= b.length) return -1
    return b[q]
  }

  private markerEnd(p: number): number {
    let q = p + 1
    while (this.b[q] === 0xff) q++
    return q + 1
  }

  private dataProblem(s: Scan, r: Bits, why: string, m: number, total: number): never {
    if (why !== 'ran out') fail(`${why} in scan ${s.index} (MCU ${m + 1} of ${total})`)
    if (r.pos >= this.b.length || this.markerAt(r.pos) < 0)
      fail(`truncated: scan ${s.index}'s data ends at byte ${this.b.length} (the end of the file) after ${m} of ${total} MCUs`)
    return fail(
      `scan ${s.index} ends early: its data stops at byte ${r.pos} (${markerName(this.markerAt(r.pos))}) after ${m} of ${total} MCUs the ${this.width}x${this.height} frame needs`,
    )
  }

  /** One MCU of a sequential scan: null, or what is wrong ('ran out' when the data stopped). */
  private sequentialMcu(s: Scan, r: Bits, single: boolean): string | null {
    for (let ci = 0; ci < s.comps.length; ci++) {
      const c = s.comps[ci]
      const dc = s.dc[ci]!,
        ac = s.ac[ci]!
      const n = single ? 1 : c.h * c.v
      for (let blk = 0; blk < n; blk++) {
        let t = r.decode(dc)
        if (t < 0) return t === RAN_OUT ? 'ran out' : 'bad Huffman code'
        if (t > 11) return `DC coefficient of size ${t}`
        if (t && r.bits(t) === RAN_OUT) return 'ran out'
        for (let k = 1; k < 64; k++) {
          t = r.decode(ac)
          if (t < 0) return t === RAN_OUT ? 'ran out' : 'bad Huffman code'
          const run = t >> 4,
            size = t & 15
          if (size) {
            k += run
            if (k > 63) return 'coefficient past the end of a block'
            if (size > 10) return `AC coefficient of size ${size}`
            if (r.bits(size) === RAN_OUT) return 'ran out'
          } else {
            if (run !== 15) break
            k += 15
          }
        }
      }
    }
    return null
  }

  /** One MCU of a progressive scan: the EOB run after it, or what is wrong. */
  private progressiveMcu(s: Scan, r: Bits, m: number, single: boolean, eobrun: number): number | string {
    const { ss, se, ah, al } = s
    if (ss === 0) {
      for (let ci = 0; ci < s.comps.length; ci++) {
        const c = s.comps[ci]
        const n = single ? 1 : c.h * c.v
        for (let blk = 0; blk < n; blk++) {
          if (ah) {
            if (r.bits(1) === RAN_OUT) return 'ran out'
            continue
          }
          const t = r.decode(s.dc[ci]!)
          if (t < 0) return t === RAN_OUT ? 'ran out' : 'bad Huffman code'
          if (t > 11) return `DC coefficient of size ${t}`
          if (t && r.bits(t) === RAN_OUT) return 'ran out'
        }
      }
      return 0
    }
    // an AC band of one component: MCU m is block m of the component (raster order)
    const nz = s.comps[0].nz!
    const block = m * 2
    const ac = s.ac[0]!
    if (ah === 0) {
      // first pass over a band
      if (eobrun > 0) return eobrun - 1
      for (let k = ss; k <= se; k++) {
        const t = r.decode(ac)
        if (t < 0) return t === RAN_OUT ? 'ran out' : 'bad Huffman code'
        const run = t >> 4,
          size = t & 15
        if (size) {
          k += run
          if (k > se) return 'coefficient past the end of a block'
          if (size + al > 10) return `AC coefficient of size ${size} (point transform ${al})`
          if (r.bits(size) === RAN_OUT) return 'ran out'
          nz[block + (k >> 5)] |= 1 << (k & 31)
        } else if (run === 15) {
          k += 15
        } else {
          let run2 = 1 << run
          if (run) {
            const extra = r.bits(run)
            if (extra === RAN_OUT) return 'ran out'
            run2 += extra
          }
          return run2 - 1
        }
      }
      return 0
    }
    // refinement of a band (libjpeg's decode_mcu_AC_refine, step for step)
    let k = ss
    if (eobrun === 0) {
      for (; k <= se; k++) {
        const t = r.decode(ac)
        if (t < 0) return t === RAN_OUT ? 'ran out' : 'bad Huffman code'
        let run = t >> 4
        const size = t & 15
        if (size) {
          if (size !== 1) return 'bad Huffman code'
          if (r.bits(1) === RAN_OUT) return 'ran out'
        } else if (run !== 15) {
          eobrun = 1 << run
          if (run) {
            const extra = r.bits(run)
            if (extra === RAN_OUT) return 'ran out'
            eobrun += extra
          }
          break
        }
        do {
          if ((nz[block + (k >> 5)] >>> (k & 31)) & 1) {
            if (r.bits(1) === RAN_OUT) return 'ran out'
          } else if (--run < 0) break
          k++
        } while (k <= se)
        if (size) {
          if (k > se) return 'coefficient past the end of a block'
          nz[block + (k >> 5)] |= 1 << (k & 31)
        }
      }
    }
    if (eobrun > 0) {
      for (; k <= se; k++) if ((nz[block + (k >> 5)] >>> (k & 31)) & 1 && r.bits(1) === RAN_OUT) return 'ran out'
      return eobrun - 1
    }
    return 0
  }

  private end(at: number): JpegCheck {
    if (this.sof < 0 || this.scans === 0) fail(`end-of-image at byte ${at} before any scan`)
    for (const c of this.comps) {
      if (this.sof !== 0xc2) {
        if (!c.scans) fail(`component ${c.id} has no scan (end-of-image at byte ${at})`)
        continue
      }
      for (let j = 0; j < 64; j++) {
        if (c.coefBits[j] !== 0)
          fail(
            `incomplete progressive image: coefficient ${j} of component ${c.id} is ${c.coefBits[j] < 0 ? 'never coded' : 'not fully refined'} (end-of-image at byte ${at})`,
          )
      }
    }
    return { ok: true }
  }
}

// ---- the sequential fast path ------------------------------------------------------------------
// The loop above, for a sequential scan, as fast as JS goes: the entropy-coded data unstuffed into
// one buffer (between restart markers), read through 32-bit words, and tables that take a code
// and its coefficient bits in one look-up. It only ever answers "this scan is sound, its data ends
// here" (exactly where the loop above would find it sound and end), or "not sure" (-1): any
// problem, any code it does not take in one step and cannot finish, any data left over. The loop
// above then checks the scan from its start, so every verdict and every word of it is the loop's.

/** Bits a look-up reads: codes up to this long are taken in one step, with their coefficient bits. */
const LOOK = 11
/** Zero bytes after a segment's data: more than one MCU can read (10 blocks x 64 codes x 26 bits). */
const PAD = 4096

/** DC: (code + size bits) for a code of up to LOOK bits whose size is <= 11, else 0. */
function dcLook(t: Table): Uint8Array {
  const e = new Uint8Array(1 << LOOK)
  for (let i = 0; i < t.sizes.length; i++) {
    const l = t.sizes[i],
      v = t.vals[i]
    if (v > 11 || l > LOOK) continue
    const lo = t.codes[i] << (LOOK - l)
    e.fill(l + v, lo, lo + (1 << (LOOK - l)))
  }
  return e
}

/** Bits an AC look-up reads: it takes every whole code (and its coefficient bits) that starts in them. */
const GLOOK = 12
const GLOOK_MASK = (1 << GLOOK) - 1

/** AC, one code: (code + size bits) | advance << 5 (run + 1 for a coefficient, 16 for ZRL, 0 for end-of-block) | code bits << 10, by its first GLOOK bits; 0 when not taken in one look-up (a code longer than GLOOK, or a size over 10). */
function acOne(t: Table): Uint16Array {
  const e = new Uint16Array(1 << GLOOK)
  for (let i = 0; i < t.sizes.length; i++) {
    const l = t.sizes[i],
      v = t.vals[i]
    const run = v >> 4,
      size = v & 15
    if (size > 10 || l > GLOOK) continue
    const adv = size ? run + 1 : run === 15 ? 16 : 0
    const lo = t.codes[i] << (GLOOK - l)
    e.fill(l + size + (adv << 5) + (l << 10), lo, lo + (1 << (GLOOK - l)))
  }
  return e
}

/**
 * AC, several codes per look-up: for the GLOOK bits at a code's start, the run of codes that start
 * whole in them, each with its coefficient bits (the last one's may reach past them), stopping after
 * one that ends the block (end-of-block, or any size-0 code but ZRL: the loop above ends the block
 * on those too) and before one not taken in one look-up: their bits | chk << 5 | 1 << 12 when they
 * end the block, where chk is the sum of their advances, plus 1 when they end the block (at most
 * 64). The run is taken whole where k + chk <= 64: every code of it then falls inside the block,
 * as the loop above reads them; else one code is taken on its own (oneCode). Where acOne's first
 * code is not taken, chk is 127: never taken whole, so one test sends both cases to oneCode.
 */
function acRuns(one: Uint16Array): Uint16Array {
  const e = new Uint16Array(1 << GLOOK)
  for (let x = 0; x < 1 << GLOOK; x++) {
    const f = one[x]
    if (!f) {
      e[x] = 127 << 5
      continue
    }
    let used = 0,
      chk = 0,
      end = 0,
      g = f
    for (;;) {
      const bits = g & 31,
        adv = (g >> 5) & 31
      const c = adv === 0 ? 1 : adv
      if (chk + c > 64) break
      used += bits
      chk += c
      if (adv === 0) {
        end = 1
        break
      }
      if (used >= GLOOK) break
      g = one[(x << used) & GLOOK_MASK]
      // the next code must be whole in these bits (the zeros shifted in are not data)
      if (!g || used + (g >> 10) > GLOOK) break
    }
    e[x] = used | (chk << 5) | (end << 12)
  }
  return e
}

let unstuffed = new Uint8Array(1 << 16)
/** Bytes of unstuffed data kept between checks (a larger file's buffer is dropped after it). */
const KEEP_UNSTUFFED = 16 << 20

/** The scan data from `p` unstuffed into `unstuffed` (PAD zeros after it): its length, and where its marker (or the file) starts. */
function unstuff(b: Uint8Array, p: number): { len: number; end: number } {
  if (b.length + PAD > unstuffed.length) unstuffed = new Uint8Array(Math.max(2 * unstuffed.length, b.length + PAD))
  const d = unstuffed
  const size = b.length
  // The file from p is copied into d in growing pieces (byte x at x - base: never below what is
  // kept), and each stuffed 0xFF00 closes up the data after it with copyWithin: no view is made
  // per run of data, and a segment copies little more than its own bytes.
  const base = p
  let copied = p
  let piece = 4096
  let len = 0
  let end = size
  while (p < size) {
    // the run up to the next 0xFF is kept as it is
    let f = b.indexOf(0xff, p)
    if (f < 0) f = size
    if (f > copied) {
      const to = Math.min(size, Math.max(f, copied + piece))
      d.set(b.subarray(copied, to), copied - base)
      copied = to
      piece *= 2
    }
    if (len !== p - base) d.copyWithin(len, p - base, f - base)
    len += f - p
    p = f
    if (p >= size) break
    let q = p + 1
    while (q < size && b[q] === 0xff) q++
    if (q >= size || b[q] !== 0) {
      end = p
      break
    }
    d[len++] = 0xff
    p = q + 1
  }
  d.fill(0, len, len + PAD)
  return { len, end }
}

/**
 * Where a sequential scan's data ends (its next marker) when every MCU of it is sound and nothing
 * is left over, else -1 (the reference loop decides). `restart`: the restart interval (0: none).
 */
function sequentialScanEnd(b: Uint8Array, s: Scan, start: number, total: number, restart: number): number {
  const n = s.comps.length
  const dcs: Uint8Array[] = [],
    acs: Uint16Array[] = [],
    dcOnes: Int32Array[] = [],
    acOnes: Int32Array[] = []
  // the tables of each block of an MCU, in order
  for (let ci = 0; ci < n; ci++) {
    const dc = s.dc[ci]!,
      ac = s.ac[ci]!
    const dl = (dc.dcLook ??= dcLook(dc)),
      al = (ac.acRuns ??= acRuns((ac.acOne ??= acOne(ac)))),
      dcOne = (dc.oneCode ??= oneCode(dc, true)),
      acOne1 = (ac.oneCode ??= oneCode(ac, false))
    for (let blk = n === 1 ? 1 : s.comps[ci].h * s.comps[ci].v; blk > 0; blk--) {
      dcs.push(dl)
      acs.push(al)
      dcOnes.push(dcOne)
      acOnes.push(acOne1)
    }
  }
  let p = start
  let rst = 0
  for (let m = 0; m < total;) {
    const count = restart ? Math.min(restart, total - m) : total
    const { len, end } = unstuff(b, p)
    if (!segmentSound(unstuffed, len, count, dcs, acs, dcOnes, acOnes)) return -1
    m += count
    if (m < total) {
      // a restart marker, the one expected, must follow
      if (end >= b.length) return -1
      let q = end + 1
      while (q < b.length && b[q] === 0xff) q++
      if (q >= b.length || b[q] !== 0xd0 + rst) return -1
      rst = (rst + 1) & 7
      p = q + 1
    } else p = end
  }
  return p
}

/**
 * Any one code alone, by its first GLOOK bits: (code bits) | size << 5 | advance << 9, where the
 * advance is run + 1 for a coefficient, 16 for ZRL, 128 for a size-0 code that ends the block (DC:
 * 0); 0 when the bits start no code of up to 16 bits, or a size over 10 (DC: 11); -s for a code
 * longer than GLOOK: the entry is then at s + its next 16 - GLOOK bits. Filled from the codes, as
 * acOne is: each code's entries are the bit patterns that start with it, which the loop above
 * (Bits.decode) reads as that code. (Made once per table, before the JIT has compiled anything: a
 * code search per bit pattern cost tens of milliseconds per process.)
 */
function oneCode(t: Table, dc: boolean): Int32Array {
  const SUB = 1 << (16 - GLOOK)
  let subs = 0
  for (let i = 0, last = -1; i < t.sizes.length; i++) {
    const l = t.sizes[i]
    if (l <= GLOOK || t.codes[i] >> (l - GLOOK) === last) continue
    last = t.codes[i] >> (l - GLOOK)
    subs++
  }
  const e = new Int32Array((1 << GLOOK) + subs * SUB)
  let next = 1 << GLOOK
  for (let i = 0; i < t.sizes.length; i++) {
    const l = t.sizes[i],
      v = t.vals[i]
    const run = v >> 4,
      size = v & 15
    if (dc ? v > 11 : size > 10) continue
    const adv = dc ? 0 : size ? run + 1 : run === 15 ? 16 : 128
    const entry = l | (size << 5) | (adv << 9)
    if (l <= GLOOK) {
      const lo = t.codes[i] << (GLOOK - l)
      e.fill(entry, lo, lo + (1 << (GLOOK - l)))
      continue
    }
    const x = t.codes[i] >> (l - GLOOK)
    if (e[x] === 0) {
      e[x] = -next
      next += SUB
    }
    const lo = -e[x] + ((t.codes[i] << (16 - l)) & (SUB - 1))
    e.fill(entry, lo, lo + (1 << (16 - l)))
  }
  return e
}

/** `count` MCUs decode from d[0, len) and use up exactly its bytes (the last one maybe in part). The tables: each block's of an MCU. */
function segmentSound(d: Uint8Array, len: number, count: number, dcs: Uint8Array[], acs: Uint16Array[], dcOnes: Int32Array[], acOnes: Int32Array[]): boolean {
  // A bit buffer: bb holds the data's next 32 bits, left-aligned, of which the top bc are counted
  // as loaded; p is the byte after those. Before each look-up a refill tops bc up to 24..31
  // without a branch (the 32 bits at p, shifted in under the loaded ones; only whole bytes are
  // counted), and a code is consumed by a shift: the word at p is read before the code is known,
  // so one table load, not two, stands between a code and the next. Bits read: p * 8 - bc.
  // PAD zeros follow the data. (A code alone is consumed in two shifts: it and its size bits
  // may be 26 bits long.)
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength)
  let bb = 0,
    bc = 0,
    p = 0
  const nb = dcs.length
  const limit = (len + 4) * 8
  for (let m = 0; m < count; m++) {
    if (p * 8 - bc > limit) return false // ran out
    for (let j = 0; j < nb; j++) {
      const dl = dcs[j],
        al = acs[j]
      bb |= view.getUint32(p) >>> bc
      p += (31 - bc) >> 3
      bc |= 24
      const e = dl[bb >>> (32 - LOOK)]
      if (e) {
        bb <<= e
        bc -= e
      } else {
        const ol = dcOnes[j]
        let o = ol[bb >>> (32 - GLOOK)]
        if (o < 0) o = ol[((bb >>> (32 - 16)) & 15) - o]
        if (o === 0) return false
        bb <<= o
        bc -= o & 31
        bb |= view.getUint32(p) >>> bc
        p += (31 - bc) >> 3
        bc |= 24
        bb <<= o >> 5
        bc -= o >> 5
      }
      // k: the next coefficient; 128 more once the block has ended (an end-of-block)
      let k = 1
      do {
        bb |= view.getUint32(p) >>> bc
        p += (31 - bc) >> 3
        bc |= 24
        const a = al[bb >>> (32 - GLOOK)]
        if (k + ((a >> 5) & 127) <= 64) {
          // the whole run of codes: a shift count is taken mod 32 (bb << a is bb << (a & 31)),
          // and a >> 5 is its advance, plus 128 when it ends the block
          bb <<= a
          bc -= a & 31
          k += a >> 5
        } else {
          // one code alone: a longer one, or the first of a run that would not stay in the block
          const ol = acOnes[j]
          let o = ol[bb >>> (32 - GLOOK)]
          if (o < 0) o = ol[((bb >>> (32 - 16)) & 15) - o]
          if (o === 0) return false
          bb <<= o
          bc -= o & 31
          bb |= view.getUint32(p) >>> bc
          p += (31 - bc) >> 3
          bc |= 24
          bb <<= (o >> 5) & 15
          bc -= (o >> 5) & 15
          k += o >> 9
        }
      } while (k < 64)
      // a coefficient past the end of a block (or a ZRL there: the loop above decides)
      if ((k & 127) > 64) return false
    }
  }
  // the data used up: no more, no less
  const pos = p * 8 - bc
  return pos <= len * 8 && (pos + 7) >> 3 === len
}
