// Lockstep's one-affine geometry kernels (ops.h, warp.ts): the image through warpBilinearQ (kernels 2,
// OpenCV's fixed point), the mask through warpNearest, and the exact copies of warpExact (crops,
// flips, quarter turns). Each computes what its JS reference computes, value for value:
//  - bilinear Q is integers only (coordinates in 1/1024 from doubles rounded once per row and once
//    per column, as the reference does), so any instruction order or vector width gives its bytes;
//  - nearest neighbour sums the same two doubles per coordinate as the reference (a * (x + 0.5),
//    computed once per column, plus b * (y + 0.5) + c, once per row) and floors them exactly;
//  - exact copies move samples.
// On x86-64 the inner loops use SSE2 (every x86-64 has it) and, chosen at run time, AVX2; other
// architectures build the plain C (LOCKSTEP_PLAIN_C builds it on x86-64 too). Every read is checked against the view (a wrong argument gives
// wrong pixels, never a read outside a buffer).
#include <stdlib.h>
#include <string.h>
#include "ops.h"

#if defined(__x86_64__) && defined(__SSE2__) && !defined(LOCKSTEP_PLAIN_C)
#include <immintrin.h>
#include "ops_bilinear4.h"
#define GEOM_X86 1
#endif

#define LIM 536870912.0  // 2^29: coordinates are saturated to +-2^29 before they become ints

// cvRound of a double (to nearest, ties to even), saturated to +-2^29: warp.ts rneSat
static inline int rne_sat(double v) {
  if (!(v > -LIM)) return -(int)LIM;
  if (v >= LIM) return (int)LIM;
  int t = (int)v;  // truncation
  double f = (double)t > v ? t - 1 : t;  // floor
  double d = v - f;  // exact, in [0, 1)
  int r = (int)f;
  if (d > 0.5 || (d == 0.5 && (r & 1))) r++;
  return r;
}

static inline int iclamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }
static inline uint32_t ld32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

// ---- bilinear, one affine (warp.ts warpBilinearQ) -------------------------------------------------
// The output is walked in blocks of 16 rows x 64 columns (as cv2.warpAffine does), so the source
// pixels one block reads stay in cache whatever the rotation; each pixel's value depends only on
// its own coordinates, so the order changes nothing.
#define BLOCK_H 16
#define BLOCK_W 64

typedef struct {
  const uint8_t *data;
  size_t len, stride;
  int left, top, sw1, sh1, xlo, xhi, ylo, yhi;
} bq_src;

static inline void bilinear_px(const uint8_t *p00, const uint8_t *p01, const uint8_t *p10, const uint8_t *p11, int fx, int fy, uint8_t *o) {
  const int w00 = (32 - fx) * (32 - fy), w01 = fx * (32 - fy), w10 = (32 - fx) * fy, w11 = fx * fy;
  o[0] = (uint8_t)((w00 * p00[0] + w01 * p01[0] + w10 * p10[0] + w11 * p11[0] + 512) >> 10);
  o[1] = (uint8_t)((w00 * p00[1] + w01 * p01[1] + w10 * p10[1] + w11 * p11[1] + 512) >> 10);
  o[2] = (uint8_t)((w00 * p00[2] + w01 * p01[2] + w10 * p10[2] + w11 * p11[2] + 512) >> 10);
}

// a pixel with a tap beyond the region's inner part: taps clamped to the source, then to the region
static void bq_edge(const bq_src *s, int X, int Y, uint8_t *o) {
  const int ix = X >> 5, iy = Y >> 5;
  const int x0 = iclamp(iclamp(ix, 0, s->sw1), s->xlo, s->xhi) - s->left, x1 = iclamp(iclamp(ix + 1, 0, s->sw1), s->xlo, s->xhi) - s->left;
  const int y0 = iclamp(iclamp(iy, 0, s->sh1), s->ylo, s->yhi) - s->top, y1 = iclamp(iclamp(iy + 1, 0, s->sh1), s->ylo, s->yhi) - s->top;
  const uint8_t *r0 = s->data + (size_t)y0 * s->stride, *r1 = s->data + (size_t)y1 * s->stride;
  bilinear_px(r0 + x0 * 3, r0 + x1 * 3, r1 + x0 * 3, r1 + x1 * 3, X & 31, Y & 31, o);
}

static inline int bq_inner(const bq_src *s, int ix, int iy) { return ix >= s->xlo && ix < s->xhi && iy >= s->ylo && iy < s->yhi; }

// one row's pixels [xa, xb): plain C
static void bq_row_c(const bq_src *s, const int *ad, const int *bd, int X0, int Y0, int xa, int xb, uint8_t *o) {
  for (int x = xa; x < xb; x++, o += 3) {
    const int X = (X0 + ad[x]) >> 5, Y = (Y0 + bd[x]) >> 5;
    const int ix = X >> 5, iy = Y >> 5;
    if (bq_inner(s, ix, iy)) {
      // all four taps inside the region: neighbours in memory
      const uint8_t *p = s->data + (size_t)(iy - s->top) * s->stride + (size_t)(ix - s->left) * 3;
      bilinear_px(p, p + 3, p + s->stride, p + s->stride + 3, X & 31, Y & 31, o);
    } else {
      bq_edge(s, X, Y, o);
    }
  }
}

