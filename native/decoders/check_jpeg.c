// Lockstep's whole-file JPEG check: src/main/io/check-jpeg.ts (the reference), with the same
// verdict in the same words for every input (test/io/check.test.ts and the fuzzer compare them,
// and the fuzzer compares it with this file before its hot loops were rewritten too:
// test/check_jpeg_old.c). Every marker segment is read and every scan's entropy-coded data is
// decoded to its end, without IDCT. The hot loops take several Huffman symbols per table lookup
// where that cannot change a verdict (build_steps), and fall back to code-by-code decoding, with
// the reference's checks in the reference's order, for anything else. See check-jpeg.ts for what
// is checked.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decoders.h"

#define MAX_SCANS 1000
#define MAX_DIMENSION 65500
#define RAN_OUT (-1)
#define BAD_CODE (-2)

static const uint8_t STD_DC_BITS[2][16] = {{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}, {0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}};
static const uint8_t STD_DC_VALS[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const uint8_t STD_AC_BITS[2][16] = {{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d}, {0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77}};
static const uint8_t STD_AC_VALS[2][162] = {
    {0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1,
     0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37,
     0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
     0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3,
     0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3,
     0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa},
    {0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1,
     0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36,
     0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
     0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a,
     0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca,
     0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa}};

// LOOK bits of lookahead: what one table lookup decodes (see build_steps).
#define LOOK 11
// Scans with fewer bytes than this after their header take one symbol a step (see build_steps).
// (The fuzzer, built with CHECK_JPEG_TEST, sets it per call: its small files take both paths.)
#ifdef CHECK_JPEG_TEST
size_t check_jpeg_batches_from = 16384;
#else
static const size_t check_jpeg_batches_from = 16384;
#endif
typedef struct {
  uint16_t fast[512]; // (length << 8) | symbol for codes of at most 9 bits
  int32_t maxcode[18];
  int32_t valoff[17];
  uint8_t vals[256];
  uint16_t code[256];       // each symbol's code and its length, in the order of vals
  uint8_t length[256];
  int count;
  uint32_t step[1 << LOOK]; // see build_steps
  uint32_t one[1 << LOOK];
} table;

typedef struct {
  const uint8_t *bits, *vals; // as stored in the file (or the standard tables)
  int defined;
} table_def;

typedef struct {
  int id, h, v, tq, scans;
  uint32_t w_blocks, h_blocks;
  int8_t coef_bits[64];
  uint64_t *nz; // progressive: nonzero coefficients of each block
} component;

// Entropy-coded data: bytes with 0xFF00 unstuffed, ending at a marker or at the end of the file.
// The next bits are the top `n` bits of `acc`; the bits below them are 0 or the data's own next
// bits (fill loads 8 bytes at once and counts the whole ones), so they never need clearing.
typedef struct {
  const uint8_t *b;
  size_t len, pos; // pos: the first byte not loaded
  size_t start;    // where this stretch of data starts (the scan's first byte, or after a restart marker)
  uint64_t acc;
  int n, stop;
} bits;

typedef struct {
  const uint8_t *b;
  size_t len;
  uint64_t max_pixels;
  table_def dc_def[4], ac_def[4];
  int quant[4];
  component comps[4];
  int ncomps, sof, width, height, hmax, vmax, restart, scans;
  table *tables[8]; // a scan's tables (allocated on first use, kept for the next scans)
  char *message;
  int verdict; // CHECK_OK, CHECK_CORRUPT, CHECK_TOO_LARGE, CHECK_UNSUPPORTED
} checker;

// Sets the verdict's words (the first problem wins) and returns 0, so callers `return problem(...)`.
static int problem(checker *c, int verdict, const char *fmt, ...) {
  if (c->verdict != CHECK_OK) return 0;
  c->verdict = verdict;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->message, MESSAGE_MAX, fmt, ap);
  va_end(ap);
  return 0;
}
#define CORRUPT(...) problem(c, CHECK_CORRUPT, __VA_ARGS__)

void jpeg_marker_name(int m, char *out) {
  static const struct { int m; const char *name; } named[] = {{0xc4, "DHT"}, {0xc8, "JPG"}, {0xcc, "DAC"}, {0xd8, "SOI"}, {0xd9, "EOI"}, {0xda, "SOS"},
                                                              {0xdb, "DQT"}, {0xdc, "DNL"}, {0xdd, "DRI"}, {0xfe, "COM"}, {0x01, "TEM"}};
  if (m >= 0xd0 && m <= 0xd7) { snprintf(out, 8, "RST%d", m - 0xd0); return; }
  if (m >= 0xe0 && m <= 0xef) { snprintf(out, 8, "APP%d", m - 0xe0); return; }
  for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
    if (named[i].m == m) { snprintf(out, 8, "%s", named[i].name); return; }
  if (m >= 0xc0 && m <= 0xcf) { snprintf(out, 8, "SOF%d", m - 0xc0); return; }
  snprintf(out, 8, "0xFF%02X", m & 0xff);
}

// What a table's steps take at once (build_steps).
enum { STEPS_NONE, STEPS_DC, STEPS_AC, STEPS_AC_FIRST, STEPS_AC_REFINE };
// A step (an entry of step[] or one[]): bits 0-7: the bits it consumes (codes and value bits, at
// most 32); 8-15: how far it moves k, the next coefficient's index (| F_END when it ends with an
// end-of-block); bit 16: it ends with a coefficient (F_COEF); 24-31: the largest k it may be taken
// at (0: never), so that every coefficient it passes stays inside the band, as the symbol-by-symbol
// checks require.
enum { F_END = 128, F_COEF = 1 << 16 };

// A step that starts with `used` bits (and a move, or k, of `move`), run on into as many AC
// symbols (ac->one) after them as fit in LOOK bits of lookahead x, up to an end-of-block.
static uint32_t run_on(const table *ac, int x, int used, int move, int dc) {
  const int mask = (1 << LOOK) - 1;
  while (ac && used < LOOK) {
    const uint32_t o = ac->one[(x << used) & mask];
    const int len = (int)(o & 255), m = (int)(o >> 8 & 255);
    if (!o || used + len > LOOK || (move & 127) + (m & 127) > 63) break;
    used += len, move += m;
    if (m & F_END) break;
  }
  return used ? (uint32_t)used | (uint32_t)move << 8 | (uint32_t)(dc ? 0 : 64 - (move & 127)) << 24 : 0;
}

