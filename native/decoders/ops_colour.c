// Colour kernels (ops.h, "colour" block): the fast twins of ops/colour.ts, ops/hsv.ts,
// ops/histogram.ts and ops/noise.ts's one-factor multiplicative noise, equal to them byte for byte.
// Integer steps are the JS ones; float32 steps are float operations one by one (no contraction:
// -ffp-contract=off), so each value is computed as JS computes it. Loops over contiguous samples
// with restrict pointers, built twice on x86-64 (the SSE2 baseline and an AVX2 clone chosen at run
// time); other architectures build the plain C.
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define COLOUR_AVX2 1
#define AVX2 __attribute__((target("avx2")))
#else
#define COLOUR_AVX2 0
#endif
#define INLINE static inline __attribute__((always_inline))

// Declares op(args) running body_(args) through the AVX2 clone where the CPU has it.
#if COLOUR_AVX2
#define DISPATCH(ret, name, params, call)            \
  AVX2 static ret name##_avx2 params { return name##_body call; } \
  static ret name##_base params { return name##_body call; }      \
  ret name params { return ops_avx2() ? name##_avx2 call : name##_base call; }
#else
#define DISPATCH(ret, name, params, call) \
  ret name params { return name##_body call; }
#endif

// ---- tables (photometric.ts applyLut; per-channel tables) ---------------------------------------------
// one table for every byte (photometric.ts applyLut; mapRegion's table), from s to d (the same
// buffer, or two that do not overlap): four bytes a step, each step's reads before its writes
INLINE void op_lut_from(uint8_t *d, const uint8_t *s, size_t i, size_t n, const uint8_t *restrict lut) {
  for (; i + 4 <= n; i += 4) {
    uint8_t a = lut[s[i]], b = lut[s[i + 1]], c = lut[s[i + 2]], e = lut[s[i + 3]];
    d[i] = a, d[i + 1] = b, d[i + 2] = c, d[i + 3] = e;
  }
  for (; i < n; i++) d[i] = lut[s[i]];
}
#if COLOUR_AVX2
#include <immintrin.h>
// A 256-entry table (op_lut; op_hsv_map's tables), 32 bytes a step through byte shuffles, which
// look up 16-entry tables and give 0 where the index's top bit is set. Each half of the table
// (values below 128, and v ^ 0x80 for the others) is 8 rows of 16: x = v + 0x70 (saturating) has
// its top bit clear exactly for v < 16, and x - 16 h exactly for v < 16 (h + 1), always with v's
// low nibble. So row h's shuffle contributes for every v of row h or below, and the shuffled
// tables are running differences, row h xor row h + 1 (row 7 as it is): the contributions from v's
// row to row 7 xor to v's entry. The bytes of the scalar loop, 1.9x faster per 512^2 (0.13
// against 0.24 ms; cv2.LUT 0.29).
AVX2 INLINE void lut_rows_avx2(const uint8_t *lut, __m256i t[16]) {
  for (int h = 0; h < 16; h++) {
    __m128i row = _mm_loadu_si128((const __m128i *)(lut + 16 * h));
    if ((h & 7) != 7) row = _mm_xor_si128(row, _mm_loadu_si128((const __m128i *)(lut + 16 * h + 16)));
    t[h] = _mm256_broadcastsi128_si256(row);
  }
}
AVX2 INLINE __m256i lut32_avx2(const __m256i t[16], __m256i v) {
  const __m256i c70 = _mm256_set1_epi8(0x70), c16 = _mm256_set1_epi8(16), c80 = _mm256_set1_epi8((char)0x80);
  __m256i x = _mm256_adds_epu8(v, c70), y = _mm256_adds_epu8(_mm256_xor_si256(v, c80), c70);
  __m256i lo = _mm256_shuffle_epi8(t[0], x), hi = _mm256_shuffle_epi8(t[8], y);
  for (int h = 1; h < 8; h++) {
    x = _mm256_sub_epi8(x, c16), y = _mm256_sub_epi8(y, c16);
    lo = _mm256_xor_si256(lo, _mm256_shuffle_epi8(t[h], x));
    hi = _mm256_xor_si256(hi, _mm256_shuffle_epi8(t[8 + h], y));
  }
  return _mm256_or_si256(lo, hi);
}
AVX2 static void op_lut_avx2(uint8_t *d, const uint8_t *s, size_t n, const uint8_t *restrict lut) {
  __m256i t[16];
  lut_rows_avx2(lut, t);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) _mm256_storeu_si256((__m256i *)(d + i), lut32_avx2(t, _mm256_loadu_si256((const __m256i *)(s + i))));
  op_lut_from(d, s, i, n, lut);
}
static void op_lut_base(uint8_t *d, const uint8_t *s, size_t n, const uint8_t *restrict lut) { op_lut_from(d, s, 0, n, lut); }
void op_lut_to(uint8_t *d, const uint8_t *s, size_t n, const uint8_t *lut) { ops_avx2() ? op_lut_avx2(d, s, n, lut) : op_lut_base(d, s, n, lut); }
#else
void op_lut_to(uint8_t *d, const uint8_t *s, size_t n, const uint8_t *lut) { op_lut_from(d, s, 0, n, lut); }
#endif
void op_lut(uint8_t *d, size_t n, const uint8_t *lut) { op_lut_to(d, d, n, lut); }

INLINE void op_lut3_tables_body(uint8_t *restrict d, size_t n, const uint8_t *restrict l0, const uint8_t *restrict l1, const uint8_t *restrict l2) {
  const uint8_t *t[3] = {l0, l1, l2};
  size_t i = 0;
  for (; i + 6 <= n; i += 6) {
    uint8_t a = l0[d[i]], b = l1[d[i + 1]], c = l2[d[i + 2]], e = l0[d[i + 3]], f = l1[d[i + 4]], g = l2[d[i + 5]];
    d[i] = a, d[i + 1] = b, d[i + 2] = c, d[i + 3] = e, d[i + 4] = f, d[i + 5] = g;
  }
  for (; i < n; i++) d[i] = t[i % 3][d[i]];
}
DISPATCH(void, op_lut3_tables, (uint8_t * d, size_t n, const uint8_t *l0, const uint8_t *l1, const uint8_t *l2), (d, n, l0, l1, l2))
// one table passed three times (channel shift, one-factor noise): the one-table loop
void op_lut3(uint8_t *d, size_t n, const uint8_t *l0, const uint8_t *l1, const uint8_t *l2) {
  if (!memcmp(l0, l1, 256) && !memcmp(l1, l2, 256)) op_lut(d, n, l0);
  else op_lut3_tables(d, n, l0, l1, l2);
}

// ---- colour.ts channelShift: the image's lowest and highest value ---------------------------------------
INLINE void op_minmax_body(const uint8_t *restrict d, size_t n, uint8_t *restrict out) {
  uint8_t lo = 255, hi = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t v = d[i];
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  out[0] = lo, out[1] = hi;
}
DISPATCH(void, op_minmax, (const uint8_t *d, size_t n, uint8_t *out), (d, n, out))

// ---- histogram.ts equalizeLut: each channel's histogram (hist[c * 256 + v]) --------------------------------
// two sets of counters (even and odd pixels) so that neighbouring equal values do not wait on each other
void op_hist3(const uint8_t *restrict d, size_t n, uint32_t *restrict hist) {
  uint32_t h[6 * 256] = {0};
  size_t px = n / 3, p = 0;
  for (; p + 2 <= px; p += 2) {
    const uint8_t *q = d + p * 3;
    h[q[0]]++, h[256 + q[1]]++, h[512 + q[2]]++;
    h[768 + q[3]]++, h[1024 + q[4]]++, h[1280 + q[5]]++;
  }
  for (int i = 0; i < 768; i++) hist[i] = h[i] + h[768 + i];
  for (; p < px; p++) hist[d[p * 3]]++, hist[256 + d[p * 3 + 1]]++, hist[512 + d[p * 3 + 2]]++;
}

// ---- cv8.ts grey8 (cv2.COLOR_RGB2GRAY: 15-bit fixed point) --------------------------------------------------
INLINE int grey_of(int r, int g, int b) { return (r * 9798 + g * 19235 + b * 3735 + (1 << 14)) >> 15; }

// colour.ts toGrey: grey in all three channels
INLINE void op_grey_from(uint8_t *restrict d, size_t p, size_t px) {
  for (; p < px; p++) {
    uint8_t g = (uint8_t)grey_of(d[3 * p], d[3 * p + 1], d[3 * p + 2]);
    d[3 * p] = g, d[3 * p + 1] = g, d[3 * p + 2] = g;
  }
}
#if COLOUR_AVX2
// 32 pixels a step, 16 in each 128-bit lane (lane 0: the first 48 bytes, lane 1: the next 48): the
// bytes split into R, G and B by byte shuffles, grey_of's products in 32-bit lanes (madd of the
// (r, g) and (b, 1) pairs with (9798, 19235) and (3735, 2^14)), and the grey bytes spread back to
// three copies by three more shuffles. The same integers as grey_of. (GCC 12 at -O2 leaves the
// scalar loop as it is: 0.19 ms per 512²; 16 pixels a step 0.10; cv2.cvtColor x2 0.12-0.15.)
static inline __m128i grey_pick(int ch, int blk) {
  int8_t m[16];
  for (int i = 0; i < 16; i++) {
    int idx = 3 * i + ch;
    m[i] = (int8_t)(idx / 16 == blk ? idx % 16 : 0x80);
  }
  return _mm_loadu_si128((const __m128i *)m);
}
static inline __m128i grey_spread(int blk) {
  int8_t m[16];
  for (int i = 0; i < 16; i++) m[i] = (int8_t)((16 * blk + i) / 3);
  return _mm_loadu_si128((const __m128i *)m);
}
AVX2 static inline __m256i grey_half(__m256i r16, __m256i g16, __m256i b16, int hi) {
  const __m256i wrg = _mm256_set1_epi32(9798 | (19235 << 16)), wb1 = _mm256_set1_epi32(3735 | (16384 << 16)), one = _mm256_set1_epi16(1);
  const __m256i rg = hi ? _mm256_unpackhi_epi16(r16, g16) : _mm256_unpacklo_epi16(r16, g16);
  const __m256i b1 = hi ? _mm256_unpackhi_epi16(b16, one) : _mm256_unpacklo_epi16(b16, one);
  return _mm256_srli_epi32(_mm256_add_epi32(_mm256_madd_epi16(rg, wrg), _mm256_madd_epi16(b1, wb1)), 15);
}
AVX2 static inline __m256i lanes(const uint8_t *lo, const uint8_t *hi) {
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)lo)), _mm_loadu_si128((const __m128i *)hi), 1);
}
AVX2 static void op_grey_avx2(uint8_t *restrict d, size_t n) {
  const size_t px = n / 3;
  __m256i pick[3][3], spread[3];
  for (int ch = 0; ch < 3; ch++)
    for (int blk = 0; blk < 3; blk++) pick[ch][blk] = _mm256_broadcastsi128_si256(grey_pick(ch, blk));
  for (int blk = 0; blk < 3; blk++) spread[blk] = _mm256_broadcastsi128_si256(grey_spread(blk));
  const __m256i z = _mm256_setzero_si256();
  size_t p = 0;
  for (; p + 32 <= px; p += 32) {
    uint8_t *q = d + 3 * p;
    const __m256i a = lanes(q, q + 48), b = lanes(q + 16, q + 64), c = lanes(q + 32, q + 80);
    __m256i ch8[3];
    for (int ch = 0; ch < 3; ch++)
      ch8[ch] = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, pick[ch][0]), _mm256_shuffle_epi8(b, pick[ch][1])), _mm256_shuffle_epi8(c, pick[ch][2]));
    __m256i lo16[2];
    for (int h = 0; h < 2; h++) {
      const __m256i r16 = h ? _mm256_unpackhi_epi8(ch8[0], z) : _mm256_unpacklo_epi8(ch8[0], z), g16 = h ? _mm256_unpackhi_epi8(ch8[1], z) : _mm256_unpacklo_epi8(ch8[1], z),
                    b16 = h ? _mm256_unpackhi_epi8(ch8[2], z) : _mm256_unpacklo_epi8(ch8[2], z);
      lo16[h] = _mm256_packs_epi32(grey_half(r16, g16, b16, 0), grey_half(r16, g16, b16, 1));
    }
    const __m256i g8 = _mm256_packus_epi16(lo16[0], lo16[1]);
    for (int blk = 0; blk < 3; blk++) {
      const __m256i v = _mm256_shuffle_epi8(g8, spread[blk]);
      _mm_storeu_si128((__m128i *)(q + 16 * blk), _mm256_castsi256_si128(v));
      _mm_storeu_si128((__m128i *)(q + 48 + 16 * blk), _mm256_extracti128_si256(v, 1));
    }
  }
  op_grey_from(d, p, px);
}
static void op_grey_base(uint8_t *restrict d, size_t n) { op_grey_from(d, 0, n / 3); }
void op_grey(uint8_t *d, size_t n) { ops_avx2() ? op_grey_avx2(d, n) : op_grey_base(d, n); }
#else
void op_grey(uint8_t *d, size_t n) { op_grey_from(d, 0, n / 3); }
#endif