#ifdef GEOM_X86
// One pixel in SSE2: each row's two taps interleaved per channel (r0 r1 g0 g1 b0 b1) as 16-bit
// words, multiplied by their weights and summed in pairs (pmaddwd), the rows added, rounded by the
// shift. The tap loads stay inside the two pixels (the second tap's 4 bytes are read one byte early
// and shifted). The low 4 bytes of the result: R G B and a junk byte.
static inline __m128i bq_sse2(const uint8_t *p, size_t stride, int k0, int k1) {
  const __m128i z = _mm_setzero_si128();
  __m128i a = _mm_unpacklo_epi8(_mm_cvtsi32_si128((int)ld32(p)), _mm_cvtsi32_si128((int)(ld32(p + 2) >> 8)));
  __m128i b = _mm_unpacklo_epi8(_mm_cvtsi32_si128((int)ld32(p + stride)), _mm_cvtsi32_si128((int)(ld32(p + stride + 2) >> 8)));
  __m128i s = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(a, z), _mm_set1_epi32(k0)), _mm_madd_epi16(_mm_unpacklo_epi8(b, z), _mm_set1_epi32(k1)));
  s = _mm_srai_epi32(_mm_add_epi32(s, _mm_set1_epi32(512)), 10);
  s = _mm_packs_epi32(s, s);
  return _mm_packus_epi16(s, s);
}

// A run of pixels: coordinates (1/32 pixel), weights packed as the 16-bit pairs pmaddwd takes
// ((32 - fx)(32 - fy) | fx(32 - fy) << 16 for the first row, then the second's), inner flags.
#define RUN 64
typedef struct {
  int32_t X[RUN], Y[RUN];
  uint32_t off[RUN];  // the top-left tap's offset in the view (meaningful where `in`)
  int32_t wy[RUN];  // the separable form's weights: 32 - fy | fy << 16 (rows) ...
  uint16_t wx[RUN];  // ... and 32 - fx | fx << 8 (columns, bytes)
  uint8_t in[RUN];
} bq_run;

// n pixels' coordinates and weights, four at a time (the same integer steps as bq_row_c)
static void bq_prepare(const bq_src *s, const int *adx, const int *bdx, int X0, int Y0, int n, bq_run *r) {
  const __m128i vX0 = _mm_set1_epi32(X0), vY0 = _mm_set1_epi32(Y0), m31 = _mm_set1_epi32(31), c32 = _mm_set1_epi32(32);
  const __m128i xlo = _mm_set1_epi32(s->xlo - 1), xhi = _mm_set1_epi32(s->xhi), ylo = _mm_set1_epi32(s->ylo - 1), yhi = _mm_set1_epi32(s->yhi);
  const __m128i top = _mm_set1_epi32(s->top), left3 = _mm_set1_epi32(s->left * 3), stride = _mm_set1_epi32((int)s->stride);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m128i X = _mm_srai_epi32(_mm_add_epi32(vX0, _mm_loadu_si128((const __m128i *)(adx + i))), 5);
    const __m128i Y = _mm_srai_epi32(_mm_add_epi32(vY0, _mm_loadu_si128((const __m128i *)(bdx + i))), 5);
    _mm_storeu_si128((__m128i *)(r->X + i), X);
    _mm_storeu_si128((__m128i *)(r->Y + i), Y);
    const __m128i fx = _mm_and_si128(X, m31), fy = _mm_and_si128(Y, m31), gx = _mm_sub_epi32(c32, fx), gy = _mm_sub_epi32(c32, fy);
    _mm_storeu_si128((__m128i *)(r->wy + i), _mm_or_si128(gy, _mm_slli_epi32(fy, 16)));
    const __m128i wx = _mm_or_si128(gx, _mm_slli_epi32(fx, 8));
    _mm_storel_epi64((__m128i *)(r->wx + i), _mm_packs_epi32(wx, wx));
    const __m128i ix = _mm_srai_epi32(X, 5), iy = _mm_srai_epi32(Y, 5);
    // (iy - top) * stride + ix * 3 - left * 3, modulo 2^32 (exact where inside: the view is < 2^31 bytes)
    const __m128i ry = _mm_sub_epi32(iy, top);
    const __m128i ev = _mm_mul_epu32(ry, stride), od = _mm_mul_epu32(_mm_srli_epi64(ry, 32), stride);
    const __m128i rows = _mm_unpacklo_epi32(_mm_shuffle_epi32(ev, _MM_SHUFFLE(0, 0, 2, 0)), _mm_shuffle_epi32(od, _MM_SHUFFLE(0, 0, 2, 0)));
    _mm_storeu_si128((__m128i *)(r->off + i), _mm_sub_epi32(_mm_add_epi32(rows, _mm_add_epi32(ix, _mm_add_epi32(ix, ix))), left3));
    const __m128i inx = _mm_and_si128(_mm_cmpgt_epi32(ix, xlo), _mm_cmplt_epi32(ix, xhi));
    const __m128i iny = _mm_and_si128(_mm_cmpgt_epi32(iy, ylo), _mm_cmplt_epi32(iy, yhi));
    const int m = _mm_movemask_ps(_mm_castsi128_ps(_mm_and_si128(inx, iny)));
    r->in[i] = m & 1, r->in[i + 1] = (m >> 1) & 1, r->in[i + 2] = (m >> 2) & 1, r->in[i + 3] = (m >> 3) & 1;
  }
  for (; i < n; i++) {
    const int X = (X0 + adx[i]) >> 5, Y = (Y0 + bdx[i]) >> 5;
    const int fx = X & 31, fy = Y & 31;
    r->X[i] = X;
    r->Y[i] = Y;
    r->wy[i] = (32 - fy) | (fy << 16);
    r->wx[i] = (uint16_t)((32 - fx) | (fx << 8));
    r->off[i] = (uint32_t)((Y >> 5) - s->top) * (uint32_t)s->stride + (uint32_t)(X >> 5) * 3u - (uint32_t)s->left * 3u;
    r->in[i] = (uint8_t)bq_inner(s, X >> 5, Y >> 5);
  }
}