// The steps of a table t, from LOOK bits of lookahead x:
// - STEPS_AC_FIRST, STEPS_AC: one[x] is x's AC symbol alone: a coefficient of size at most
//   `max_size` (its value bits may go past LOOK: the hot loops keep 32 bits buffered), ZRL, or an
//   end-of-block (in a progressive first pass (STEPS_AC_FIRST), only without run bits);
// - STEPS_AC_REFINE: one[x] is x's code alone (a refinement pass): its length | its symbol << 8;
// - STEPS_AC: step[x] is as many whole symbols as fit in LOOK bits, up to an end-of-block;
// - STEPS_DC: step[x] is x's DC symbol (size at most 11) then, when `ac` (the table of the AC
//   symbols that follow it) is given, as many of those as fit in LOOK bits; bits 8-15 are k after it
//   (1 for the DC symbol alone) rather than a move, and bits 24-31 are 0.
// `se`: the last coefficient of the band. Without `batches`, every step is one symbol (step[] is
// one[]): building batches costs more than they save on a small scan.
static void build_steps(table *t, int kind, int max_size, int se, const table *ac, int batches) {
  if (kind == STEPS_DC) {
    memset(t->step, 0, sizeof t->step);
    for (int i = 0; i < t->count && t->length[i] <= LOOK; i++) {
      const int l = t->length[i], v = t->vals[i], lo = t->code[i] << (LOOK - l), hi = lo + (1 << (LOOK - l));
      if (v > 11) continue;
      if (!ac || !batches) {
        for (int x = lo; x < hi; x++) t->step[x] = (uint32_t)(l + v) | 1u << 8;
      } else
        for (int x = lo; x < hi; x++) t->step[x] = run_on(ac, x, l + v, 1, 1);
    }
    return;
  }
  memset(t->one, 0, sizeof t->one);
  if (kind == STEPS_AC_REFINE) { // the code alone: its length | symbol << 8
    for (int i = 0; i < t->count && t->length[i] <= LOOK; i++) {
      const int l = t->length[i], lo = t->code[i] << (LOOK - l), hi = lo + (1 << (LOOK - l));
      for (int x = lo; x < hi; x++) t->one[x] = (uint32_t)l | (uint32_t)t->vals[i] << 8;
    }
    return;
  }
  for (int i = 0; i < t->count && t->length[i] <= LOOK; i++) {
    const int l = t->length[i], run = t->vals[i] >> 4, size = t->vals[i] & 15, lo = t->code[i] << (LOOK - l), hi = lo + (1 << (LOOK - l));
    int move = 0;
    if (size) move = size > max_size ? 0 : run + 1;
    else if (run == 15) move = 16;
    else if (run == 0 || kind == STEPS_AC) move = 1 | F_END;
    const int last = se + 1 - (move & 127);
    if (!move || last <= 0) continue;
    const uint32_t e = (uint32_t)(l + size) | (uint32_t)move << 8 | (size ? F_COEF : 0) | (uint32_t)last << 24;
    for (int x = lo; x < hi; x++) t->one[x] = e;
  }
  if (kind != STEPS_AC) return;
  if (!batches) {
    memcpy(t->step, t->one, sizeof t->step);
    return;
  }
  for (int x = 0; x < 1 << LOOK; x++) t->step[x] = run_on(t, x, 0, 0, 0);
}

// libjpeg's jpeg_make_d_derived_tbl checks: at most 256 codes, no code all ones, DC symbols <= 15.
static int build_table(const uint8_t *bits_, const uint8_t *vals, int dc, table *t, int steps) {
  uint8_t sizes[257];
  int32_t codes[256];
  size_t n = 0;
  for (int l = 1; l <= 16; l++)
    for (int i = 0; i < bits_[l - 1]; i++) {
      if (n >= 256) return 0;
      sizes[n++] = (uint8_t)l;
    }
  int32_t code = 0;
  size_t p = 0;
  int si = n ? sizes[0] : 0;
  while (p < n) {
    while (p < n && sizes[p] == si) codes[p++] = code++;
    if (code >= (1 << si)) return 0;
    code <<= 1;
    si++;
  }
  if (dc)
    for (size_t i = 0; i < n; i++)
      if (vals[i] > 15) return 0;
  for (int l = 0; l < 18; l++) t->maxcode[l] = -1;
  memset(t->valoff, 0, sizeof t->valoff);
  for (int l = 1, q = 0; l <= 16; l++) {
    int cnt = bits_[l - 1];
    if (cnt) {
      t->valoff[l] = q - codes[q];
      q += cnt;
      t->maxcode[l] = codes[q - 1];
    }
  }
  memset(t->fast, 0, sizeof t->fast);
  for (size_t i = 0; i < n; i++) {
    int l = sizes[i];
    if (l > 9) break;
    int lo = codes[i] << (9 - l);
    for (int k = 0; k < (1 << (9 - l)); k++) t->fast[lo + k] = (uint16_t)((l << 8) | vals[i]);
  }
  memcpy(t->vals, vals, n);
  if (!steps) return 1;
  for (size_t i = 0; i < n; i++) t->code[i] = (uint16_t)codes[i], t->length[i] = sizes[i];
  t->count = (int)n;
  return 1;
}

static inline uint64_t big_endian64(const uint8_t *p) {
  uint64_t w;
  memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return w;
#else
  return __builtin_bswap64(w);
#endif
}

// One byte (stuffing, markers and the end of the file are read here); needs n <= 56.
static int load(bits *r) {
  if (r->stop) return 0;
  size_t p = r->pos;
  if (p >= r->len) { r->stop = 1; return 0; }
  uint8_t v = r->b[p];
  if (v == 0xff) {
    size_t q = p + 1;
    while (q < r->len && r->b[q] == 0xff) q++;
    if (q >= r->len || r->b[q] != 0) { r->stop = 1; return 0; }
    r->pos = q + 1;
  } else r->pos = p + 1;
  r->acc |= (uint64_t)v << (56 - r->n);
  r->n += 8;
  return 1;
}