// hsv.ts greyMean's sum (integers: exact), of the values through pre (NULL: as they are)
INLINE uint64_t op_grey_sum_body(const uint8_t *restrict d, size_t n, const uint8_t *restrict pre) {
  size_t px = n / 3;
  uint64_t sum = 0;
  if (pre)
    for (size_t p = 0; p < px; p++) sum += (uint32_t)grey_of(pre[d[3 * p]], pre[d[3 * p + 1]], pre[d[3 * p + 2]]);
  else
    for (size_t p = 0; p < px; p++) sum += (uint32_t)grey_of(d[3 * p], d[3 * p + 1], d[3 * p + 2]);
  return sum;
}
DISPATCH(uint64_t, op_grey_sum, (const uint8_t *d, size_t n, const uint8_t *pre), (d, n, pre))

// ---- hsv.ts adjustSaturation: cv2.addWeighted(img, a, grey, b, 0), float32, rounded to nearest even ----
// x + 1.5 * 2^23 - 1.5 * 2^23 rounds a float in [0, 2^22) to an integer, ties to even (cvRound)
// (x <= 0: 0; x >= 255: 255 as JS's satRound; a NaN gives 0 as a Uint8Array store of NaN does: the
// comparisons are false for it)
INLINE uint8_t sat_round_v(float x) {
  float r = (x + 12582912.0f) - 12582912.0f;
  r = r > 0 ? r : 0;
  r = r < 255 ? r : 255;
  return (uint8_t)(int)r;
}
// every (grey, value) result t[g * 256 + v] once (the per-value arithmetic unchanged), then a lookup a value
INLINE void saturation_table(uint8_t *restrict t, float a, float b) {
  for (int g = 0; g < 256; g++) {
    double gb = (float)((double)g * (double)b);
    for (int v = 0; v < 256; v++) t[g * 256 + v] = sat_round_v((float)((double)v * (double)a + gb));
  }
}
INLINE void saturation_apply(uint8_t *restrict d, size_t px, const uint8_t *restrict pre, const uint8_t *restrict t) {
  for (size_t p = 0; p < px; p++) {
    int r = d[3 * p], g = d[3 * p + 1], b = d[3 * p + 2];
    if (pre) r = pre[r], g = pre[g], b = pre[b];
    const uint8_t *row = t + grey_of(r, g, b) * 256;
    d[3 * p] = row[r], d[3 * p + 1] = row[g], d[3 * p + 2] = row[b];
  }
}
// pre: the pending per-value table of hsv.ts colorJitter, applied first (NULL: none)
INLINE void op_saturation_body(uint8_t *restrict d, size_t n, double factor, const uint8_t *restrict pre) {
  const float a = (float)factor, b = (float)(1 - factor);
  size_t px = n / 3;
  if (factor == 0) {
    for (size_t p = 0; p < px; p++) {
      int r = d[3 * p], gg = d[3 * p + 1], bb = d[3 * p + 2];
      if (pre) r = pre[r], gg = pre[gg], bb = pre[bb];
      uint8_t g = (uint8_t)grey_of(r, gg, bb);
      d[3 * p] = g, d[3 * p + 1] = g, d[3 * p + 2] = g;
    }
    return;
  }
  uint8_t *t = malloc(65536);
  if (t) {
    saturation_table(t, a, b);
    if (pre)
      saturation_apply(d, px, pre, t);
    else
      saturation_apply(d, px, NULL, t);
    free(t);
    return;
  }
  for (size_t p = 0; p < px; p++) {
    if (pre) d[3 * p] = pre[d[3 * p]], d[3 * p + 1] = pre[d[3 * p + 1]], d[3 * p + 2] = pre[d[3 * p + 2]];
    int g = grey_of(d[3 * p], d[3 * p + 1], d[3 * p + 2]);
    // the product of an integer below 2^9 and a float is exact in double: rounding once is float's
    double gb = (float)((double)g * (double)b);
    for (int c = 0; c < 3; c++) d[3 * p + c] = sat_round_v((float)((double)d[3 * p + c] * (double)a + gb));
  }
}
DISPATCH(void, op_saturation, (uint8_t * d, size_t n, double factor, const uint8_t *pre), (d, n, factor, pre))