// one inner pixel in SSE2, its weights from its fractions
static inline uint32_t bq_one(const bq_src *s, const bq_run *r, int i) {
  const int fx = r->X[i] & 31, fy = r->Y[i] & 31;
  const int k0 = ((32 - fx) * (32 - fy)) | ((fx * (32 - fy)) << 16), k1 = ((32 - fx) * fy) | ((fx * fy) << 16);
  return (uint32_t)_mm_cvtsi128_si32(bq_sse2(s->data + r->off[i], s->stride, k0, k1));
}
// v's low 3 bytes at q; its 4th too when the next pixel is written after (`more`)
static inline void bq_store(uint8_t *q, uint32_t v, int more) {
  if (more) memcpy(q, &v, 4);
  else q[0] = (uint8_t)v, q[1] = (uint8_t)(v >> 8), q[2] = (uint8_t)(v >> 16);
}

// The taps of a run, pixel by pixel (`last`: the run ends the row's segment)
static void bq_taps_sse2(const bq_src *s, const bq_run *r, int n, int last, uint8_t *q) {
  for (int i = 0; i < n; i++, q += 3) {
    if (!r->in[i]) bq_edge(s, r->X[i], r->Y[i], q);
    else bq_store(q, bq_one(s, r, i), i + 1 < n || !last);
  }
}

// Four pixels a step in AVX2 (ops_bilinear4.h's bq4: the separable form of the same integers). Each
// pixel's 8 bytes are loaded at once, so a group is taken only where the last one stays inside the
// view, and only when a pixel written later follows it (two junk bytes).
__attribute__((target("avx2"))) static void bq_taps_avx2(const bq_src *s, const bq_run *r, int n, int last, uint8_t *q) {
  const size_t stride = s->stride;
  const uint8_t *d = s->data;
  const int64_t lim = (int64_t)s->len - (int64_t)stride - 8;  // the largest offset whose two 8-byte loads stay inside
  const __m256i wxs = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, -1, -1, 2, 3, 2, 3, 2, 3, -1, -1, 4, 5, 4, 5, 4, 5, -1, -1, 6, 7, 6, 7, 6, 7, -1, -1);
  int i = 0;
  while (i < n) {
    uint32_t in4 = 0;
    if (i + 4 < n || (i + 4 == n && !last)) memcpy(&in4, r->in + i, 4);
    if (in4 == 0x01010101u) {
      const size_t o[4] = {r->off[i], r->off[i + 1], r->off[i + 2], r->off[i + 3]};
      if ((int64_t)o[0] <= lim && (int64_t)o[1] <= lim && (int64_t)o[2] <= lim && (int64_t)o[3] <= lim) {
        const __m256i wx = _mm256_shuffle_epi8(_mm256_set1_epi64x((long long)(((uint64_t)r->wx[i + 3] << 48) | ((uint64_t)r->wx[i + 2] << 32) | ((uint64_t)r->wx[i + 1] << 16) | r->wx[i])), wxs);
        bq4_store(q, bq4(d, stride, o, wx, _mm_loadu_si128((const __m128i *)(r->wy + i))));
        i += 4, q += 12;
        continue;
      }
    }
    if (!r->in[i]) bq_edge(s, r->X[i], r->Y[i], q);
    else bq_store(q, bq_one(s, r, i), i + 1 < n || !last);
    i++, q += 3;
  }
}

// A run known to be inner and in bounds throughout (bq_row_simd checks its ends): bq_taps_avx2's
// four pixels a step with their coordinates, weights and offsets computed in registers, without
// bq_prepare's tables, flags or the per-group checks (1.3-1.5x the prepared run).
__attribute__((target("avx2"))) static void bq_inner_avx2(const bq_src *s, const int *adx, const int *bdx, int X0, int Y0, int n, int last, uint8_t *q) {
  const size_t stride = s->stride;
  const uint8_t *d = s->data;
  const __m256i wxs = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, -1, -1, 4, 5, 4, 5, 4, 5, -1, -1, 8, 9, 8, 9, 8, 9, -1, -1, 12, 13, 12, 13, 12, 13, -1, -1);
  const __m128i vX0 = _mm_set1_epi32(X0), vY0 = _mm_set1_epi32(Y0), m31 = _mm_set1_epi32(31), c32 = _mm_set1_epi32(32);
  const __m128i top = _mm_set1_epi32(s->top), left3 = _mm_set1_epi32(s->left * 3), vstride = _mm_set1_epi32((int)stride);
  int i = 0;
  for (; i + 4 < n || (i + 4 == n && !last); i += 4, q += 12) {
    const __m128i X = _mm_srai_epi32(_mm_add_epi32(vX0, _mm_loadu_si128((const __m128i *)(adx + i))), 5);
    const __m128i Y = _mm_srai_epi32(_mm_add_epi32(vY0, _mm_loadu_si128((const __m128i *)(bdx + i))), 5);
    const __m128i fx = _mm_and_si128(X, m31), fy = _mm_and_si128(Y, m31), ix = _mm_srai_epi32(X, 5);
    const __m128i off = _mm_sub_epi32(_mm_add_epi32(_mm_mullo_epi32(_mm_sub_epi32(_mm_srai_epi32(Y, 5), top), vstride), _mm_add_epi32(ix, _mm_add_epi32(ix, ix))), left3);
    uint32_t o32[4];
    _mm_storeu_si128((__m128i *)o32, off);
    const size_t o[4] = {o32[0], o32[1], o32[2], o32[3]};
    const __m256i wx = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_or_si128(_mm_sub_epi32(c32, fx), _mm_slli_epi32(fx, 8))), wxs);
    bq4_store(q, bq4(d, stride, o, wx, _mm_or_si128(_mm_sub_epi32(c32, fy), _mm_slli_epi32(fy, 16))));
  }
  for (; i < n; i++, q += 3) {
    const int X = (X0 + adx[i]) >> 5, Y = (Y0 + bdx[i]) >> 5;
    const int fx = X & 31, fy = Y & 31;
    const int k0 = ((32 - fx) * (32 - fy)) | ((fx * (32 - fy)) << 16), k1 = ((32 - fx) * fy) | ((fx * fy) << 16);
    const size_t off = (size_t)((Y >> 5) - s->top) * stride + (size_t)((X >> 5) - s->left) * 3;
    bq_store(q, (uint32_t)_mm_cvtsi128_si32(bq_sse2(d + off, stride, k0, k1)), i + 1 < n || !last);
  }
}