static void fill_bytes(bits *r) {
  while (r->n <= 48 && load(r)) {
  }
}

// Tops the buffer up to at least 49 bits while the data lasts: 8 bytes at once when none is 0xFF
// (the common case), else byte by byte. After it, n < 49 means the data has ended. (n stays below
// 64: a byte-by-byte top-up stops at 56 bits.)
static inline void fill(bits *r) {
  if (r->pos + 8 <= r->len) {
    uint64_t w;
    memcpy(&w, r->b + r->pos, 8);
    if (!(((~w) - 0x0101010101010101ull) & w & 0x8080808080808080ull)) { // no byte is 0xFF
      r->acc |= big_endian64(r->b + r->pos) >> r->n;
      r->pos += (size_t)((63 - r->n) >> 3);
      r->n |= 56;
      return;
    }
  }
  fill_bytes(r);
}

// s bits (1 <= s <= 16) as a number, or RAN_OUT
static inline int get_bits(bits *r, int s) {
  if (r->n < s) {
    fill(r);
    if (r->n < s) return RAN_OUT;
  }
  int v = (int)(r->acc >> (64 - s));
  r->acc <<= s;
  r->n -= s;
  return v;
}

// count bits (0 <= count <= 64) passed over, or RAN_OUT
static int skip_bits(bits *r, int count) {
  while (count > 0) {
    int s = count > 32 ? 32 : count;
    if (r->n < s) {
      fill(r);
      if (r->n < s) return RAN_OUT;
    }
    r->acc <<= s;
    r->n -= s;
    count -= s;
  }
  return 0;
}

// The next Huffman symbol, code by code (the steps' fallback), RAN_OUT or BAD_CODE.
static int decode(bits *r, const table *t) {
  if (r->n < 16) fill(r);
  if (r->n >= 9) {
    uint16_t e = t->fast[r->acc >> 55];
    if (e) {
      r->acc <<= e >> 8;
      r->n -= e >> 8;
      return e & 255;
    }
  }
  for (int l = 1; l <= 16; l++) {
    if (r->n < l) return RAN_OUT; // (fill took every byte there is)
    int32_t code = (int32_t)(r->acc >> (64 - l));
    if (code <= t->maxcode[l]) {
      r->acc <<= l;
      r->n -= l;
      return t->vals[t->valoff[l] + code];
    }
  }
  return BAD_CODE;
}

// Drops the bits left in the current byte; the file offset of the first byte not consumed (the
// whole bytes still buffered are walked back over: a stuffed 0xFF is 0xFF, more 0xFF, then 0x00).
static size_t align(bits *r) {
  int drop = r->n & 7;
  r->acc <<= drop;
  r->n -= drop;
  size_t q = r->pos;
  for (int u = r->n / 8; u > 0; u--) {
    if (r->b[q - 1] == 0 && q >= r->start + 2 && r->b[q - 2] == 0xff) {
      q -= 2;
      while (q > r->start && r->b[q - 1] == 0xff) q--;
    } else q--;
  }
  return q;
}

// <0: end of file; 0: data, not a marker; else the marker code at p
static int marker_at(const checker *c, size_t p) {
  if (p >= c->len) return -1;
  if (c->b[p] != 0xff) return 0;
  size_t q = p + 1;
  while (q < c->len && c->b[q] == 0xff) q++;
  if (q >= c->len) return -1;
  return c->b[q];
}

static size_t marker_end(const checker *c, size_t p) {
  size_t q = p + 1;
  while (q < c->len && c->b[q] == 0xff) q++;
  return q + 1;
}

static int dqt(checker *c, const uint8_t *seg, size_t n, size_t at) {
  size_t p = 0;
  while (p < n) {
    int pq = seg[p] >> 4, tq = seg[p] & 15;
    if (pq > 1 || tq > 3) return CORRUPT("bad DQT segment at byte %zu (table %d, precision %d)", at, tq, pq);
    size_t len = 1 + 64 * (size_t)(pq + 1);
    if (p + len > n) return CORRUPT("bad DQT segment at byte %zu (table %d is cut short)", at, tq);
    c->quant[tq] = 1;
    p += len;
  }
  return 1;
}

static int dht(checker *c, const uint8_t *seg, size_t n, size_t at) {
  size_t p = 0;
  while (n - p > 16) {
    int index = seg[p], cls = index >> 4, id = index & 15;
    if (cls > 1 || id > 3) return CORRUPT("bad DHT segment at byte %zu (table class %d id %d)", at, cls, id);
    const uint8_t *b = seg + p + 1;
    size_t count = 0;
    for (int i = 0; i < 16; i++) count += b[i];
    if (count > 256 || p + 17 + count > n) return CORRUPT("bad DHT segment at byte %zu (%zu codes)", at, count);
    table_def *d = cls ? &c->ac_def[id] : &c->dc_def[id];
    d->bits = b;
    d->vals = seg + p + 17;
    d->defined = 1;
    p += 17 + count;
  }
  if (p != n) return CORRUPT("bad DHT segment at byte %zu (length)", at);
  return 1;
}