// ---- histogram.ts claheRgb: RGB -> YCrCb, cv::CLAHE on Y, back ----------------------------------------------
INLINE uint8_t sat_i(int v) {
  v = v < 0 ? 0 : v;
  v = v > 255 ? 255 : v;
  return (uint8_t)v;
}
#define DESCALE14(x) (((x) + (1 << 13)) >> 14)

// rows of luts: per tile 256 entries; the histograms of tiles (tw x th, plane extended by reflection);
// the plane is Y of interleaved YCrCb (stride 3)
static void clahe_luts(const uint8_t *plane, int w, int h, int tiles, int tw, int th, double clip, uint8_t *luts, const int *xs) {
  int64_t area = (int64_t)tw * th;
  int64_t limit = 0;
  if (clip > 0) {
    double l = (clip * (double)area) / 256;
    limit = l >= 9e18 ? INT64_MAX : !(l >= 1) ? 1 : (int64_t)l;
  }
  const float scale = (float)(255.0 / (double)area);
  int64_t hist[256];
  for (int ty = 0; ty < tiles; ty++) {
    for (int tx = 0; tx < tiles; tx++) {
      // two sets of counters (even and odd columns): equal neighbours do not wait on each other
      uint32_t h2[2][256] = {{0}};
      int x0 = tx * tw, x1 = (tx + 1) * tw;
      for (int y = ty * th; y < (ty + 1) * th; y++) {
        const uint8_t *row = plane + (size_t)(y < h ? y : 2 * (h - 1) - y) * w * 3;
        int x = x0;
        if (x1 <= w) {
          for (; x + 2 <= x1; x += 2) h2[0][row[3 * x]]++, h2[1][row[3 * x + 3]]++;
          for (; x < x1; x++) h2[0][row[3 * x]]++;
        } else
          for (; x < x1; x++) h2[0][row[3 * xs[x]]]++;
      }
      for (int i = 0; i < 256; i++) hist[i] = (int64_t)h2[0][i] + h2[1][i];
      if (limit > 0) {
        int64_t clipped = 0;
        for (int i = 0; i < 256; i++)
          if (hist[i] > limit) clipped += hist[i] - limit, hist[i] = limit;
        int64_t batch = clipped / 256;
        int residual = (int)(clipped - batch * 256);
        for (int i = 0; i < 256; i++) hist[i] += batch;
        if (residual != 0) {
          int step = 256 / residual;
          if (step < 1) step = 1;
          for (int i = 0; i < 256 && residual > 0; i += step, residual--) hist[i]++;
        }
      }
      uint8_t *o = luts + (size_t)(ty * tiles + tx) * 256;
      int64_t sum = 0;
      for (int i = 0; i < 256; i++) {
        sum += hist[i];
        o[i] = sat_round_v((float)sum * scale);
      }
    }
  }
}

static inline int ifloorf(float x) {
  int t = (int)x;
  return t > x ? t - 1 : t;
}

// RGB -> YCrCb (cv8.ts rgbToYcrcb8), in place
INLINE void ycc_body(uint8_t *restrict d, size_t np) {
  for (size_t k = 0; k < np; k++) {
    int r = d[3 * k], g = d[3 * k + 1], b = d[3 * k + 2];
    int yy = DESCALE14(r * 4899 + g * 9617 + b * 1868);
    d[3 * k] = (uint8_t)yy;
    d[3 * k + 1] = sat_i(DESCALE14((r - yy) * 11682 + (128 << 14)));
    d[3 * k + 2] = sat_i(DESCALE14((b - yy) * 9241 + (128 << 14)));
  }
}
DISPATCH(void, ycc, (uint8_t * d, size_t np), (d, np))

// one output row: the four tiles' table values (gathered one by one), the float32 bilinear mix in
// lanes, then YCrCb -> RGB (cv8.ts ycrcbToRgb8)
typedef struct {
  const int *x1s, *x2s;
  const float *xas, *xa1s;
  float *a, *b, *c, *e;
  int32_t *ny;
} clahe_bufs;
INLINE void clahe_mix_body(const clahe_bufs *restrict cr, const uint8_t *restrict r1, const uint8_t *restrict r2, const uint8_t *restrict q, int w, float ya, float ya1) {
  float *restrict A = cr->a, *restrict B = cr->b, *restrict C = cr->c, *restrict E = cr->e;
  const float *restrict xas = cr->xas, *restrict xa1s = cr->xa1s;
  int32_t *restrict ny = cr->ny;
  for (int x = 0; x < w; x++) {
    int v = q[3 * x], i1 = cr->x1s[x] + v, i2 = cr->x2s[x] + v;
    A[x] = r1[i1], B[x] = r1[i2], C[x] = r2[i1], E[x] = r2[i2];
  }
  for (int x = 0; x < w; x++) {
    float top = A[x] * xa1s[x] + B[x] * xas[x];
    float bottom = C[x] * xa1s[x] + E[x] * xas[x];
    ny[x] = sat_round_v(top * ya1 + bottom * ya);
  }
}
DISPATCH(void, clahe_mix, (const clahe_bufs *cr, const uint8_t *r1, const uint8_t *r2, const uint8_t *q, int w, float ya, float ya1), (cr, r1, r2, q, w, ya, ya1))

// clahe_mix with the four tables' entries of a pixel packed in one word: pk[seg[x] + v] holds the
// entries of the row band's two tile rows (r1, r2) and the column's two tiles (x1s, x2s) as
// bytes 0..3 (pack_band): one read per pixel instead of four, the same values
INLINE void clahe_mix_packed_body(const clahe_bufs *restrict cr, const uint32_t *restrict pk, const int32_t *restrict seg, const uint8_t *restrict q, int w, float ya, float ya1) {
  uint32_t *restrict P = (uint32_t *)cr->a;
  const float *restrict xas = cr->xas, *restrict xa1s = cr->xa1s;
  int32_t *restrict ny = cr->ny;
  for (int x = 0; x < w; x++) P[x] = pk[seg[x] + q[3 * x]];
  for (int x = 0; x < w; x++) {
    uint32_t p = P[x];
    float a = (float)(int)(p & 255), b = (float)(int)((p >> 8) & 255), c = (float)(int)((p >> 16) & 255), e = (float)(int)(p >> 24);
    float top = a * xa1s[x] + b * xas[x];
    float bottom = c * xa1s[x] + e * xas[x];
    ny[x] = sat_round_v(top * ya1 + bottom * ya);
  }
}
DISPATCH(void, clahe_mix_packed, (const clahe_bufs *cr, const uint32_t *pk, const int32_t *seg, const uint8_t *q, int w, float ya, float ya1), (cr, pk, seg, q, w, ya, ya1))

// the packed entries of a row band (tile rows r1, r2) for the column segments k = 0..tiles (tiles
// max(k - 1, 0) and min(k, tiles - 1))
static void pack_band(uint32_t *pk, const uint8_t *r1, const uint8_t *r2, int tiles) {
  for (int k = 0; k <= tiles; k++) {
    const int a = (k > 1 ? k - 1 : 0) * 256, b = (k < tiles - 1 ? k : tiles - 1) * 256;
    for (int v = 0; v < 256; v++) pk[k * 256 + v] = (uint32_t)r1[a + v] | (uint32_t)r1[b + v] << 8 | (uint32_t)r2[a + v] << 16 | (uint32_t)r2[b + v] << 24;
  }
}

// YCrCb -> RGB of one row with its new Y (cv8.ts ycrcbToRgb8)
INLINE void clahe_back_body(const int32_t *restrict ny, uint8_t *restrict q, int w) {
  for (int x = 0; x < w; x++) {
    int dcr = q[3 * x + 1] - 128, dcb = q[3 * x + 2] - 128, n = ny[x];
    q[3 * x] = sat_i(n + DESCALE14(dcr * 22987));
    q[3 * x + 1] = sat_i(n + DESCALE14(dcb * -5636 + dcr * -11698));
    q[3 * x + 2] = sat_i(n + DESCALE14(dcb * 29049));
  }
}
DISPATCH(void, clahe_back, (const int32_t *ny, uint8_t *q, int w), (ny, q, w))

// the row pass's steps through the variant chosen once per call
#if COLOUR_AVX2
#define CLAHE_STEP(avx2, name, args) ((avx2) ? name##_avx2 args : name##_base args)
#else
#define CLAHE_STEP(avx2, name, args) name args
#endif