typedef void (*bq_taps_fn)(const bq_src *, const bq_run *, int, int, uint8_t *);
static bq_taps_fn bq_taps_pick(void) {
  return ops_avx2() ? bq_taps_avx2 : bq_taps_sse2;
}

// Along a row X and Y are monotone (a rounded product, a rounded integer and a shift keep order), so a
// run whose first and last pixels are inner is inner throughout, and its largest top-left offset is
// at most the one of its largest row and its largest column.
static int bq_run_inside(const bq_src *s, const int *adx, const int *bdx, int X0, int Y0, int n) {
  const int xa = (X0 + adx[0]) >> 10, ya = (Y0 + bdx[0]) >> 10, xb = (X0 + adx[n - 1]) >> 10, yb = (Y0 + bdx[n - 1]) >> 10;
  if (!bq_inner(s, xa, ya) || !bq_inner(s, xb, yb)) return 0;
  const int64_t far = (int64_t)((ya > yb ? ya : yb) - s->top) * (int64_t)s->stride + (int64_t)((xa > xb ? xa : xb) - s->left) * 3;
  return far <= (int64_t)s->len - (int64_t)s->stride - 8;
}

static void bq_row_simd(const bq_src *s, const int *ad, const int *bd, int X0, int Y0, int xa, int xb, uint8_t *o, bq_taps_fn taps, int avx2, bq_run *r) {
  for (int base = xa; base < xb; base += RUN) {
    const int n = xb - base < RUN ? xb - base : RUN;
    uint8_t *q = o + (size_t)(base - xa) * 3;
    if (avx2 && bq_run_inside(s, ad + base, bd + base, X0, Y0, n)) {
      bq_inner_avx2(s, ad + base, bd + base, X0, Y0, n, base + n == xb, q);
      continue;
    }
    bq_prepare(s, ad + base, bd + base, X0, Y0, n, r);
    taps(s, r, n, base + n == xb, q);
  }
}
#endif

int op_warp_bilinear_q(const view *src, const double *A, const double *fb, int nb, int W, int H, uint8_t *out) {
  const double a = A[0], b = A[1], c = A[2], d = A[3], e = A[4], f = A[5];
  // index coordinates: s = A(x + 0.5, y + 0.5) - 0.5
  const double m2 = a * 0.5 + b * 0.5 + c - 0.5, m5 = d * 0.5 + e * 0.5 + f - 0.5;
  int *ad = malloc(sizeof(int) * ((size_t)W * 2 + (size_t)H * 4));
  if (!ad) return -1;
  int *bd = ad + W, *span = bd + W, *row0 = span + (size_t)H * 2;
  for (int x = 0; x < W; x++) {
    ad[x] = rne_sat(a * x * 1024);
    bd[x] = rne_sat(d * x * 1024);
  }
  for (int y = 0; y < H; y++) {
    op_row_span(fb, nb, y, W, &span[y * 2], &span[y * 2 + 1]);
    row0[y * 2] = rne_sat((b * y + m2) * 1024) + 16;
    row0[y * 2 + 1] = rne_sat((e * y + m5) * 1024) + 16;
  }
  const int left = src->left, top = src->top, rw = src->width, rh = src->height;
  const int sw1 = src->source_width - 1, sh1 = src->source_height - 1;
  // taps are clamped to the source, then to the region (the second clamp only matters for a caller's error)
  bq_src s = {src->data, src->len, (size_t)rw * 3, left, top, sw1, sh1, iclamp(left, 0, sw1), iclamp(left + rw - 1, 0, sw1), iclamp(top, 0, sh1), iclamp(top + rh - 1, 0, sh1)};
  // the inner test asks for ix + 1 <= xhi and iy + 1 <= yhi: both rows and both columns inside the region
#ifdef GEOM_X86
  const bq_taps_fn taps = bq_taps_pick();
  const int avx2 = ops_avx2();
  const int simd = (uint64_t)rw * rh * 3 < 0x7fffffff;  // tap offsets in 32 bits
  bq_run run;
#endif
  for (int by = 0; by < H; by += BLOCK_H) {
    const int ey = by + BLOCK_H < H ? by + BLOCK_H : H;
    for (int bx = 0; bx < W; bx += BLOCK_W) {
      const int ex = bx + BLOCK_W < W ? bx + BLOCK_W : W;
      for (int y = by; y < ey; y++) {
        const int xa = span[y * 2] > bx ? span[y * 2] : bx, xb = span[y * 2 + 1] < ex ? span[y * 2 + 1] : ex;
        if (xa >= xb) continue;
        uint8_t *o = out + ((size_t)y * W + xa) * 3;
#ifdef GEOM_X86
        if (simd) {
          bq_row_simd(&s, ad, bd, row0[y * 2], row0[y * 2 + 1], xa, xb, o, taps, avx2, &run);
          continue;
        }
#endif
        bq_row_c(&s, ad, bd, row0[y * 2], row0[y * 2 + 1], xa, xb, o);
      }
    }
  }
  free(ad);
  return 0;
}