static int frame(checker *c, int m, const uint8_t *seg, size_t n, size_t at) {
  char name[8];
  jpeg_marker_name(m, name);
  if (c->sof >= 0) return CORRUPT("a second frame header (%s) at byte %zu", name, at);
  if (m != 0xc0 && m != 0xc1 && m != 0xc2) return problem(c, CHECK_UNSUPPORTED, "%s (arithmetic-coded, lossless or hierarchical)", name);
  if (n < 6) return CORRUPT("bad frame header (%s) at byte %zu (length %zu)", name, at, n + 2);
  int precision = seg[0], height = (seg[1] << 8) | seg[2], width = (seg[3] << 8) | seg[4], nf = seg[5];
  if (!height || !width || !nf) return CORRUPT("bad frame header (%s) at byte %zu (%dx%d, %d components)", name, at, width, height, nf);
  if (n != 6 + 3 * (size_t)nf) return CORRUPT("bad frame header (%s) at byte %zu (length %zu for %d components)", name, at, n + 2, nf);
  if (width > MAX_DIMENSION || height > MAX_DIMENSION) return CORRUPT("bad frame header (%s) at byte %zu (%dx%d exceeds 65500)", name, at, width, height);
  if (precision != 8) return problem(c, CHECK_UNSUPPORTED, "%d-bit samples", precision);
  if (nf > 4) return problem(c, CHECK_UNSUPPORTED, "%d components", nf);
  if ((uint64_t)width * (uint64_t)height > c->max_pixels)
    return problem(c, CHECK_TOO_LARGE, "%dx%d", width, height);
  for (int i = 0; i < nf; i++) {
    int id = seg[6 + 3 * i], hv = seg[7 + 3 * i], tq = seg[8 + 3 * i], h = hv >> 4, v = hv & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) return CORRUPT("bad frame header (%s) at byte %zu (sampling factors %dx%d of component %d)", name, at, h, v, id);
    if (tq > 3) return CORRUPT("bad frame header (%s) at byte %zu (quantization table %d of component %d)", name, at, tq, id);
    for (int j = 0; j < i; j++)
      if (c->comps[j].id == id) return problem(c, CHECK_UNSUPPORTED, "two components with id %d", id);
    component *k = &c->comps[i];
    k->id = id, k->h = h, k->v = v, k->tq = tq, k->scans = 0;
    memset(k->coef_bits, -1, sizeof k->coef_bits);
    c->ncomps = i + 1;
  }
  c->hmax = c->vmax = 1;
  for (int i = 0; i < nf; i++) {
    if (c->comps[i].h > c->hmax) c->hmax = c->comps[i].h;
    if (c->comps[i].v > c->vmax) c->vmax = c->comps[i].v;
  }
  for (int i = 0; i < nf; i++) {
    component *k = &c->comps[i];
    if (c->hmax % k->h || c->vmax % k->v)
      return problem(c, CHECK_UNSUPPORTED, "sampling factors %dx%d of component %d (max %dx%d)", k->h, k->v, k->id, c->hmax, c->vmax);
    k->w_blocks = (uint32_t)(((uint64_t)width * (uint64_t)k->h + (uint64_t)c->hmax * 8 - 1) / ((uint64_t)c->hmax * 8));
    k->h_blocks = (uint32_t)(((uint64_t)height * (uint64_t)k->v + (uint64_t)c->vmax * 8 - 1) / ((uint64_t)c->vmax * 8));
    if (m == 0xc2) {
      k->nz = calloc((size_t)k->w_blocks * k->h_blocks, sizeof *k->nz);
      if (!k->nz) return CORRUPT("out of memory");
    }
  }
  c->sof = m;
  c->width = width;
  c->height = height;
  return 1;
}

// The scan's i-th table (allocated on first use, kept for the next scans), or NULL with the verdict set.
static table *table_for(checker *c, int i) {
  if (!c->tables[i] && !(c->tables[i] = malloc(sizeof(table)))) CORRUPT("out of memory");
  return c->tables[i];
}

static int get_table(checker *c, int cls, int id, int scan, size_t at, table *t, int steps) {
  table_def d = {0};
  if (id < 4) d = cls ? c->ac_def[id] : c->dc_def[id]; // (a scan header may name tables 0-15: only 0-3 exist)
  if (!d.defined && id < 2) {
    d.bits = cls ? STD_AC_BITS[id] : STD_DC_BITS[id];
    d.vals = cls ? STD_AC_VALS[id] : STD_DC_VALS;
    d.defined = 1;
  }
  if (!d.defined) return CORRUPT("bad scan header %d at byte %zu (%s Huffman table %d is not defined)", scan, at, cls ? "AC" : "DC", id);
  if (!build_table(d.bits, d.vals, cls == 0, t, steps)) return CORRUPT("bad scan header %d at byte %zu (%s Huffman table %d is not a valid code)", scan, at, cls ? "AC" : "DC", id);
  return 1;
}

typedef struct {
  int index, ns, ss, se, ah, al;
  size_t at;
  component *comps[4];
  int blocks[4];              // blocks of each component in one MCU
  const table *dcp[4], *acp[4]; // each component's tables (components with the same tables share them)
} scan_info;

// One symbol of a block, code by code (where no step applies: the data's last bits, long codes,
// anything wrong): NULL, or what is wrong ("ran out" when the data stopped).
static const char *dc_symbol(bits *r, const table *dc, char *why) {
  int t = decode(r, dc);
  if (t < 0) return t == RAN_OUT ? "ran out" : "bad Huffman code";
  if (t > 11) { snprintf(why, 64, "DC coefficient of size %d", t); return why; }
  if (t && get_bits(r, t) == RAN_OUT) return "ran out";
  return NULL;
}

// *k: the next coefficient's index (64 or more once the block is over)
static const char *ac_symbol(bits *r, const table *ac, int *k, char *why) {
  int t = decode(r, ac);
  if (t < 0) return t == RAN_OUT ? "ran out" : "bad Huffman code";
  int run = t >> 4, size = t & 15;
  if (size) {
    *k += run;
    if (*k > 63) return "coefficient past the end of a block";
    if (size > 10) { snprintf(why, 64, "AC coefficient of size %d", size); return why; }
    if (get_bits(r, size) == RAN_OUT) return "ran out";
    *k += 1;
  } else if (run != 15) *k = 64;
  else *k += 16;
  return NULL;
}

// The offset of the first 0xFF byte at or after p (len: none): up to there, 8 bytes load at once.
static size_t next_ff(const uint8_t *b, size_t p, size_t len) {
  const uint8_t *q = p < len ? memchr(b + p, 0xff, len - p) : NULL;
  return q ? (size_t)(q - b) : len;
}

// MCUs *mp to end of a sequential scan: NULL, or what is wrong with MCU *mp. The hot loop keeps the
// bit buffer in locals and takes steps (build_steps) while 32 bits are buffered; anything else
// goes symbol by symbol through dc_symbol/ac_symbol, which make the same checks in the same order.
// The bit buffer in a hot loop's locals (acc, n, pos; ff: the next 0xFF byte): SYNC_OUT before a
// call that takes the bits struct (the symbol-by-symbol paths), SYNC_IN after it.
#define LOCAL_BITS(r)                        \
  const uint8_t *const b = (r)->b;           \
  uint64_t acc = (r)->acc;                   \
  size_t pos = (r)->pos, ff = next_ff(b, pos, (r)->len); \
  int n = (r)->n