int op_clahe_rgb(uint8_t *d, int w, int h, double clip, int tiles) {
  int ew = w % tiles == 0 ? w : w + tiles - w % tiles, eh = h % tiles == 0 ? h : h + tiles - h % tiles;
  if (ew > 2 * w - 1 && ew != w) return -2;  // reflection beyond the plane: the JS reference's case alone
  if (eh > 2 * h - 1 && eh != h) return -2;
  int tw = ew / tiles, th = eh / tiles;
  size_t np = (size_t)w * h;
  // the packed tables pay when building them for every band (at most tiles + 1) costs less than the image
  const int packed = (size_t)(tiles + 1) * (tiles + 1) * 256 <= np;
  // no plane of its own: Y, Cr and Cb stay interleaved in d (a fresh buffer per call costs page faults)
  uint8_t *luts = malloc((size_t)tiles * tiles * 256);
  int *xs = malloc(sizeof(int) * (size_t)ew), *x1s = malloc(sizeof(int) * (size_t)w), *x2s = malloc(sizeof(int) * (size_t)w);
  float *fl = malloc(sizeof(float) * (size_t)w * 6);
  int32_t *ny = malloc(sizeof(int32_t) * (size_t)w), *seg = malloc(sizeof(int32_t) * (size_t)w);
  uint32_t *pk = packed ? malloc(sizeof(uint32_t) * 256 * (size_t)(tiles + 1)) : NULL;
  int rc = -1;
  if (!luts || !xs || !x1s || !x2s || !fl || !ny || !seg || (packed && !pk)) goto done;
#if COLOUR_AVX2
  const int avx2 = ops_avx2();
#endif
  CLAHE_STEP(avx2, ycc, (d, np));
  for (int x = 0; x < ew; x++) xs[x] = x < w ? x : 2 * (w - 1) - x;
  clahe_luts(d, w, h, tiles, tw, th, clip, luts, xs);
  const float invW = (float)(1.0 / tw), invH = (float)(1.0 / th);
  clahe_bufs cr = {x1s, x2s, fl, fl + w, fl + 2 * (size_t)w, fl + 3 * (size_t)w, fl + 4 * (size_t)w, fl + 5 * (size_t)w, ny};
  for (int x = 0; x < w; x++) {
    float txf = (float)x * invW - 0.5f;
    int t1 = ifloorf(txf);
    fl[x] = txf - (float)t1;
    fl[w + x] = 1 - fl[x];
    x1s[x] = (t1 > 0 ? t1 : 0) * 256;
    x2s[x] = (t1 + 1 < tiles - 1 ? t1 + 1 : tiles - 1) * 256;
    seg[x] = (t1 + 1) * 256;  // t1 in [-1, tiles - 1]: pack_band's segment
  }
  int band = -2;
  for (int yy = 0; yy < h; yy++) {
    float tyf = (float)yy * invH - 0.5f;
    int t1 = ifloorf(tyf);
    float ya = tyf - (float)t1, ya1 = 1 - ya;
    const uint8_t *r1 = luts + (size_t)(t1 > 0 ? t1 : 0) * tiles * 256, *r2 = luts + (size_t)(t1 + 1 < tiles - 1 ? t1 + 1 : tiles - 1) * tiles * 256;
    uint8_t *q = d + (size_t)yy * w * 3;
    if (packed) {
      if (t1 != band) pack_band(pk, r1, r2, tiles), band = t1;
      CLAHE_STEP(avx2, clahe_mix_packed, (&cr, pk, seg, q, w, ya, ya1));
    } else
      CLAHE_STEP(avx2, clahe_mix, (&cr, r1, r2, q, w, ya, ya1));
    CLAHE_STEP(avx2, clahe_back, (ny, q, w));
  }
  rc = 0;
done:
  free(luts), free(xs), free(x1s), free(x2s), free(fl), free(ny), free(seg), free(pk);
  return rc;
}

// ---- colour.ts hue and hsvPower, across pixels ----------------------------------------------------------
// Blocks of pixels are read into int arrays, computed four pixels a vector (GCC/Clang vector types:
// 4 doubles, two SSE2 registers on the baseline, one AVX2 register in the clone), written back.
// Each lane does the scalar reference's double operations in its order; branches become selects
// (both sides computed, the reference's side kept), so every value is the reference's.
enum { CB = 256 };
#pragma GCC diagnostic ignored "-Wpsabi"  // the vector helpers are always inlined: no calls pass them
typedef double d4 __attribute__((vector_size(32)));
typedef int64_t l4 __attribute__((vector_size(32)));
typedef int32_t i4 __attribute__((vector_size(16)));
INLINE d4 sel4(l4 m, d4 a, d4 b) { return (d4)((m & (l4)a) | (~m & (l4)b)); }
INLINE d4 load4(const int32_t *p) {
  i4 v;
  memcpy(&v, p, 16);
  return __builtin_convertvector(v, d4);
}
// clamp8 of ops.c (JS: v <= 0: 0, v >= 255: 255, else Math.round), four lanes
INLINE void clamp8_4(d4 v, int32_t *out) {
  const d4 zero = {0, 0, 0, 0}, top = {255, 255, 255, 255}, half = {0.5, 0.5, 0.5, 0.5};
  l4 lo = v <= zero, hi = v >= top;
  d4 in = sel4(lo | hi, zero, v);  // NaN lanes: neither, kept: converted below after zeroing
  in = sel4(in == in, in, zero);
  i4 t = __builtin_convertvector(in, i4);
  d4 frac = in - __builtin_convertvector(t, d4);
  i4 up = __builtin_convertvector(frac >= half, i4);  // -1 where rounding up
  i4 r = t - up;
  i4 lo32 = __builtin_convertvector(lo, i4), hi32 = __builtin_convertvector(hi, i4);
  r = (r & ~lo32 & ~hi32) | (hi32 & (i4){255, 255, 255, 255});
  memcpy(out, &r, 16);
}

static inline int max3(int r, int g, int b) { return r > g ? (r > b ? r : b) : g > b ? g : b; }
static inline int min3(int r, int g, int b) { return r < g ? (r < b ? r : b) : g < b ? g : b; }

// Math.round of v in [0, 255] (t + (v - t >= 0.5): exact), four lanes
INLINE void round4(d4 v, int32_t *out) {
  const d4 half = {0.5, 0.5, 0.5, 0.5};
  i4 t = __builtin_convertvector(v, i4);
  i4 r = t - __builtin_convertvector(v - __builtin_convertvector(t, d4) >= half, i4);
  memcpy(out, &r, 16);
}

// the vector part of hue: returns 0 when a lane's hue left [0, 18) after the shift (the block is then
// done by the scalar reference). Within that range every value is finite and r1 + min lies in
// [min, max] (x <= c): clamp8 is Math.round there; a grey pixel (c = 0: the reference keeps it) gets
// x = 0 and so r1 = g1 = b1 = 0, its own value again.
INLINE int hue_block(const int32_t *R, const int32_t *G, const int32_t *B, int32_t *OR, int32_t *OG, int32_t *OB, int m, double shift) {
  const d4 s = {shift, shift, shift, shift};
  const d4 zero = {0, 0, 0, 0}, one = {1, 1, 1, 1}, two = {2, 2, 2, 2}, three = {3, 3, 3, 3}, four = {4, 4, 4, 4}, five = {5, 5, 5, 5}, six = {6, 6, 6, 6},
           twelve = {12, 12, 12, 12}, eighteen = {18, 18, 18, 18};
  const l4 sign = {INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN};
  l4 bad = {0, 0, 0, 0};
  for (int j = 0; j < m; j += 4) {
    d4 r = load4(R + j), g = load4(G + j), b = load4(B + j);
    l4 rg = r > g, rb = r > b, gb = g > b;
    d4 mx = sel4(rg, sel4(rb, r, b), sel4(gb, g, b));
    d4 mn = sel4(rg, sel4(gb, b, g), sel4(rb, b, r));  // the smallest: same value as the reference's min
    d4 c = mx - mn;
    l4 isr = mx == r, isg = mx == g;
    d4 q = sel4(isr, g - b, sel4(isg, b - r, r - g)) / sel4(c == zero, one, c);  // the reference's one division
    d4 h = sel4(isr, q, q + sel4(isg, two, four));
    h = h + s + six;
    bad |= ~((h >= zero) & (h < eighteen));
    h = sel4(h < six, h, sel4(h < twelve, h - six, h - twelve));
    d4 h2 = sel4(h < two, h, sel4(h < four, h - two, h - four));
    d4 x = c * (one - (d4)((l4)(h2 - one) & ~sign));
    l4 s0 = h < one, s1 = h < two, s2 = h < three, s3 = h < four, s4 = h < five;
    d4 r1 = sel4(s0, c, sel4(s1, x, sel4(s3, zero, sel4(s4, x, c))));
    d4 g1 = sel4(s0, x, sel4(s2, c, sel4(s3, x, zero)));
    d4 b1 = sel4(s1, zero, sel4(s2, x, sel4(s4, c, x)));
    round4(r1 + mn, OR + j), round4(g1 + mn, OG + j), round4(b1 + mn, OB + j);
  }
  for (int k = 0; k < 4; k++)
    if (bad[k]) return 0;
  return 1;
}