// ---- nearest neighbour, one affine (warp.ts warpNearest) ------------------------------------------
// floor of a coordinate as an int, clamped to +-1e9 first (NaN: -1e9); in range for every valid
// call (a span's points are inside the source), and the reads are checked after.
static inline int floor_i(double u) {
  u = u > -1e9 ? u : -1e9;
  u = u < 1e9 ? u : 1e9;
  const int t = (int)u;
  return t - ((double)t > u);
}

// The source index of each of n points (floor(ax[i] + ru), floor(dx[i] + rv) in the region
// g = {left, top, width, height}), -1 outside it. width * height < 2^31 (the caller checks).
static inline int32_t nn_at(int sx, int sy, const int *g) {
  const unsigned u = (unsigned)(sx - g[0]), v = (unsigned)(sy - g[1]);
  return u < (unsigned)g[2] && v < (unsigned)g[3] ? (int32_t)(v * (unsigned)g[2] + u) : -1;
}
static void nn_index_c(const double *ax, const double *dx, double ru, double rv, int n, const int *g, int32_t *idx) {
  for (int i = 0; i < n; i++) idx[i] = nn_at(floor_i(ax[i] + ru), floor_i(dx[i] + rv), g);
}

#ifdef GEOM_X86
static inline __m128i floor2_sse2(__m128d u) {
  u = _mm_min_pd(_mm_max_pd(u, _mm_set1_pd(-1e9)), _mm_set1_pd(1e9));  // max(NaN, lo) = lo, as floor_i
  __m128i t = _mm_cvttpd_epi32(u);
  __m128i gt = _mm_castpd_si128(_mm_cmpgt_pd(_mm_cvtepi32_pd(t), u));
  return _mm_add_epi32(t, _mm_shuffle_epi32(gt, _MM_SHUFFLE(3, 3, 2, 0)));
}
static void nn_index_sse2(const double *ax, const double *dx, double ru, double rv, int n, const int *g, int32_t *idx) {
  const __m128d vu = _mm_set1_pd(ru), vv = _mm_set1_pd(rv);
  int i = 0;
  for (; i + 2 <= n; i += 2) {
    const __m128i sx = floor2_sse2(_mm_add_pd(_mm_loadu_pd(ax + i), vu)), sy = floor2_sse2(_mm_add_pd(_mm_loadu_pd(dx + i), vv));
    idx[i] = nn_at(_mm_cvtsi128_si32(sx), _mm_cvtsi128_si32(sy), g);
    idx[i + 1] = nn_at(_mm_cvtsi128_si32(_mm_srli_si128(sx, 4)), _mm_cvtsi128_si32(_mm_srli_si128(sy, 4)), g);
  }
  nn_index_c(ax + i, dx + i, ru, rv, n - i, g, idx + i);
}
__attribute__((target("avx2"))) static void nn_index_avx2(const double *ax, const double *dx, double ru, double rv, int n, const int *g, int32_t *idx) {
  const __m256d vu = _mm256_set1_pd(ru), vv = _mm256_set1_pd(rv), lo = _mm256_set1_pd(-1e9), hi = _mm256_set1_pd(1e9);
  const __m128i left = _mm_set1_epi32(g[0]), top = _mm_set1_epi32(g[1]), rw = _mm_set1_epi32(g[2]), rh = _mm_set1_epi32(g[3]), m1 = _mm_set1_epi32(-1);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d u = _mm256_min_pd(_mm256_max_pd(_mm256_add_pd(_mm256_loadu_pd(ax + i), vu), lo), hi);
    const __m256d v = _mm256_min_pd(_mm256_max_pd(_mm256_add_pd(_mm256_loadu_pd(dx + i), vv), lo), hi);
    const __m128i x = _mm_sub_epi32(_mm256_cvttpd_epi32(_mm256_floor_pd(u)), left), y = _mm_sub_epi32(_mm256_cvttpd_epi32(_mm256_floor_pd(v)), top);
    const __m128i ok = _mm_and_si128(_mm_and_si128(_mm_cmpgt_epi32(x, m1), _mm_cmplt_epi32(x, rw)), _mm_and_si128(_mm_cmpgt_epi32(y, m1), _mm_cmplt_epi32(y, rh)));
    const __m128i at = _mm_add_epi32(_mm_mullo_epi32(y, rw), x);  // wraps only where ok is false
    _mm_storeu_si128((__m128i *)(idx + i), _mm_or_si128(_mm_and_si128(ok, at), _mm_andnot_si128(ok, m1)));
  }
  nn_index_c(ax + i, dx + i, ru, rv, n - i, g, idx + i);
}

// nn_index for a run whose every point is inside the region (no clamps, no checks): see op_warp_nearest
__attribute__((target("avx2"))) static void nn_index_in_avx2(const double *ax, const double *dx, double ru, double rv, int n, const int *g, int32_t *idx) {
  const __m256d vu = _mm256_set1_pd(ru), vv = _mm256_set1_pd(rv);
  const __m128i rw = _mm_set1_epi32(g[2]), base = _mm_set1_epi32(g[1] * g[2] + g[0]);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m128i x = _mm256_cvttpd_epi32(_mm256_floor_pd(_mm256_add_pd(_mm256_loadu_pd(ax + i), vu)));
    const __m128i y = _mm256_cvttpd_epi32(_mm256_floor_pd(_mm256_add_pd(_mm256_loadu_pd(dx + i), vv)));
    _mm_storeu_si128((__m128i *)(idx + i), _mm_sub_epi32(_mm_add_epi32(_mm_mullo_epi32(y, rw), x), base));
  }
  nn_index_c(ax + i, dx + i, ru, rv, n - i, g, idx + i);
}
#endif

