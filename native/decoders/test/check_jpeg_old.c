// The whole-file JPEG check as it was before its hot loops were rewritten (check_jpeg.c at commit
// 5bfb79f, entry point renamed): the fuzzer (fuzz.c) asks both for a verdict on every mutant and
// fails on the first difference in verdict or words; bench:checks times it as the "before".
// Test code only: built by test/io/fuzz.test.ts and scripts/bench/checks.mjs, never into the addon.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../decoders.h"

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

// FAST_BITS of lookahead: a code and the value bits after it, consumed in one step when they fit.
#define FAST_BITS 10
enum { F_END = 1 << 12, F_ZRL = 1 << 13 };
typedef struct {
  uint16_t fast[512];            // (length << 8) | symbol for codes of at most 9 bits
  uint16_t skip[1 << FAST_BITS]; // code + value bits (low 5 bits) | run << 5 | F_END (EOB) | F_ZRL; 0: not in one step
  int32_t maxcode[18];
  int32_t valoff[17];
  uint8_t vals[256];
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

typedef struct {
  const uint8_t *b;
  size_t len, pos;
  uint64_t acc;
  int n, stop;
  unsigned loads;
  size_t ring[16]; // file offset of each of the last bytes loaded (to find the first not consumed)
} bits;

typedef struct {
  const uint8_t *b;
  size_t len;
  uint64_t max_pixels;
  table_def dc_def[4], ac_def[4];
  int quant[4];
  component comps[4];
  int ncomps, sof, width, height, hmax, vmax, restart, scans;
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

static void old_marker_name(int m, char *out) {
  static const struct { int m; const char *name; } named[] = {{0xc4, "DHT"}, {0xc8, "JPG"}, {0xcc, "DAC"}, {0xd8, "SOI"}, {0xd9, "EOI"}, {0xda, "SOS"},
                                                              {0xdb, "DQT"}, {0xdc, "DNL"}, {0xdd, "DRI"}, {0xfe, "COM"}, {0x01, "TEM"}};
  if (m >= 0xd0 && m <= 0xd7) { snprintf(out, 8, "RST%d", m - 0xd0); return; }
  if (m >= 0xe0 && m <= 0xef) { snprintf(out, 8, "APP%d", m - 0xe0); return; }
  for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
    if (named[i].m == m) { snprintf(out, 8, "%s", named[i].name); return; }
  if (m >= 0xc0 && m <= 0xcf) { snprintf(out, 8, "SOF%d", m - 0xc0); return; }
  snprintf(out, 8, "0xFF%02X", m & 0xff);
}

// libjpeg's jpeg_make_d_derived_tbl checks: at most 256 codes, no code all ones, DC symbols <= 15.
static int build_table(const uint8_t *bits_, const uint8_t *vals, int dc, table *t) {
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
  // one-step entries: DC (size <= 11) and AC (size <= 10) symbols whose code and value bits fit
  memset(t->skip, 0, sizeof t->skip);
  for (size_t i = 0; i < n; i++) {
    int l = sizes[i], run = vals[i] >> 4, size = vals[i] & 15, total, flags = 0;
    if (dc) {
      if (vals[i] > 11) continue;
      total = l + vals[i], run = 0;
    } else if (size) {
      if (size > 10) continue;
      total = l + size;
    } else {
      total = l, flags = run == 15 ? F_ZRL : F_END;
    }
    if (total > FAST_BITS) continue;
    int lo = codes[i] << (FAST_BITS - l);
    for (int k = 0; k < (1 << (FAST_BITS - l)); k++) t->skip[lo + k] = (uint16_t)(total | run << 5 | flags);
  }
  return 1;
}

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
  r->ring[r->loads & 15] = p;
  r->loads++;
  r->acc = (r->acc << 8) | v;
  r->n += 8;
  return 1;
}

// Tops the buffer up to at least 57 bits while the data lasts: whole runs of bytes without 0xFF
// at once (the common case), else byte by byte (stuffing, markers, the end).
static inline void fill(bits *r) {
  while (r->n <= 56) {
    if (!r->stop && r->pos + 8 <= r->len) {
      uint64_t w;
      memcpy(&w, r->b + r->pos, 8);
      // no byte of w is 0xFF: load as many as fit
      if (!(((~w) - 0x0101010101010101ull) & w & 0x8080808080808080ull)) {
        int k = (64 - r->n) >> 3;
        for (int i = 0; i < k; i++) {
          r->ring[r->loads & 15] = r->pos;
          r->loads++;
          r->acc = (r->acc << 8) | r->b[r->pos++];
        }
        r->n += 8 * k;
        continue;
      }
    }
    if (!load(r)) break;
  }
}

static inline int get_bits(bits *r, int s) {
  while (r->n < s)
    if (!load(r)) return RAN_OUT;
  r->n -= s;
  return (int)((r->acc >> r->n) & ((1u << s) - 1));
}

static inline int decode(bits *r, const table *t) {
  if (r->n < 9) fill(r);
  if (r->n >= 9) {
    uint16_t e = t->fast[(r->acc >> (r->n - 9)) & 511];
    if (e) {
      r->n -= e >> 8;
      return e & 255;
    }
  }
  for (int l = 1; l <= 16; l++) {
    while (r->n < l)
      if (!load(r)) return RAN_OUT;
    int32_t code = (int32_t)((r->acc >> (r->n - l)) & ((1u << l) - 1));
    if (code <= t->maxcode[l]) {
      r->n -= l;
      return t->vals[t->valoff[l] + code];
    }
  }
  return BAD_CODE;
}

static size_t align(bits *r) {
  r->n -= r->n & 7;
  if (r->n > 0) return r->ring[(r->loads - (unsigned)(r->n / 8)) & 15];
  return r->pos;
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
  old_marker_name(m, name);
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

static int get_table(checker *c, int cls, int id, int scan, size_t at, table *t) {
  table_def d = {0};
  if (id < 4) d = cls ? c->ac_def[id] : c->dc_def[id]; // (a scan header may name tables 0-15: only 0-3 exist)
  if (!d.defined && id < 2) {
    d.bits = cls ? STD_AC_BITS[id] : STD_DC_BITS[id];
    d.vals = cls ? STD_AC_VALS[id] : STD_DC_VALS;
    d.defined = 1;
  }
  if (!d.defined) return CORRUPT("bad scan header %d at byte %zu (%s Huffman table %d is not defined)", scan, at, cls ? "AC" : "DC", id);
  if (!build_table(d.bits, d.vals, cls == 0, t)) return CORRUPT("bad scan header %d at byte %zu (%s Huffman table %d is not a valid code)", scan, at, cls ? "AC" : "DC", id);
  return 1;
}

typedef struct {
  int index, ns, ss, se, ah, al;
  size_t at;
  component *comps[4];
  table dc[4], ac[4];
} scan_info;

// One MCU of a sequential scan: NULL, or what is wrong ("ran out" when the data stopped). A code
// and its value bits are taken in one step when FAST_BITS hold them (the same checks, in the same
// order, as the step-by-step path and check-jpeg.ts).
static const char *sequential_mcu(const scan_info *s, bits *r, char *why) {
  for (int ci = 0; ci < s->ns; ci++) {
    const component *k = s->comps[ci];
    const table *dc = &s->dc[ci], *ac = &s->ac[ci];
    int n = s->ns == 1 ? 1 : k->h * k->v;
    for (int blk = 0; blk < n; blk++) {
      if (r->n < 32) fill(r);
      uint16_t e = r->n >= FAST_BITS ? dc->skip[(r->acc >> (r->n - FAST_BITS)) & ((1 << FAST_BITS) - 1)] : 0;
      if (e) r->n -= e & 31;
      else {
        int t = decode(r, dc);
        if (t < 0) return t == RAN_OUT ? "ran out" : "bad Huffman code";
        if (t > 11) { snprintf(why, 64, "DC coefficient of size %d", t); return why; }
        if (t && get_bits(r, t) == RAN_OUT) return "ran out";
      }
      for (int kk = 1; kk < 64; kk++) {
        if (r->n < 32) fill(r);
        e = r->n >= FAST_BITS ? ac->skip[(r->acc >> (r->n - FAST_BITS)) & ((1 << FAST_BITS) - 1)] : 0;
        if (e) {
          r->n -= e & 31;
          if (e & F_END) break;
          kk += (e >> 5) & 15;
          if (!(e & F_ZRL) && kk > 63) return "coefficient past the end of a block";
          continue;
        }
        int t = decode(r, ac);
        if (t < 0) return t == RAN_OUT ? "ran out" : "bad Huffman code";
        int run = t >> 4, size = t & 15;
        if (size) {
          kk += run;
          if (kk > 63) return "coefficient past the end of a block";
          if (size > 10) { snprintf(why, 64, "AC coefficient of size %d", size); return why; }
          if (get_bits(r, size) == RAN_OUT) return "ran out";
        } else {
          if (run != 15) break;
          kk += 15;
        }
      }
    }
  }
  return NULL;
}

#define NZ(k) ((nz[block] >> (k)) & 1)
#define SET_NZ(k) (nz[block] |= (uint64_t)1 << (k))

// One MCU of a progressive scan: NULL with *eobrun updated, or what is wrong.
static const char *progressive_mcu(const scan_info *s, bits *r, uint32_t m, int *eobrun, char *why) {
  const int ss = s->ss, se = s->se, ah = s->ah, al = s->al;
  if (ss == 0) {
    for (int ci = 0; ci < s->ns; ci++) {
      const component *k = s->comps[ci];
      int n = s->ns == 1 ? 1 : k->h * k->v;
      for (int blk = 0; blk < n; blk++) {
        if (ah) {
          if (get_bits(r, 1) == RAN_OUT) return "ran out";
          continue;
        }
        int t = decode(r, &s->dc[ci]);
        if (t < 0) return t == RAN_OUT ? "ran out" : "bad Huffman code";
        if (t > 11) { snprintf(why, 64, "DC coefficient of size %d", t); return why; }
        if (t && get_bits(r, t) == RAN_OUT) return "ran out";
      }
    }
    *eobrun = 0;
    return NULL;
  }
  uint64_t *nz = s->comps[0]->nz;
  const size_t block = m;
  const table *ac = &s->ac[0];
  if (ah == 0) {
    if (*eobrun > 0) { (*eobrun)--; return NULL; }
    for (int k = ss; k <= se; k++) {
      int t = decode(r, ac);
      if (t < 0) return t == RAN_OUT ? "ran out" : "bad Huffman code";
      int run = t >> 4, size = t & 15;
      if (size) {
        k += run;
        if (k > se) return "coefficient past the end of a block";
        if (size + al > 10) { snprintf(why, 64, "AC coefficient of size %d (point transform %d)", size, al); return why; }
        if (get_bits(r, size) == RAN_OUT) return "ran out";
        SET_NZ(k);
      } else if (run == 15) {
        k += 15;
      } else {
        int run2 = 1 << run;
        if (run) {
          int extra = get_bits(r, run);
          if (extra == RAN_OUT) return "ran out";
          run2 += extra;
        }
        *eobrun = run2 - 1;
        return NULL;
      }
    }
    *eobrun = 0;
    return NULL;
  }
  int k = ss, eob = *eobrun;
  if (eob == 0) {
    for (; k <= se; k++) {
      int t = decode(r, ac);
      if (t < 0) return t == RAN_OUT ? "ran out" : "bad Huffman code";
      int run = t >> 4, size = t & 15;
      if (size) {
        if (size != 1) return "bad Huffman code";
        if (get_bits(r, 1) == RAN_OUT) return "ran out";
      } else if (run != 15) {
        eob = 1 << run;
        if (run) {
          int extra = get_bits(r, run);
          if (extra == RAN_OUT) return "ran out";
          eob += extra;
        }
        break;
      }
      do {
        if (NZ(k)) {
          if (get_bits(r, 1) == RAN_OUT) return "ran out";
        } else if (--run < 0) break;
        k++;
      } while (k <= se);
      if (size) {
        if (k > se) return "coefficient past the end of a block";
        SET_NZ(k);
      }
    }
  }
  if (eob > 0) {
    for (; k <= se; k++)
      if (NZ(k) && get_bits(r, 1) == RAN_OUT) return "ran out";
    *eobrun = eob - 1;
    return NULL;
  }
  *eobrun = 0;
  return NULL;
}

static int data_problem(checker *c, const scan_info *s, const bits *r, const char *why, uint32_t m, uint32_t total) {
  if (strcmp(why, "ran out") != 0) return CORRUPT("%s in scan %d (MCU %u of %u)", why, s->index, m + 1, total);
  if (r->pos >= c->len || marker_at(c, r->pos) < 0)
    return CORRUPT("truncated: scan %d's data ends at byte %zu (the end of the file) after %u of %u MCUs", s->index, c->len, m, total);
  char name[8];
  old_marker_name(marker_at(c, r->pos), name);
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
  bits r = {.b = c->b, .len = c->len, .pos = start};
  int eobrun = 0, next_rst = 0;
  char why[64];
  char name[8];
  for (uint32_t m = 0; m < total; m++) {
    if (c->restart && m > 0 && m % (uint32_t)c->restart == 0) {
      size_t p = align(&r);
      int mk = marker_at(c, p);
      if (mk < 0) return CORRUPT("truncated: scan %d's data ends at byte %zu (the end of the file) after %u of %u MCUs", s->index, c->len, m, total);
      if (mk == 0) return CORRUPT("stray data at byte %zu in scan %d where restart marker RST%d should follow MCU %u", p, s->index, next_rst, m);
      if (mk != 0xd0 + next_rst) {
        old_marker_name(mk, name);
        if (mk >= 0xd0 && mk <= 0xd7) return CORRUPT("restart marker out of order in scan %d at byte %zu (%s, expected RST%d)", s->index, p, name, next_rst);
        return CORRUPT("scan %d ends early: its data stops at byte %zu (%s) after %u of %u MCUs", s->index, p, name, m, total);
      }
      next_rst = (next_rst + 1) & 7;
      r = (bits){.b = c->b, .len = c->len, .pos = marker_end(c, p)};
      eobrun = 0;
    }
    const char *w = progressive ? progressive_mcu(s, &r, m, &eobrun, why) : sequential_mcu(s, &r, why);
    if (w) return data_problem(c, s, &r, w, m, total);
  }
  size_t p = align(&r);
  if (marker_at(c, p) == 0) return CORRUPT("stray data after scan %d at byte %zu", s->index, p);
  *next = p;
  return 1;
}

static int scan(checker *c, const uint8_t *seg, size_t n, size_t at, size_t start, size_t *next) {
  scan_info *s = calloc(1, sizeof *s); // (the tables are 8 KiB)
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
  for (int i = 0; i < ns; i++) {
    int need_dc = progressive ? dc_scan && s->ah == 0 : 1, need_ac = progressive ? !dc_scan : 1;
    if (need_dc && !get_table(c, 0, sel[i] >> 4, k, at, &s->dc[i])) goto done;
    if (need_ac && !get_table(c, 1, sel[i] & 15, k, at, &s->ac[i])) goto done;
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
    old_marker_name(m, name);
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

int check_jpeg_old(const uint8_t *src, size_t n, uint64_t max_pixels, char *message) {
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
  free(c);
  return verdict;
}