#define SYNC_OUT (r->acc = acc, r->n = n, r->pos = pos)
#define SYNC_IN (acc = r->acc, n = r->n, pos = r->pos)
// fill() on the locals: 8 bytes at once before the next 0xFF, else byte by byte
#define REFILL()                                       \
  do {                                                 \
    if (pos + 8 <= ff) {                               \
      acc |= big_endian64(b + pos) >> n;               \
      pos += (size_t)((63 - n) >> 3);                  \
      n |= 56;                                         \
    } else {                                           \
      SYNC_OUT;                                        \
      fill_bytes(r);                                   \
      SYNC_IN;                                         \
      if (pos > ff) ff = next_ff(b, pos, r->len);      \
    }                                                  \
  } while (0)
#define TOP_UP()              \
  do {                        \
    if (n < 32) REFILL();     \
  } while (0)
// c bits (0 <= c <= 64) passed over; else "ran out"
#define SKIP(c, on_ran_out)                                   \
  do {                                                        \
    const int c_ = (c);                                       \
    if (n >= c_ && c_ < 64) {                                 \
      acc <<= c_;                                             \
      n -= c_;                                                \
    } else {                                                  \
      SYNC_OUT;                                               \
      const int ran_out_ = skip_bits(r, c_) == RAN_OUT;       \
      SYNC_IN; /* (before on_ran_out: it may SYNC_OUT) */     \
      if (ran_out_) on_ran_out;                               \
    }                                                         \
  } while (0)

// One step of a block's AC symbols (a batch, else one symbol, else symbol by symbol) in
// sequential_mcus; needs 22 bits buffered for a step (a symbol's code and value bits at most).
#define STEP()                                                   \
  do {                                                           \
    __label__ slow;                                              \
    if (__builtin_expect(n >= 22, 1)) {                          \
      e = ac->step[acc >> (64 - LOOK)];                          \
      if (__builtin_expect(k > (int)(e >> 24), 0)) {             \
        e = ac->one[acc >> (64 - LOOK)];                         \
        if (k > (int)(e >> 24)) goto slow;                       \
      }                                                          \
      acc <<= e & 63;                                            \
      n -= (int)(e & 63);                                        \
      k += (int)(e >> 8 & 255);                                  \
      break;                                                     \
    }                                                            \
  slow:                                                          \
    SYNC_OUT;                                                    \
    if ((w = ac_symbol(r, ac, &k, why))) { *mp = m; return w; }  \
    SYNC_IN;                                                     \
  } while (0)

static const char *sequential_mcus(const scan_info *s, bits *r, uint32_t *mp, uint32_t end, char *why) {
  LOCAL_BITS(r);
  const char *w;
  uint32_t e;
  for (uint32_t m = *mp; m < end; m++) {
    for (int ci = 0; ci < s->ns; ci++) {
      const table *dc = s->dcp[ci], *ac = s->acp[ci];
      for (int blk = 0; blk < s->blocks[ci]; blk++) {
        TOP_UP();
        e = n >= 22 ? dc->step[acc >> (64 - LOOK)] : 0;
        int k = 1;
        if (e) {
          acc <<= e & 63;
          n -= (int)(e & 63);
          k = (int)(e >> 8 & 255);
        } else {
          SYNC_OUT;
          if ((w = dc_symbol(r, dc, why))) { *mp = m; return w; }
          SYNC_IN;
        }
        // two steps a refill: 22 bits each, and a refill leaves at least 49 while the data lasts
        while (k < 64) {
          REFILL();
          STEP();
          if (k >= 64) break;
          STEP();
        }
      }
    }
  }
  SYNC_OUT;
  *mp = end;
  return NULL;
}
#undef STEP

static inline int popcount64(uint64_t x) { // (no POPCNT instruction in the x86-64 baseline)
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (int)((x * 0x0101010101010101ull) >> 56);
}

// bits lo to hi - 1 (0 <= lo <= hi <= 64)
static inline uint64_t span(int lo, int hi) { return (hi >= 64 ? ~0ull : (1ull << hi) - 1) & ~((1ull << lo) - 1); }

// One symbol of a progressive first pass over an AC band, code by code: NULL, or what is wrong;
// *k: the next coefficient (past se when the block is over: *eobrun then holds the run that follows).
static const char *first_pass_symbol(const scan_info *s, bits *r, int *k, uint64_t *nz, int *eobrun, char *why) {
  const int se = s->se, al = s->al;
  int t = decode(r, s->acp[0]);
  if (t < 0) return t == RAN_OUT ? "ran out" : "bad Huffman code";
  int run = t >> 4, size = t & 15;
  if (size) {
    *k += run;
    if (*k > se) return "coefficient past the end of a block";
    if (size + al > 10) { snprintf(why, 64, "AC coefficient of size %d (point transform %d)", size, al); return why; }
    if (get_bits(r, size) == RAN_OUT) return "ran out";
    *nz |= 1ull << *k;
    *k += 1;
  } else if (run == 15) {
    *k += 16;
  } else {
    int run2 = 1 << run;
    if (run) {
      int extra = get_bits(r, run);
      if (extra == RAN_OUT) return "ran out";
      run2 += extra;
    }
    *eobrun = run2 - 1;
    *k = 64 + 128; // (the block is over)
  }
  return NULL;
}