typedef void (*nn_index_fn)(const double *, const double *, double, double, int, const int *, int32_t *);
static nn_index_fn nn_index_pick(int inside) {
#ifdef GEOM_X86
  return ops_avx2() ? (inside ? nn_index_in_avx2 : nn_index_avx2) : nn_index_sse2;
#else
  (void)inside;
  return nn_index_c;
#endif
}

// An axis-aligned affine (b = d = 0: a crop, a scale, a mirror; random_resized_crop's mask): the
// per-point sums a * xc + (b * yc + c) and d * xc + (e * yc + f) are a * xc + c and e * yc + f up to
// the sign of a zero, which no floor sees, so the source column of each output column and the
// source row of each output row are tabled once and each row is a gather: the same bytes.
// ---- rrc8: an 8-bit mask's tabled rows 16 columns at a time (AVX2 machines): a block of 16 output
// columns whose source columns all lie in the region within 32 bytes of a base (a scale up to ~2,
// mirrored or not) is two 16-byte loads of the source row and a byte shuffle; other blocks (fills,
// wide spans) stay per column. nn_blocks tables each block's base (-1: per column) and its 16 offsets.
#ifdef GEOM_X86
static int32_t *nn_blocks(const int32_t *col, int W, int rw, uint8_t **idx) {
  const int nbk = W / 16;
  if (!nbk || rw < 32) return NULL;
  int32_t *base = malloc(sizeof(int32_t) * (size_t)nbk);
  uint8_t *ix = malloc((size_t)nbk * 16);
  if (!base || !ix) {
    free(base), free(ix);
    return NULL;
  }
  for (int b = 0; b < nbk; b++) {
    int lo = col[16 * b], hi = lo;
    for (int j = 1; j < 16; j++) lo = col[16 * b + j] < lo ? col[16 * b + j] : lo, hi = col[16 * b + j] > hi ? col[16 * b + j] : hi;
    const int b0 = lo < rw - 32 ? lo : rw - 32;
    base[b] = lo < 0 || hi - b0 >= 32 ? -1 : b0;
    for (int j = 0; j < 16; j++) ix[16 * b + j] = (uint8_t)(base[b] < 0 ? 0 : col[16 * b + j] - b0);
  }
  *idx = ix;
  return base;
}
// columns x0..x1 of one row: o[x] = s[col[x]] (col[x] >= 0) or fill
__attribute__((target("avx2"))) static void nn_row8_avx2(const uint8_t *s, const int32_t *col, const int32_t *base, const uint8_t *idx, int x0, int x1, uint8_t fill, uint8_t *o) {
  const __m128i k15 = _mm_set1_epi8(15);
  int x = x0;
  while (x < x1) {
    const int b = x >> 4;
    if ((x & 15) == 0 && x + 16 <= x1 && base[b] >= 0) {
      const uint8_t *p = s + base[b];
      const __m128i i = _mm_loadu_si128((const __m128i *)(idx + 16 * b));
      const __m128i lo = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), i), hi = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), i);
      _mm_storeu_si128((__m128i *)(o + x), _mm_blendv_epi8(lo, hi, _mm_cmpgt_epi8(i, k15)));
      x += 16;
      continue;
    }
    const int end = x1 < ((x | 15) + 1) ? x1 : (x | 15) + 1;
    for (; x < end; x++) o[x] = col[x] >= 0 ? s[col[x]] : fill;
  }
}
#endif
// The same block rows for ops_field.c's op_labels_axes (a kernels-3 axis chain's 8-bit mask: resize, scale):
// the block tables on AVX2 machines (NULL: none, every column gathered), and a row from them.
int32_t *ops_nn_blocks8(const int32_t *col, int W, int rw, uint8_t **idx) {
#ifdef GEOM_X86
  if (ops_avx2()) return nn_blocks(col, W, rw, idx);
#endif
  (void)col, (void)W, (void)rw, (void)idx;
  return NULL;
}
void ops_nn_row8(const uint8_t *s, const int32_t *col, const int32_t *base, const uint8_t *idx, int x0, int x1, uint8_t fill, uint8_t *o) {
#ifdef GEOM_X86
  if (base) {
    nn_row8_avx2(s, col, base, idx, x0, x1, fill, o);
    return;
  }
#endif
  (void)base, (void)idx;
  for (int x = x0; x < x1; x++) o[x] = col[x] >= 0 ? s[col[x]] : fill;
}
static int warp_nearest_axes(const view *src, int depth, const double *A, const double *fb, int nb, int W, int H, int fill, void *out) {
  const double a = A[0], b = A[1], c = A[2], e = A[4], f = A[5];
  const int left = src->left, top = src->top, rw = src->width, rh = src->height;
  int32_t *col = malloc(sizeof(int32_t) * (size_t)W);
  if (!col) return -1;
  const double ru = b * 0.5 + c;
  for (int x = 0; x < W; x++) {
    const unsigned u = (unsigned)(floor_i(a * (x + 0.5) + ru) - left);
    col[x] = u < (unsigned)rw ? (int32_t)u : -1;
  }
  const uint8_t *s8 = src->data;
  const uint16_t *s16 = src->data;
  uint8_t *idx = NULL;
#ifdef GEOM_X86
  int32_t *blk = depth == 8 && ops_avx2() ? nn_blocks(col, W, rw, &idx) : NULL;  // rrc8
#endif
  for (int y = 0; y < H; y++) {
    int x0, x1;
    op_row_span(fb, nb, y, W, &x0, &x1);
    const unsigned v = (unsigned)(floor_i(e * (y + 0.5) + f) - top);
    const int in = v < (unsigned)rh;
    const size_t row = in ? (size_t)v * (size_t)rw : 0;
    if (depth == 16) {
      uint16_t *o = (uint16_t *)out + (size_t)y * W;
      const uint16_t *s = s16 + row;
      for (int x = 0; x < W; x++) o[x] = (uint16_t)fill;
      if (in)
        for (int x = x0; x < x1; x++) o[x] = col[x] >= 0 ? s[col[x]] : (uint16_t)fill;
    } else {
      uint8_t *o = (uint8_t *)out + (size_t)y * W;
      const uint8_t *s = s8 + row;
      if (!in || x1 <= x0) {
        memset(o, fill, (size_t)W);
        continue;
      }
      memset(o, fill, (size_t)x0);
      if (x1 < W) memset(o + x1, fill, (size_t)(W - x1));
#ifdef GEOM_X86
      if (blk) {
        nn_row8_avx2(s, col, blk, idx, x0, x1, (uint8_t)fill, o);
        continue;
      }
#endif
      for (int x = x0; x < x1; x++) o[x] = col[x] >= 0 ? s[col[x]] : (uint8_t)fill;
    }
  }
#ifdef GEOM_X86
  free(blk);
#endif
  free(idx);
  free(col);
  return 0;
}