static void hue_scalar(uint8_t *d, size_t n, double shift);

INLINE void op_hue_body(uint8_t *restrict d, size_t n, double shift) {
  int32_t R[CB], G[CB], B[CB], OR[CB], OG[CB], OB[CB];
  size_t px = n / 3;
  for (size_t p0 = 0; p0 < px; p0 += CB) {
    int m = px - p0 < CB ? (int)(px - p0) : CB;
    uint8_t *q = d + p0 * 3;
    for (int j = 0; j < m; j++) R[j] = q[3 * j], G[j] = q[3 * j + 1], B[j] = q[3 * j + 2];
    for (int j = m; j < ((m + 3) & ~3); j++) R[j] = G[j] = B[j] = 0;
    if (!hue_block(R, G, B, OR, OG, OB, m, shift)) {
      hue_scalar(q, (size_t)m * 3, shift);
      continue;
    }
    for (int j = 0; j < m; j++) q[3 * j] = (uint8_t)OR[j], q[3 * j + 1] = (uint8_t)OG[j], q[3 * j + 2] = (uint8_t)OB[j];
  }
}
DISPATCH(void, op_hue, (uint8_t * d, size_t n, double shift), (d, n, shift))

// ops.c's clamp8 (Math.round of a value in (0, 255): t + (x - t >= 0.5))
static inline uint8_t clamp8_s(double v) {
  if (v <= 0) return 0;
  if (v >= 255) return 255;
  if (!(v >= 0 && v < 256)) return 0;  // NaN: a Uint8Array store of NaN
  int t = (int)v;
  return (uint8_t)(t + (v - t >= 0.5));
}

// colour.ts hueJs, one pixel at a time (blocks whose hue leaves the fast range: any h, via fmod)
static void hue_scalar(uint8_t *d, size_t n, double shift) {
  for (size_t i = 0; i + 2 < n; i += 3) {
    int r = d[i], g = d[i + 1], b = d[i + 2];
    int max = max3(r, g, b), min = min3(r, g, b);
    double c = max - min;
    if (c == 0) continue;
    double h = max == r ? (g - b) / c : max == g ? (b - r) / c + 2 : (r - g) / c + 4;
    h = h + shift + 6;
    // fmod(h, 6) and fmod(h, 2) for h in [0, 18) and [0, 6): subtracting whole multiples is exact there
    h = h >= 0 && h < 18 ? (h < 6 ? h : h < 12 ? h - 6 : h - 12) : fmod(h, 6);
    double h2 = h < 2 ? h : h < 4 ? h - 2 : h - 4;
    if (!(h >= 0 && h < 6)) h2 = fmod(h, 2);  // JS's % for a negative or NaN h
    double x = c * (1 - fabs(h2 - 1));
    double r1 = 0, g1 = 0, b1 = 0;
    if (h < 1) r1 = c, g1 = x;
    else if (h < 2) r1 = x, g1 = c;
    else if (h < 3) g1 = c, b1 = x;
    else if (h < 4) g1 = x, b1 = c;
    else if (h < 5) r1 = x, b1 = c;
    else r1 = c, b1 = x;
    d[i] = clamp8_s(r1 + min);
    d[i + 1] = clamp8_s(g1 + min);
    d[i + 2] = clamp8_s(b1 + min);
  }
}

typedef int32_t i8v __attribute__((vector_size(32)));
INLINE i8v seli8(i8v m, i8v a, i8v b) { return (m & a) | (~m & b); }
// max and min of R, G, B (blocks padded to 8)
INLINE void max_min8(const int32_t *R, const int32_t *G, const int32_t *B, int32_t *MX, int32_t *MN, int m) {
  for (int j = 0; j < m; j += 8) {
    i8v r, g, b;
    memcpy(&r, R + j, 32), memcpy(&g, G + j, 32), memcpy(&b, B + j, 32);
    i8v v = seli8(r > g, r, g), u = seli8(r < g, r, g);
    v = seli8(v > b, v, b), u = seli8(u < b, u, b);
    memcpy(MX + j, &v, 32), memcpy(MN + j, &u, 32);
  }
}

// colour.ts hsvPowerJs: spow[max * 256 + min] and vlut[max] gathered per block, the arithmetic in lanes
INLINE void op_hsv_power_body(uint8_t *restrict d, size_t n, const double *restrict vlut, const double *restrict spow) {
  int32_t R[CB], G[CB], B[CB], MX[CB], MN[CB], OR[CB], OG[CB], OB[CB];
  double NMAX[CB], SP[CB];
  const d4 zero = {0, 0, 0, 0}, one = {1, 1, 1, 1}, top = {255, 255, 255, 255};
  size_t px = n / 3;
  for (size_t p0 = 0; p0 < px; p0 += CB) {
    int m = px - p0 < CB ? (int)(px - p0) : CB, m4 = (m + 3) & ~3;
    uint8_t *q = d + p0 * 3;
    for (int j = 0; j < m; j++) R[j] = q[3 * j], G[j] = q[3 * j + 1], B[j] = q[3 * j + 2];
    for (int j = m; j < ((m + 7) & ~7); j++) R[j] = G[j] = B[j] = 0;
    max_min8(R, G, B, MX, MN, m);
    for (int j = 0; j < m; j++) NMAX[j] = vlut[MX[j]], SP[j] = spow[MX[j] * 256 + MN[j]];
    for (int j = m; j < m4; j++) MX[j] = MN[j] = 0, NMAX[j] = SP[j] = 0;
    for (int j = 0; j < m4; j += 4) {
      d4 r = load4(R + j), g = load4(G + j), b = load4(B + j), mx = load4(MX + j), mn = load4(MN + j), nmax, sp;
      memcpy(&nmax, NMAX + j, 32), memcpy(&sp, SP + j, 32);
      d4 nmin = nmax * (one - sp);
      d4 span = mx - mn;
      l4 flat = span == zero;
      d4 k = sel4(flat, zero, (nmax - nmin) / sel4(flat, one, span));
      l4 dark = mx == zero;  // max 0: the pixel is kept (clamp8 of an integer is itself)
      d4 vr = sel4(dark, r, nmin + (r - mn) * k), vg = sel4(dark, g, nmin + (g - mn) * k), vb = sel4(dark, b, nmin + (b - mn) * k);
      l4 in = (vr >= zero) & (vr <= top) & (vg >= zero) & (vg <= top) & (vb >= zero) & (vb <= top);
      if (in[0] & in[1] & in[2] & in[3]) {
        // within [0, 255] (the tables JS gives: always) clamp8 is Math.round
        round4(vr, OR + j), round4(vg, OG + j), round4(vb, OB + j);
      } else
        clamp8_4(vr, OR + j), clamp8_4(vg, OG + j), clamp8_4(vb, OB + j);
    }
    for (int j = 0; j < m; j++) q[3 * j] = (uint8_t)OR[j], q[3 * j + 1] = (uint8_t)OG[j], q[3 * j + 2] = (uint8_t)OB[j];
  }
}
DISPATCH(void, op_hsv_power, (uint8_t * d, size_t n, const double *vlut, const double *spow), (d, n, vlut, spow))

// colour.ts hsvPowerImage: which (max, min) pairs the image has (max > 0), as indices max * 256 + min
// in increasing order into list (65536 entries); returns their count. -1: out of memory.
INLINE void hsv_pairs_body(const uint8_t *restrict d, size_t n, uint8_t *restrict seen) {
  int32_t R[CB], G[CB], B[CB], MX[CB], MN[CB];
  size_t px = n / 3;
  for (size_t p0 = 0; p0 < px; p0 += CB) {
    int m = px - p0 < CB ? (int)(px - p0) : CB;
    const uint8_t *q = d + p0 * 3;
    for (int j = 0; j < m; j++) R[j] = q[3 * j], G[j] = q[3 * j + 1], B[j] = q[3 * j + 2];
    for (int j = m; j < ((m + 7) & ~7); j++) R[j] = G[j] = B[j] = 0;
    max_min8(R, G, B, MX, MN, m);
    for (int j = 0; j < m; j++) seen[MX[j] * 256 + MN[j]] = 1;
  }
}
DISPATCH(void, hsv_pairs, (const uint8_t *d, size_t n, uint8_t *seen), (d, n, seen))