// MCUs *mp to end of a progressive first pass over an AC band (an MCU is one block), steps as in
// sequential_mcus: NULL with *eobrun updated, or what is wrong with MCU *mp.
static const char *first_pass_mcus(const scan_info *s, bits *r, uint32_t *mp, uint32_t end, int *eobrun, char *why) {
  LOCAL_BITS(r);
  const table *ac = s->acp[0];
  uint64_t *nzs = s->comps[0]->nz;
  const int ss = s->ss, se = s->se;
  int eob = *eobrun;
  const char *w = NULL;
  uint32_t m = *mp;
  for (; m < end; m++) {
    if (eob > 0) {
      eob--;
      continue;
    }
    uint64_t nz = nzs[m];
    int k = ss;
    while (k <= se) {
      TOP_UP();
      if (n >= 32) {
        const uint32_t e = ac->one[acc >> (64 - LOOK)];
        if (k <= (int)(e >> 24)) {
          const int move = (int)(e >> 8 & 255);
          acc <<= e & 63;
          n -= (int)(e & 63);
          if (e & F_COEF) nz |= 1ull << (k + (move & 127) - 1);
          k += move;
          continue;
        }
      }
      SYNC_OUT;
      w = first_pass_symbol(s, r, &k, &nz, &eob, why);
      SYNC_IN;
      if (w) goto out;
    }
    nzs[m] = nz;
  }
out:
  SYNC_OUT;
  *mp = m;
  *eobrun = eob;
  return w;
}

// The (r + 1)th set bit of x (r >= 0), or 64 when there is none.
static inline int nth_set(uint64_t x, int r) {
  for (; r > 0 && x; r--) x &= x - 1;
  return x ? __builtin_ctzll(x) : 64;
}

// MCUs *mp to end of a refinement pass over an AC band (libjpeg's decode_mcu_AC_refine, step for
// step): the correction bits of coefficients already nonzero are passed over in bulk, counted in
// the block's bitmap. NULL with *eobrun updated, or what is wrong with MCU *mp.
static const char *refine_mcus(const scan_info *s, bits *r, uint32_t *mp, uint32_t end, int *eobrun) {
  LOCAL_BITS(r);
  const table *ac = s->acp[0];
  uint64_t *nzs = s->comps[0]->nz;
  const int ss = s->ss, se = s->se;
  int eob = *eobrun;
  const char *w = NULL;
  uint32_t m = *mp;
#define FAIL(why) do { w = (why); goto out; } while (0)
  for (; m < end; m++) {
    uint64_t nz = nzs[m];
    int k = ss;
    if (eob == 0) {
      for (; k <= se; k++) {
        TOP_UP();
        int t;
        const uint32_t e = n >= 32 ? ac->one[acc >> (64 - LOOK)] : 0;
        if (e) {
          acc <<= e & 31;
          n -= (int)(e & 31);
          t = (int)(e >> 8);
        } else {
          SYNC_OUT;
          t = decode(r, ac);
          SYNC_IN;
          if (t < 0) FAIL(t == RAN_OUT ? "ran out" : "bad Huffman code");
        }
        const int run = t >> 4, size = t & 15;
        if (size) {
          if (size != 1) FAIL("bad Huffman code");
          SKIP(1, FAIL("ran out"));
        } else if (run != 15) {
          eob = 1 << run;
          if (run) {
            if (n >= run) {
              eob += (int)(acc >> (64 - run));
              acc <<= run;
              n -= run;
            } else {
              SYNC_OUT;
              const int extra = get_bits(r, run);
              SYNC_IN;
              if (extra == RAN_OUT) FAIL("ran out");
              eob += extra;
            }
          }
          break;
        }
        // k moves to the (run + 1)th coefficient from k that is still zero (past se: none), with
        // one correction bit for each nonzero coefficient it passes
        const int z = nth_set(~nz & span(k, se + 1), run), to = z > se ? se + 1 : z;
        SKIP(popcount64(nz & span(k, to)), FAIL("ran out"));
        k = to;
        if (size) {
          if (k > se) FAIL("coefficient past the end of a block");
          nz |= 1ull << k;
        }
      }
    }
    if (eob > 0) {
      TOP_UP();
      SKIP(popcount64(nz & span(k, se + 1)), FAIL("ran out"));
      eob--;
    }
    nzs[m] = nz;
  }
#undef FAIL
out:
  SYNC_OUT;
  *mp = m;
  *eobrun = eob;
  return w;
}

// MCUs *mp to end of a progressive scan: NULL with *eobrun updated, or what is wrong with MCU *mp.
static const char *progressive_mcus(const scan_info *s, bits *r, uint32_t *mp, uint32_t end, int *eobrun, char *why) {
  if (s->ss != 0) return s->ah == 0 ? first_pass_mcus(s, r, mp, end, eobrun, why) : refine_mcus(s, r, mp, end, eobrun);
  uint32_t m = *mp;
  const char *w = NULL;
  int blocks = 0;
  for (int ci = 0; ci < s->ns; ci++) blocks += s->blocks[ci];
  for (; m < end && !w; m++) {
    if (s->ah) {
      if (skip_bits(r, blocks) == RAN_OUT) w = "ran out"; // one correction bit a block
    } else {
      for (int ci = 0; ci < s->ns && !w; ci++) {
        const table *dc = s->dcp[ci];
        for (int blk = 0; blk < s->blocks[ci] && !w; blk++) {
          if (r->n < 32) fill(r);
          uint32_t e = r->n >= 32 ? dc->step[r->acc >> (64 - LOOK)] : 0;
          if (e) {
            r->acc <<= e & 63;
            r->n -= (int)(e & 63);
          } else w = dc_symbol(r, dc, why);
        }
      }
    }
    if (!w) *eobrun = 0;
  }
  *mp = w ? m - 1 : m;
  return w;
}
#undef SKIP
#undef TOP_UP
#undef REFILL
#undef SYNC_IN
#undef SYNC_OUT
#undef LOCAL_BITS

static int data_problem(checker *c, const scan_info *s, const bits *r, const char *why, uint32_t m, uint32_t total) {
  if (strcmp(why, "ran out") != 0) return CORRUPT("%s in scan %d (MCU %u of %u)", why, s->index, m + 1, total);
  if (r->pos >= c->len || marker_at(c, r->pos) < 0)
    return CORRUPT("truncated: scan %d's data ends at byte %zu (the end of the file) after %u of %u MCUs", s->index, c->len, m, total);
  char name[8];
  jpeg_marker_name(marker_at(c, r->pos), name);
  return CORRUPT("scan %d ends early: its data stops at byte %zu (%s) after %u of %u MCUs the %dx%d frame needs", s->index, r->pos, name, m, total, c->width, c->height);
}