#define NN_RUN 256
int op_warp_nearest(const view *src, int depth, const double *A, const double *fb, int nb, int W, int H, int fill, void *out) {
  if (A[1] == 0 && A[3] == 0) return warp_nearest_axes(src, depth, A, fb, nb, W, H, fill, out);
  const double a = A[0], b = A[1], c = A[2], d = A[3], e = A[4], f = A[5];
  const int left = src->left, top = src->top, rw = src->width, rh = src->height;
  const int g[4] = {left, top, rw, rh};
  const int big = (uint64_t)rw * rh >= 0x7fffffff;  // indices beyond int32: one point at a time
  double *ax = malloc(sizeof(double) * (size_t)W * 2);
  if (!ax) return -1;
  double *dx = ax + W;
  for (int x = 0; x < W; x++) {
    const double xc = x + 0.5;
    ax[x] = a * xc;
    dx[x] = d * xc;
  }
  const nn_index_fn index = nn_index_pick(0), index_in = nn_index_pick(1);
  int32_t idx[NN_RUN];
  const uint8_t *s8 = src->data;
  const uint16_t *s16 = src->data;
  for (int y = 0; y < H; y++) {
    const double yc = y + 0.5;
    int x0, x1;
    op_row_span(fb, nb, y, W, &x0, &x1);
    const double ru = b * yc + c, rv = e * yc + f;
    uint8_t *o8 = (uint8_t *)out + (size_t)y * W;
    uint16_t *o16 = (uint16_t *)out + (size_t)y * W;
    if (depth == 16) {
      for (int x = 0; x < x0; x++) o16[x] = (uint16_t)fill;
      for (int x = x1; x < W; x++) o16[x] = (uint16_t)fill;
    } else {
      memset(o8, fill, (size_t)x0);
      if (x1 < W) memset(o8 + x1, fill, (size_t)(W - x1));
    }
    // points outside the region: a caller's error; they get the fill
    if (big) {
      for (int x = x0; x < x1; x++) {
        const unsigned u = (unsigned)(floor_i(ax[x] + ru) - left), v = (unsigned)(floor_i(dx[x] + rv) - top);
        const int ok = u < (unsigned)rw && v < (unsigned)rh;
        const size_t at = ok ? (size_t)v * rw + u : 0;
        if (depth == 16) o16[x] = ok ? s16[at] : (uint16_t)fill;
        else o8[x] = ok ? s8[at] : (uint8_t)fill;
      }
      continue;
    }
    for (int base = x0; base < x1; base += NN_RUN) {
      const int n = x1 - base < NN_RUN ? x1 - base : NN_RUN;
      // along a row each coordinate is monotone (a rounded product, a rounded sum and a floor all keep
      // order), so when a run's first and last points are inside the region every point is: then no
      // clamp or check per point (0.6-0.85 -> ~0.4 ms per 512², cv2.warpAffine nearest 0.43)
      if (nn_at(floor_i(ax[base] + ru), floor_i(dx[base] + rv), g) >= 0 && nn_at(floor_i(ax[base + n - 1] + ru), floor_i(dx[base + n - 1] + rv), g) >= 0) {
        index_in(ax + base, dx + base, ru, rv, n, g, idx);
        if (depth == 16)
          for (int i = 0; i < n; i++) o16[base + i] = s16[idx[i]];
        else
          for (int i = 0; i < n; i++) o8[base + i] = s8[idx[i]];
        continue;
      }
      index(ax + base, dx + base, ru, rv, n, g, idx);
      if (depth == 16) {
        for (int i = 0; i < n; i++) o16[base + i] = idx[i] >= 0 ? s16[idx[i]] : (uint16_t)fill;
      } else {
        for (int i = 0; i < n; i++) o8[base + i] = idx[i] >= 0 ? s8[idx[i]] : (uint8_t)fill;
      }
    }
  }
  free(ax);
  return 0;
}

// ---- exact copies (warp.ts warpExact) ---------------------------------------------------------------
// A signed permutation with integer offsets: each output row is a source row (forwards or
// mirrored) or a source column (quarter turns). Columns are copied in tiles of 16 output rows x 64
// columns, so the 16 rows' reads of one column are neighbours in one source row (one cache line)
// and the tile's source lines stay in cache: a transpose that is not bound by cache misses.
#define TILE_H 16
#define TILE_W 64