int op_hsv_pairs(const uint8_t *d, size_t n, uint16_t *list) {
  uint8_t *seen = calloc(65536, 1);
  if (!seen) return -1;
  hsv_pairs(d, n, seen);
  int k = 0;
  for (int i = 256; i < 65536; i++)
    if (seen[i]) list[k++] = (uint16_t)i;
  free(seen);
  return k;
}

// ---- colour.ts hsvPowerQ (kernels 3): out = v - spow * v * (max - c) / (max - min) in 16-bit fixed point -----
// a[max] = the new value (Q16), u[max] * w[max - min] + 0.5 truncated = its slope per level (Q16): tables
// computed by the JS side; every step here is an int32 one (wrapping as JS's Math.imul and | 0 do) or
// one IEEE double product and sum, so the bytes are the JS reference's. Blocks of pixels: max and min
// in int32 lanes, the table reads one by one, the slope in double lanes, the channels in int32 lanes.
INLINE void op_hsv_power_q_body(uint8_t *restrict d, size_t n, const int32_t *restrict a, const double *restrict u, const double *restrict w) {
  int32_t R[CB], G[CB], B[CB], MX[CB], MN[CB], AM[CB], BQ[CB];
  double T[CB];
  size_t px = n / 3;
  for (size_t p0 = 0; p0 < px; p0 += CB) {
    int m = px - p0 < CB ? (int)(px - p0) : CB, m8 = (m + 7) & ~7;
    uint8_t *q = d + p0 * 3;
    for (int j = 0; j < m; j++) R[j] = q[3 * j], G[j] = q[3 * j + 1], B[j] = q[3 * j + 2];
    for (int j = m; j < m8; j++) R[j] = G[j] = B[j] = 0;
    max_min8(R, G, B, MX, MN, m);
    for (int j = 0; j < m8; j++) T[j] = u[MX[j]] * w[MX[j] - MN[j]] + 0.5, AM[j] = (int32_t)((uint32_t)a[MX[j]] + 32768u);
    for (int j = 0; j < m8; j++) {
      double t = T[j];
      t = t >= 0 ? t : 0;  // NaN: 0
      t = t < 16777216.0 ? t : 16777216.0;
      BQ[j] = (int32_t)t;
    }
    for (int j = 0; j < m8; j++) {
      uint32_t am = (uint32_t)AM[j], bq = (uint32_t)BQ[j], mx = (uint32_t)MX[j];
      int32_t vr = (int32_t)(am - bq * (mx - (uint32_t)R[j])), vg = (int32_t)(am - bq * (mx - (uint32_t)G[j])), vb = (int32_t)(am - bq * (mx - (uint32_t)B[j]));
      R[j] = vr <= 0 ? 0 : vr >= 16711680 ? 255 : vr >> 16;
      G[j] = vg <= 0 ? 0 : vg >= 16711680 ? 255 : vg >> 16;
      B[j] = vb <= 0 ? 0 : vb >= 16711680 ? 255 : vb >> 16;
    }
    for (int j = 0; j < m; j++) q[3 * j] = (uint8_t)R[j], q[3 * j + 1] = (uint8_t)G[j], q[3 * j + 2] = (uint8_t)B[j];
  }
}
DISPATCH(void, op_hsv_power_q, (uint8_t * d, size_t n, const int32_t *a, const double *u, const double *w), (d, n, a, u, w))

// ---- cv8.ts rgbToHsv8 / hsvToRgb8, hsv.ts mapHsv: blocks of pixels, eight lanes ----------------------------
// The integer RGB -> HSV steps in int32 lanes (only the division tables' lookups stay one by one),
// the float HSV -> RGB of ops.c's hsv_to_rgb_block in eight lanes (two SSE2 or one AVX2 register a
// step); each lane's operations are the scalar reference's.
typedef float f8v __attribute__((vector_size(32)));
typedef double d8v __attribute__((vector_size(64)));
INLINE f8v self8(i8v m, f8v a, f8v b) { return (f8v)((m & (i8v)a) | (~m & (i8v)b)); }

static int32_t SDIV8[256], HDIV8[256];
__attribute__((constructor)) static void hsv8_tables(void) {
  for (int i = 1; i < 256; i++) {
    // cv8.ts: roundEven((255 << 12) / i), roundEven((180 << 12) / (6 * i)): the doubles rounded half to even
    double a = (double)(255 << 12) / i, b = (double)(180 << 12) / (6.0 * i);
    double fa = (double)(int64_t)a, fb = (double)(int64_t)b;
    SDIV8[i] = (int32_t)(a - fa > 0.5 || (a - fa == 0.5 && ((int64_t)fa & 1)) ? fa + 1 : fa);
    HDIV8[i] = (int32_t)(b - fb > 0.5 || (b - fb == 0.5 && ((int64_t)fb & 1)) ? fb + 1 : fb);
  }
}

INLINE void hsv_to_rgb8(const int32_t *H, const int32_t *S, const int32_t *V, int32_t *R, int32_t *G, int32_t *B, int n) {
  const float inv255 = (float)(1.0 / 255), hscale = (float)(6.0 / 180), sixth = (float)(1.0 / 6);
  const f8v one = {1, 1, 1, 1, 1, 1, 1, 1};
  const d8v oned = {1, 1, 1, 1, 1, 1, 1, 1};
  const i8v zero = {0}, top = {255, 255, 255, 255, 255, 255, 255, 255};
  for (int j = 0; j < n; j += 8) {
    i8v h, s, v;
    memcpy(&h, H + j, 32), memcpy(&s, S + j, 32), memcpy(&v, V + j, 32);
    f8v fs = __builtin_convertvector(s, f8v) * inv255, fv = __builtin_convertvector(v, f8v) * inv255;
    f8v fh = __builtin_convertvector(h, f8v) * hscale;
    i8v pre = __builtin_convertvector(fh, i8v);
    fh = fh - __builtin_convertvector(pre, f8v);
    d8v ds = __builtin_convertvector(fs, d8v);
    f8v t0 = fv;
    f8v t1 = fv * (one - fs);
    i8v sector = pre - 6 * __builtin_convertvector(__builtin_convertvector(pre, f8v) * sixth, i8v);
    // the middle value only (cv8.ts mapHsv8): t2 (fh) in the odd sectors, t3 (1 - fh) in the even ones
    i8v odd = (sector & 1) == 1;
    f8v tm = fv * __builtin_convertvector(oned - ds * __builtin_convertvector(self8(odd, fh, one - fh), d8v), f8v);
    i8v e0 = sector == 0, e1 = sector == 1, e2 = sector == 2, e3 = sector == 3, e4 = sector == 4, e5 = sector == 5;
    f8v rr = self8(e1 | e4, tm, self8(e2 | e3, t1, t0));
    f8v gg = self8(e0 | e3, tm, self8(e1 | e2, t0, t1));
    f8v bb = self8(e2 | e5, tm, self8(e3 | e4, t0, t1));
    i8v ri = __builtin_convertvector(rr * 255.0f, i8v), gi = __builtin_convertvector(gg * 255.0f, i8v), bi = __builtin_convertvector(bb * 255.0f, i8v);
    ri = seli8(ri < zero, zero, seli8(ri > top, top, ri)), memcpy(R + j, &ri, 32);
    gi = seli8(gi < zero, zero, seli8(gi > top, top, gi)), memcpy(G + j, &gi, 32);
    bi = seli8(bi < zero, zero, seli8(bi > top, top, bi)), memcpy(B + j, &bi, 32);
  }
}

// A block's m pixels as planes R, G, B (through the pending per-value table pre when given: hsv.ts
// colorJitter, photometric.ts applyPixels), zero up to m8.
INLINE void load_block(const uint8_t *q, int m, int m8, const uint8_t *pre, int32_t *R, int32_t *G, int32_t *B) {
  if (pre)
    for (int j = 0; j < m; j++) R[j] = pre[q[3 * j]], G[j] = pre[q[3 * j + 1]], B[j] = pre[q[3 * j + 2]];
  else
    for (int j = 0; j < m; j++) R[j] = q[3 * j], G[j] = q[3 * j + 1], B[j] = q[3 * j + 2];
  for (int j = m; j < m8; j++) R[j] = G[j] = B[j] = 0;
}