// Checks one scan's entropy-coded data; *next: where the next marker starts.
static int entropy(checker *c, const scan_info *s, size_t start, size_t *next) {
  const int single = s->ns == 1;
  const component *k0 = s->comps[0];
  const uint64_t mcus_x = single ? k0->w_blocks : ((uint64_t)c->width + (uint64_t)c->hmax * 8 - 1) / ((uint64_t)c->hmax * 8);
  const uint64_t mcus_y = single ? k0->h_blocks : ((uint64_t)c->height + (uint64_t)c->vmax * 8 - 1) / ((uint64_t)c->vmax * 8);
  const uint32_t total = (uint32_t)(mcus_x * mcus_y);
  const int progressive = c->sof == 0xc2;
  bits r = {.b = c->b, .len = c->len, .pos = start, .start = start};
  int eobrun = 0, next_rst = 0;
  char why[64];
  char name[8];
  const uint32_t interval = (uint32_t)c->restart;
  for (uint32_t m = 0; m < total;) {
    if (interval && m > 0) { // (m is a multiple of the interval here)
      size_t p = align(&r);
      int mk = marker_at(c, p);
      if (mk < 0) return CORRUPT("truncated: scan %d's data ends at byte %zu (the end of the file) after %u of %u MCUs", s->index, c->len, m, total);
      if (mk == 0) return CORRUPT("stray data at byte %zu in scan %d where restart marker RST%d should follow MCU %u", p, s->index, next_rst, m);
      if (mk != 0xd0 + next_rst) {
        jpeg_marker_name(mk, name);
        if (mk >= 0xd0 && mk <= 0xd7) return CORRUPT("restart marker out of order in scan %d at byte %zu (%s, expected RST%d)", s->index, p, name, next_rst);
        return CORRUPT("scan %d ends early: its data stops at byte %zu (%s) after %u of %u MCUs", s->index, p, name, m, total);
      }
      next_rst = (next_rst + 1) & 7;
      r = (bits){.b = c->b, .len = c->len, .pos = marker_end(c, p)};
      r.start = r.pos;
      eobrun = 0;
    }
    // the MCUs up to the next restart marker (or the end)
    const uint32_t end = interval && total - m > interval ? m + interval : total;
    const char *w = progressive ? progressive_mcus(s, &r, &m, end, &eobrun, why) : sequential_mcus(s, &r, &m, end, why);
    if (w) return data_problem(c, s, &r, w, m, total);
  }
  size_t p = align(&r);
  if (marker_at(c, p) == 0) return CORRUPT("stray data after scan %d at byte %zu", s->index, p);
  *next = p;
  return 1;
}

static int scan(checker *c, const uint8_t *seg, size_t n, size_t at, size_t start, size_t *next) {
  scan_info *s = calloc(1, sizeof *s);
  if (!s) return CORRUPT("out of memory");
  int ok = 0;
  const int k = ++c->scans;
  s->index = k;
  s->at = at;
  if (c->sof < 0) { CORRUPT("scan %d at byte %zu comes before the frame header", k, at); goto done; }
  if (k > MAX_SCANS) { CORRUPT("more than %d scans", MAX_SCANS); goto done; }
  int ns = n > 0 ? seg[0] : 0;
  if (ns < 1 || ns > 4 || n != 4 + 2 * (size_t)ns) { CORRUPT("bad scan header %d at byte %zu (length %zu for %d components)", k, at, n + 2, ns); goto done; }
  const int progressive = c->sof == 0xc2;
  int sel[4];
  s->ns = ns;
  for (int i = 0; i < ns; i++) {
    int id = seg[1 + 2 * i];
    component *comp = NULL;
    for (int j = 0; j < c->ncomps; j++)
      if (c->comps[j].id == id) comp = &c->comps[j];
    if (!comp) { CORRUPT("bad scan header %d at byte %zu (component id %d is not in the frame)", k, at, id); goto done; }
    for (int j = 0; j < i; j++)
      if (s->comps[j] == comp) { CORRUPT("bad scan header %d at byte %zu (component id %d twice)", k, at, id); goto done; }
    s->comps[i] = comp;
    sel[i] = seg[2 + 2 * i];
  }
  s->ss = seg[1 + 2 * ns], s->se = seg[2 + 2 * ns], s->ah = seg[3 + 2 * ns] >> 4, s->al = seg[3 + 2 * ns] & 15;
  const int dc_scan = s->ss == 0;
  if (progressive) {
    int bad = (dc_scan ? s->se != 0 : (s->ss > s->se || s->se > 63 || ns != 1)) || (s->ah != 0 && s->al != s->ah - 1) || s->al > 13;
    if (bad) { CORRUPT("bad scan header %d at byte %zu (progression Ss=%d Se=%d Ah=%d Al=%d)", k, at, s->ss, s->se, s->ah, s->al); goto done; }
    for (int i = 0; i < ns; i++) {
      component *comp = s->comps[i];
      if (!dc_scan && comp->coef_bits[0] < 0) { CORRUPT("scan %d at byte %zu codes AC coefficients of component %d before its DC", k, at, comp->id); goto done; }
      for (int j = s->ss; j <= s->se; j++) {
        int expected = comp->coef_bits[j] < 0 ? 0 : comp->coef_bits[j];
        if (s->ah != expected) { CORRUPT("scan %d at byte %zu refines coefficient %d of component %d out of order", k, at, j, comp->id); goto done; }
        comp->coef_bits[j] = (int8_t)s->al;
      }
    }
  } else {
    for (int i = 0; i < ns; i++)
      if (s->comps[i]->scans++) { CORRUPT("scan %d at byte %zu codes component %d a second time", k, at, s->comps[i]->id); goto done; }
  }
  int blocks = 0;
  for (int i = 0; i < ns; i++) blocks += ns == 1 ? 1 : s->comps[i]->h * s->comps[i]->v;
  if (blocks > 10) { CORRUPT("bad scan header %d at byte %zu (%d blocks per MCU, at most 10)", k, at, blocks); goto done; }
  for (int i = 0; i < ns; i++)
    if (!c->quant[s->comps[i]->tq]) { CORRUPT("bad scan header %d at byte %zu (quantization table %d of component %d is not defined)", k, at, s->comps[i]->tq, s->comps[i]->id); goto done; }
  const int need_dc = progressive ? dc_scan && s->ah == 0 : 1, need_ac = progressive ? !dc_scan : 1;
  const int ac_steps = !progressive ? STEPS_AC : s->ah == 0 ? STEPS_AC_FIRST : STEPS_AC_REFINE;
  const int batches = c->len - start >= check_jpeg_batches_from; // (the file's bytes after this scan header: at least the scan's data)
  int used = 0;
  for (int i = 0; i < ns; i++) {
    s->blocks[i] = ns == 1 ? 1 : s->comps[i]->h * s->comps[i]->v;
    // Tables are built in the order the file's problems are reported (DC, then AC, component by
    // component); a component whose tables another component of this scan uses too shares them
    // (they built without a problem there). A DC table's steps run on into its AC table's.
    int same_dc = -1, same_ac = -1;
    for (int j = 0; j < i; j++) {
      if (same_dc < 0 && sel[j] == sel[i]) same_dc = j;
      if (same_ac < 0 && (sel[j] & 15) == (sel[i] & 15)) same_ac = j;
    }
    table *dc = NULL, *ac = NULL;
    if (need_dc && same_dc < 0) {
      if (!(dc = table_for(c, used++)) || !get_table(c, 0, sel[i] >> 4, k, at, dc, STEPS_DC)) goto done;
    }
    if (need_ac && same_ac < 0) {
      if (!(ac = table_for(c, used++)) || !get_table(c, 1, sel[i] & 15, k, at, ac, ac_steps)) goto done;
      build_steps(ac, ac_steps, progressive ? 10 - s->al : 10, progressive ? s->se : 63, NULL, batches);
    }
    s->acp[i] = need_ac ? (ac ? ac : s->acp[same_ac]) : NULL;
    if (dc) build_steps(dc, STEPS_DC, 0, 0, s->acp[i], batches);
    s->dcp[i] = need_dc ? (dc ? dc : s->dcp[same_dc]) : NULL;
  }
  ok = entropy(c, s, start, next);
done:
  free(s);
  return ok;
}