static inline void copy_px(const void *s, size_t si, void *o, size_t oi, int ch, int depth) {
  if (depth == 16) ((uint16_t *)o)[oi] = ((const uint16_t *)s)[si];
  else if (ch == 3) memcpy((uint8_t *)o + oi, (const uint8_t *)s + si, 3);
  else ((uint8_t *)o)[oi] = ((const uint8_t *)s)[si];
}

// 5 pixels a step: 16 bytes loaded from 13 below pixel x (bytes 1..15: pixels x + 4 down to x),
// reversed by pixel and stored at q's pixel x (the 16th byte is the next step's first). Both stay in
// the rows while x + 6 <= n. mirror_rgb's 4-byte moves are ~2x slower, and twice that again when
// the source and output addresses fall on an unlucky distance (store/load address prediction):
// bench:ops hflip 0.36 ms with them, cv2.flip 0.45.
#ifdef GEOM_X86
__attribute__((target("avx2"))) static void mirror_rgb_avx2(const uint8_t *s, size_t n, uint8_t *q) {
  const __m128i rev = _mm_setr_epi8(13, 14, 15, 10, 11, 12, 7, 8, 9, 4, 5, 6, 1, 2, 3, 0);
  size_t x = 0;
  for (; x + 6 <= n; x += 5) _mm_storeu_si128((__m128i *)(q + 3 * x), _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s - 3 * x - 13)), rev));
  mirror_rgb_from(s, x, n, q);
}
void op_mirror_rgb(const uint8_t *s, size_t n, uint8_t *q) { ops_avx2() ? mirror_rgb_avx2(s, n, q) : mirror_rgb(s, n, q); }
#else
void op_mirror_rgb(const uint8_t *s, size_t n, uint8_t *q) { mirror_rgb(s, n, q); }
#endif

// valid: [x0, y0, x1, y1] (output pixels read from the source; the caller filled the rest)
void op_warp_exact(const view *src, int ch, int depth, const double *A, int W, const int *valid, void *out) {
  const double a = A[0], b = A[1], c = A[2], d = A[3], e = A[4], f = A[5];
  const int x0 = valid[0], y0 = valid[1], x1 = valid[2], y1 = valid[3], n = x1 - x0;
  const int64_t rw = src->width, len = (int64_t)src->len;
  const size_t es = depth == 16 ? 2 : 1;
  if (n <= 0) return;
  // the rows' source starts (element index of the row's first read) and the step between reads
  int64_t starts[TILE_H];
  for (int ty = y0; ty < y1; ty += TILE_H) {
    const int ny = y1 - ty < TILE_H ? y1 - ty : TILE_H;
    int64_t step = 0;
    for (int k = 0; k < ny; k++) {
      const int y = ty + k;
      const double sx0 = (double)floor_i(a * 0.5 + b * (y + 0.5) + c), sy0 = (double)floor_i(d * 0.5 + e * (y + 0.5) + f);
      int64_t s;
      if (d == 0) {
        s = ((int64_t)(sy0 - src->top) * rw + ((int64_t)sx0 + (int64_t)a * x0 - src->left)) * ch;
        step = (int64_t)a * ch;
      } else {
        s = (((int64_t)sy0 + (int64_t)d * x0 - src->top) * rw + ((int64_t)sx0 - src->left)) * ch;
        step = (int64_t)d * rw * ch;
      }
      // every read of the row inside the view, or the row is left as it is (a caller's error)
      const int64_t last = s + step * (n - 1);
      starts[k] = s >= 0 && last >= 0 && s + ch <= len && last + ch <= len ? s : -1;
    }
    if (d == 0) {
      for (int k = 0; k < ny; k++) {
        if (starts[k] < 0) continue;
        const size_t oi = ((size_t)(ty + k) * W + x0) * ch;
        if (step > 0) {
          memcpy((uint8_t *)out + oi * es, (const uint8_t *)src->data + (size_t)starts[k] * es, (size_t)n * ch * es);
          continue;
        }
        const uint8_t *s8 = (const uint8_t *)src->data + (size_t)starts[k] * es;
        if (depth == 8 && ch == 3 && step == -3) op_mirror_rgb(s8, (size_t)n, (uint8_t *)out + oi);
        else if (depth == 8 && ch == 1 && step == -1) mirror8(s8, (size_t)n, (uint8_t *)out + oi);
        else
          for (int x = 0; x < n; x++) copy_px(src->data, (size_t)(starts[k] + step * x), out, oi + (size_t)x * ch, ch, depth);
      }
      continue;
    }
    for (int tx = 0; tx < n; tx += TILE_W) {
      const int nx = n - tx < TILE_W ? n - tx : TILE_W;
      for (int k = 0; k < ny; k++) {
        if (starts[k] < 0) continue;
        const size_t oi = ((size_t)(ty + k) * W + x0 + tx) * ch;
        const int64_t si = starts[k] + step * tx;
        if (depth == 16) {
          const uint16_t *s16 = src->data;
          uint16_t *o16 = (uint16_t *)out + oi;
          for (int x = 0; x < nx; x++) o16[x] = s16[si + step * x];
        } else if (ch == 3) {
          const uint8_t *s8 = src->data;
          uint8_t *o8 = (uint8_t *)out + oi;
          for (int x = 0; x < nx; x++) memcpy(o8 + x * 3, s8 + si + step * x, 3);
        } else {
          const uint8_t *s8 = src->data;
          uint8_t *o8 = (uint8_t *)out + oi;
          for (int x = 0; x < nx; x++) o8[x] = s8[si + step * x];
        }
      }
    }
  }
}