INLINE void op_hsv_map_body(uint8_t *restrict d, size_t n, const uint8_t *lh, const uint8_t *ls, const uint8_t *lv, const uint8_t *pre) {
  int32_t R[CB], G[CB], B[CB], V[CB], DF[CB], HN[CB], H[CB], S[CB];
  size_t px = n / 3;
  for (size_t p0 = 0; p0 < px; p0 += CB) {
    int m = px - p0 < CB ? (int)(px - p0) : CB, m8 = (m + 7) & ~7;
    uint8_t *q = d + p0 * 3;
    load_block(q, m, m8, pre, R, G, B);
    for (int j = 0; j < m8; j += 8) {
      i8v r, g, b;
      memcpy(&r, R + j, 32), memcpy(&g, G + j, 32), memcpy(&b, B + j, 32);
      i8v v = seli8(r > g, r, g);
      v = seli8(v > b, v, b);
      i8v vmin = seli8(r < g, r, g);
      vmin = seli8(vmin < b, vmin, b);
      i8v diff = v - vmin;
      i8v vr = v == r, vg = v == g;  // -1 where equal
      i8v hn = (vr & (g - b)) + (~vr & ((vg & (b - r + 2 * diff)) + (~vg & (r - g + 4 * diff))));
      memcpy(V + j, &v, 32), memcpy(DF + j, &diff, 32), memcpy(HN + j, &hn, 32);
    }
    // the division tables' entries one by one, the products in lanes, then the HSV tables one by one
    for (int j = 0; j < m8; j++) H[j] = HDIV8[DF[j]], S[j] = SDIV8[V[j]];
    for (int j = 0; j < m8; j += 8) {
      i8v hd, sd, hn, diff;
      memcpy(&hd, H + j, 32), memcpy(&sd, S + j, 32), memcpy(&hn, HN + j, 32), memcpy(&diff, DF + j, 32);
      i8v s = (diff * sd + (1 << 11)) >> 12, h = (hn * hd + (1 << 11)) >> 12;
      h += (h >> 31) & 180;
      memcpy(H + j, &h, 32), memcpy(S + j, &s, 32);
    }
    if (lh)
      for (int j = 0; j < m8; j++) H[j] = lh[H[j] & 255];
    if (ls)
      for (int j = 0; j < m8; j++) S[j] = ls[S[j]];
    if (lv)
      for (int j = 0; j < m8; j++) V[j] = lv[V[j]];
    hsv_to_rgb8(H, S, V, R, G, B, m8);
    for (int j = 0; j < m; j++) q[3 * j] = (uint8_t)R[j], q[3 * j + 1] = (uint8_t)G[j], q[3 * j + 2] = (uint8_t)B[j];
  }
}
// A table that changes nothing is left out, as a null one: hsv.ts passes one for a saturation or value
// shift in (0, 1), which truncates back to the value, and for a hue shift in (0, 1) whose table is the
// identity on every hue the pixels have, 0..179 (cv8.ts rgbToHsv8 over all 2^24 colours)
static const uint8_t *unless_identity(const uint8_t *t, int n) {
  if (t)
    for (int i = 0; i < n; i++)
      if (t[i] != i) return t;
  return NULL;
}
#if COLOUR_AVX2
// four vectors of int32 in [0, 255] as 32 bytes, in order
AVX2 INLINE __m256i bytes32_avx2(const __m256i x[4]) {
  const __m256i w = _mm256_packus_epi16(_mm256_packus_epi32(x[0], x[1]), _mm256_packus_epi32(x[2], x[3]));
  return _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}
// RGB -> 8-bit HSV of eight pixels (24 bytes at q; 32 are read): cv8.ts rgbToHsv8's integer steps
AVX2 INLINE void rgb_to_hsv8_avx2(const uint8_t *q, __m256i *H, __m256i *S, __m256i *V) {
  const __m256i raw = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)q), _mm256_setr_epi32(0, 1, 2, 0, 3, 4, 5, 0));
  const __m256i r = _mm256_shuffle_epi8(raw, _mm256_setr_epi8(0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1, 0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1));
  const __m256i g = _mm256_shuffle_epi8(raw, _mm256_setr_epi8(1, -1, -1, -1, 4, -1, -1, -1, 7, -1, -1, -1, 10, -1, -1, -1, 1, -1, -1, -1, 4, -1, -1, -1, 7, -1, -1, -1, 10, -1, -1, -1));
  const __m256i b = _mm256_shuffle_epi8(raw, _mm256_setr_epi8(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1, 2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1));
  const __m256i v = _mm256_max_epi32(_mm256_max_epi32(r, g), b), diff = _mm256_sub_epi32(v, _mm256_min_epi32(_mm256_min_epi32(r, g), b));
  const __m256i vr = _mm256_cmpeq_epi32(v, r), vg = _mm256_cmpeq_epi32(v, g);
  const __m256i h2 = _mm256_add_epi32(_mm256_sub_epi32(b, r), _mm256_add_epi32(diff, diff)), h4 = _mm256_add_epi32(_mm256_sub_epi32(r, g), _mm256_slli_epi32(diff, 2));
  const __m256i hn = _mm256_blendv_epi8(_mm256_blendv_epi8(h4, h2, vg), _mm256_sub_epi32(g, b), vr);
  const __m256i sd = _mm256_cvtps_epi32(_mm256_div_ps(_mm256_set1_ps(1044480.0f), _mm256_cvtepi32_ps(v)));
  const __m256i hd = _mm256_cvtps_epi32(_mm256_div_ps(_mm256_set1_ps(122880.0f), _mm256_cvtepi32_ps(diff)));
  const __m256i half = _mm256_set1_epi32(1 << 11);
  const __m256i h = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(hn, hd), half), 12);
  *H = _mm256_add_epi32(h, _mm256_and_si256(_mm256_srai_epi32(h, 31), _mm256_set1_epi32(180)));
  *S = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(diff, sd), half), 12);
  *V = v;
}
// 8-bit HSV -> RGB of eight pixels (hsv_to_rgb8's float steps), their 24 bytes stored at q. The three
// values as bytes of one word (max, middle, min), spread to R, G, B by a byte shuffle per sector, as
// cv8.ts mapHsv8 does with shifts. 1 - s * (h's factor) is one fused float operation: equal to the
// double product and difference rounded to float for all 256 x 256 (s, h) (checked at fuzz.c's start).
AVX2 __attribute__((target("fma"))) INLINE void hsv8_to_rgb_avx2(uint8_t *q, __m256i h, __m256i s, __m256i v) {
  const __m256 inv255 = _mm256_set1_ps((float)(1.0 / 255)), one = _mm256_set1_ps(1), c255 = _mm256_set1_ps(255);
  const __m256 fs = _mm256_mul_ps(_mm256_cvtepi32_ps(s), inv255), fv = _mm256_mul_ps(_mm256_cvtepi32_ps(v), inv255);
  __m256 fh = _mm256_mul_ps(_mm256_cvtepi32_ps(h), _mm256_set1_ps((float)(6.0 / 180)));
  const __m256i pre = _mm256_cvttps_epi32(fh);
  fh = _mm256_sub_ps(fh, _mm256_cvtepi32_ps(pre));
  const __m256i q6 = _mm256_cvttps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(pre), _mm256_set1_ps((float)(1.0 / 6))));
  const __m256i sector = _mm256_sub_epi32(pre, _mm256_add_epi32(_mm256_slli_epi32(q6, 2), _mm256_add_epi32(q6, q6)));
  const __m256 odd = _mm256_castsi256_ps(_mm256_slli_epi32(sector, 31));  // sign bit: odd sector
  const __m256 mh = _mm256_blendv_ps(_mm256_sub_ps(one, fh), fh, odd);
  const __m256 t1 = _mm256_mul_ps(fv, _mm256_sub_ps(one, fs)), tm = _mm256_mul_ps(fv, _mm256_fnmadd_ps(fs, mh, one));
  const __m256i b0 = _mm256_cvttps_epi32(_mm256_mul_ps(fv, c255)), bm = _mm256_cvttps_epi32(_mm256_mul_ps(tm, c255)), b1 = _mm256_cvttps_epi32(_mm256_mul_ps(t1, c255));
  const __m256i w = _mm256_or_si256(b0, _mm256_or_si256(_mm256_slli_epi32(bm, 8), _mm256_slli_epi32(b1, 16)));
  // per sector, where R, G and B take their bytes from (0 max, 1 middle, 2 min; hsv_to_rgb8's selects)
  const __m256i to = _mm256_setr_epi32(0x80020100, 0x80020001, 0x80010002, 0x80000102, 0x80000201, 0x80010200, 0, 0);
  const __m256i at = _mm256_setr_epi32(0, 0x04040404, 0x08080808, 0x0c0c0c0c, 0, 0x04040404, 0x08080808, 0x0c0c0c0c);
  const __m256i rgb = _mm256_shuffle_epi8(w, _mm256_add_epi32(_mm256_permutevar8x32_epi32(to, sector), at));
  const __m256i pack = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  const __m256i out = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(rgb, pack), _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7));
  _mm_storeu_si128((__m128i *)q, _mm256_castsi256_si128(out));
  _mm_storel_epi64((__m128i *)(q + 16), _mm256_extracti128_si256(out, 1));
}
typedef struct {
  __m256i h[16], s[16], v[16], p[16];
} hsv_rows;
// 32 pixels at q (96 bytes; 104 are read): pre on the bytes, HSV in lanes, its three bytes through the
// tables as 32-byte vectors, then back to RGB
AVX2 __attribute__((target("fma"))) INLINE void hsv_map32_avx2(uint8_t *q, const hsv_rows *t, int lh, int ls, int lv, int pre) {
  if (pre)
    for (int k = 0; k < 3; k++) _mm256_storeu_si256((__m256i *)(q + 32 * k), lut32_avx2(t->p, _mm256_loadu_si256((const __m256i *)(q + 32 * k))));
  __m256i H[4], S[4], V[4];
  for (int k = 0; k < 4; k++) rgb_to_hsv8_avx2(q + 24 * k, H + k, S + k, V + k);
  __m256i hb = bytes32_avx2(H), sb = bytes32_avx2(S), vb = bytes32_avx2(V);
  if (lh) hb = lut32_avx2(t->h, hb);
  if (ls) sb = lut32_avx2(t->s, sb);
  if (lv) vb = lut32_avx2(t->v, vb);
  uint8_t b[3][32];
  _mm256_storeu_si256((__m256i *)b[0], hb), _mm256_storeu_si256((__m256i *)b[1], sb), _mm256_storeu_si256((__m256i *)b[2], vb);
  for (int k = 0; k < 4; k++) {
    const __m256i hk = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b[0] + 8 * k)));
    const __m256i sk = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b[1] + 8 * k)));
    const __m256i vk = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b[2] + 8 * k)));
    hsv8_to_rgb_avx2(q + 24 * k, hk, sk, vk);
  }
}
// The AVX2 clone (with FMA; the baseline where a CPU has AVX2 without it): 32 pixels a step in
// registers, no planes in memory. The pixels' bytes are spread into int32 lanes by a dword permute and
// byte shuffles; the division tables' entries are float quotients rounded to nearest even (1044480 / v,
// 122880 / diff: SDIV8 and HDIV8 for every divisor 1..255, checked at fuzz.c's start; the division by
// 0 gives the integer indefinite, multiplied by diff = 0, and for the hue by a numerator of 0); the
// HSV tables and pre are op_lut_avx2's byte shuffles; the RGB bytes are placed and packed by shuffles.
// The baseline's block loop spends its time on one-by-one stores into its planes (about 11 a pixel),
// gathers and the float steps' selects: 1.42 ms per 512^2 in a C loop, the clone 0.6 (cv2's
// cvtColor + LUT x3 + cvtColor ~1.9).
AVX2 __attribute__((target("fma"))) static void op_hsv_map_avx2(uint8_t *d, size_t n, const uint8_t *lh, const uint8_t *ls, const uint8_t *lv, const uint8_t *pre) {
  hsv_rows t;
  if (lh) lut_rows_avx2(lh, t.h);
  if (ls) lut_rows_avx2(ls, t.s);
  if (lv) lut_rows_avx2(lv, t.v);
  if (pre) lut_rows_avx2(pre, t.p);
  size_t px = n / 3, i = 0;
  for (; i + 32 <= px && 3 * i + 104 <= n; i += 32) hsv_map32_avx2(d + 3 * i, &t, !!lh, !!ls, !!lv, !!pre);
  // each step reads 8 bytes past its pixels: the last ones go through a padded copy
  for (; i < px; i += 32) {
    const size_t m = px - i < 32 ? px - i : 32;
    uint8_t b[104] = {0};
    memcpy(b, d + 3 * i, 3 * m);
    hsv_map32_avx2(b, &t, !!lh, !!ls, !!lv, !!pre);
    memcpy(d + 3 * i, b, 3 * m);
  }
}
static void op_hsv_map_base(uint8_t *d, size_t n, const uint8_t *lh, const uint8_t *ls, const uint8_t *lv, const uint8_t *pre) { op_hsv_map_body(d, n, lh, ls, lv, pre); }
void op_hsv_map(uint8_t *d, size_t n, const uint8_t *lh, const uint8_t *ls, const uint8_t *lv, const uint8_t *pre) {
  lh = unless_identity(lh, 180), ls = unless_identity(ls, 256), lv = unless_identity(lv, 256), pre = unless_identity(pre, 256);
  ops_avx2() && __builtin_cpu_supports("fma") ? op_hsv_map_avx2(d, n, lh, ls, lv, pre) : op_hsv_map_base(d, n, lh, ls, lv, pre);
}
#else
void op_hsv_map(uint8_t *d, size_t n, const uint8_t *lh, const uint8_t *ls, const uint8_t *lv, const uint8_t *pre) {
  op_hsv_map_body(d, n, unless_identity(lh, 180), unless_identity(ls, 256), unless_identity(lv, 256), unless_identity(pre, 256));
}
#endif