static int end_of_image(checker *c, size_t at) {
  if (c->sof < 0 || c->scans == 0) return CORRUPT("end-of-image at byte %zu before any scan", at);
  for (int i = 0; i < c->ncomps; i++) {
    component *k = &c->comps[i];
    if (c->sof != 0xc2) {
      if (!k->scans) return CORRUPT("component %d has no scan (end-of-image at byte %zu)", k->id, at);
      continue;
    }
    for (int j = 0; j < 64; j++)
      if (k->coef_bits[j] != 0)
        return CORRUPT("incomplete progressive image: coefficient %d of component %d is %s (end-of-image at byte %zu)", j, k->id, k->coef_bits[j] < 0 ? "never coded" : "not fully refined", at);
  }
  return 1;
}

static void run(checker *c) {
  const uint8_t *b = c->b;
  const size_t len = c->len;
  char name[8];
  if (len < 2 || b[0] != 0xff || b[1] != 0xd8) { CORRUPT("not a JPEG (it does not start with a start-of-image marker)"); return; }
  size_t pos = 2;
  for (;;) {
    if (pos >= len) { CORRUPT("truncated: the file ends at byte %zu before its end-of-image marker", len); return; }
    if (b[pos] != 0xff) { CORRUPT("stray data at byte %zu where a marker should be", pos); return; }
    size_t q = pos + 1;
    while (q < len && b[q] == 0xff) q++;
    if (q >= len) { CORRUPT("truncated: the file ends at byte %zu before its end-of-image marker", len); return; }
    int m = b[q];
    if (m == 0) { CORRUPT("stray data at byte %zu where a marker should be", pos); return; }
    size_t at = pos;
    pos = q + 1;
    jpeg_marker_name(m, name);
    if (m == 0xd9) { end_of_image(c, at); return; }
    if (m == 0xd8) { CORRUPT("a second start-of-image marker at byte %zu", at); return; }
    if ((m >= 0xd0 && m <= 0xd7) || m == 0x01) continue;
    if (m == 0xc8 || m == 0xde || m == 0xdf || (m >= 0xf0 && m <= 0xfd) || m < 0xc0) { CORRUPT("unknown marker %s at byte %zu", name, at); return; }
    if (pos + 2 > len) { CORRUPT("truncated: the file ends at byte %zu inside the %s segment at byte %zu", len, name, at); return; }
    size_t seglen = ((size_t)b[pos] << 8) | b[pos + 1];
    if (seglen < 2) { CORRUPT("the %s segment at byte %zu has a bad length (%zu)", name, at, seglen); return; }
    if (pos + seglen > len) { CORRUPT("truncated: the file ends at byte %zu inside the %s segment at byte %zu", len, name, at); return; }
    const uint8_t *seg = b + pos + 2;
    size_t n = seglen - 2;
    pos += seglen;
    int ok = 1;
    if (m == 0xdb) ok = dqt(c, seg, n, at);
    else if (m == 0xc4) ok = dht(c, seg, n, at);
    else if (m == 0xdd) {
      if (seglen != 4) ok = CORRUPT("bad DRI segment at byte %zu (length %zu)", at, seglen);
      else c->restart = (seg[0] << 8) | seg[1];
    } else if (m >= 0xc0 && m <= 0xcf && m != 0xcc) ok = frame(c, m, seg, n, at);
    else if (m == 0xda) ok = scan(c, seg, n, at, pos, &pos);
    if (!ok) return;
  }
}

int check_jpeg(const uint8_t *src, size_t n, uint64_t max_pixels, char *message) {
  checker *c = calloc(1, sizeof *c);
  if (!c) {
    fail_with(message, "out of memory");
    return CHECK_CORRUPT;
  }
  c->b = src;
  c->len = n;
  c->max_pixels = max_pixels;
  c->sof = -1;
  c->message = message;
  c->verdict = CHECK_OK;
  message[0] = 0;
  run(c);
  int verdict = c->verdict;
  for (int i = 0; i < 4; i++) free(c->comps[i].nz);
  for (int i = 0; i < 8; i++) free(c->tables[i]);
  free(c);
  return verdict;
}