// ---- colour.ts hueQ (kernels 3): the hue turned in integers --------------------------------------------------
// max and min stay; the hue's place in the sector, a = num * 2^20 + c * sf (the rotation's fraction of a
// sector sf in 2^-20, the channel difference num over c = max - min: num / c + sf sectors, never
// divided), is brought into [0, c * 2^20) by whole sectors, and the middle channel is min + a / 2^20
// (even sectors) or min + c - a / 2^20 (odd ones), rounded half up. int32 lanes, eight at a time; the
// same integer steps as the JS reference.
INLINE void op_hue_q_body(uint8_t *restrict d, size_t n, int32_t sq, const uint8_t *restrict pre) {
  int32_t R[CB], G[CB], B[CB];
  const int32_t si = sq >> 20, sf = sq & ((1 << 20) - 1);
  const i8v zero = {0}, k2 = zero + 2, k4 = zero + 4, k5 = zero + 5, k6 = zero + 6, k11 = zero + 11, half = zero + (1 << 19);
  const i8v base = zero + (si + 6), vsf = zero + sf, k1 = zero + 1, k3 = zero + 3;
  size_t px = n / 3;
  for (size_t p0 = 0; p0 < px; p0 += CB) {
    int m = px - p0 < CB ? (int)(px - p0) : CB, m8 = (m + 7) & ~7;
    uint8_t *q = d + p0 * 3;
    load_block(q, m, m8, pre, R, G, B);
    for (int j = 0; j < m8; j += 8) {
      i8v r, g, b;
      memcpy(&r, R + j, 32), memcpy(&g, G + j, 32), memcpy(&b, B + j, 32);
      i8v mx = seli8(r > g, r, g), mn = seli8(r < g, r, g);
      mx = seli8(mx > b, mx, b), mn = seli8(mn < b, mn, b);
      i8v c = mx - mn, cq = c << 20;
      i8v isr = mx == r, isg = ~isr & (mx == g), isb = ~isr & ~isg;
      i8v num = (isr & (g - b)) | (isg & (b - r)) | (isb & (r - g));
      i8v a = num * (1 << 20) + c * vsf;
      i8v lo = a < zero, hi = a >= cq;  // -1 where a whole sector is added / taken
      a = a + (lo & cq) - (hi & cq);
      i8v s = base + (isg & k2) + (isb & k4) + lo - hi;  // [5, 17]
      s = s - ((s > k5) & k6) - ((s > k11) & k6);
      i8v odd = (s & k1) == k1;
      i8v mid = mn + ((seli8(odd, cq - a, a) + half) >> 20);
      i8v e0 = s == zero, e1 = s == k1, e2 = s == k2, e3 = s == k3, e4 = s == k4;
      i8v ro = seli8(e0 | (s == k5), mx, seli8(e1 | e4, mid, mn));
      i8v go = seli8(e1 | e2, mx, seli8(e0 | e3, mid, mn));
      i8v bo = seli8(e3 | e4, mx, seli8(e2 | (s == k5), mid, mn));
      memcpy(R + j, &ro, 32), memcpy(G + j, &go, 32), memcpy(B + j, &bo, 32);
    }
    for (int j = 0; j < m; j++) q[3 * j] = (uint8_t)R[j], q[3 * j + 1] = (uint8_t)G[j], q[3 * j + 2] = (uint8_t)B[j];
  }
}
DISPATCH(void, op_hue_q, (uint8_t * d, size_t n, int32_t sq, const uint8_t *pre), (d, n, sq, pre))
