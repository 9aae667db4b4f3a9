// The filter family's fast kernels (ops/filter.ts, ops/blur.ts), equal to their JS references byte
// for byte. SIMD where it pays: an SSE2 build (the x86-64 baseline) and an AVX2 variant chosen at
// run time; other architectures build the plain C of the same algorithm.
#include <stdlib.h>
#include <string.h>
#include "ops.h"
#include "ops_filter_nets.h"

// -O3 (the loops over a row's samples vectorize), and still no fused multiply-add: every float
// operation is the JS reference's, per output value, in its order.
#pragma GCC optimize("O3", "fp-contract=off", "no-trapping-math")

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define OPS_X86 1
#endif

// ---- median_blur (filter.ts medianRgb) ---------------------------------------------------------------
// The median of a window is unique, so any exact method gives the JS reference's bytes. For k = 3, 5,
// 7: min/max networks (ops_filter_nets.h) on every byte of an edge-padded RGB row at once (a pixel's
// neighbours are 3 bytes apart, so channels never mix): each padded column of k bytes is sorted once,
// neighbouring sorted columns are merged once, and each output merges its window's pieces, pruned to
// the median. Larger k: the tracked histogram (op_median).

#define MED_STAGES(K)                                            \
  do {                                                           \
    for (int j = 0; j < L; j += V) MED_COLSORT_##K;             \
    for (int j = 0; j < L - 3; j += V) MED_PAIR_##K;            \
    for (int i = 0; i < n; i += V) MED_FINAL_##K;               \
  } while (0)

// one output row: rows = the k padded source rows, S = k column planes, P = 2k pair planes (each
// plane and row has MED_SLACK readable bytes past L), out = n bytes (+ MED_SLACK)
#define MED_ROW_FN(FN, ATTR, T)                                                                       \
  static ATTR void FN(int k, const uint8_t *const *rows, uint8_t *const *S, uint8_t *const *P, uint8_t *out, int L, int n) { \
    T v[49];                                                                                          \
    switch (k) {                                                                                      \
      case 3: MED_STAGES(3); break;                                                                   \
      case 5: MED_STAGES(5); break;                                                                   \
      default: MED_STAGES(7); break;                                                                  \
    }                                                                                                 \
  }
#define MED_SLACK 64

#define V 1
#define LD(p) (*(p))
#define ST(p, x) (*(p) = (x))
#define MN(a, b) ((a) < (b) ? (a) : (b))
#define MX(a, b) ((a) < (b) ? (b) : (a))
#define CSWAP(a, b)             \
  do {                          \
    uint8_t t_ = MN(a, b);      \
    (b) = MX(a, b);             \
    (a) = t_;                   \
  } while (0)
MED_ROW_FN(median_row_c, , uint8_t)
#undef V
#undef LD
#undef ST
#undef MN
#undef MX
#undef CSWAP

#ifdef OPS_X86
#define V 16
#define LD(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define ST(p, x) _mm_storeu_si128((__m128i *)(void *)(p), x)
#define MN(a, b) _mm_min_epu8(a, b)
#define MX(a, b) _mm_max_epu8(a, b)
#define CSWAP(a, b)             \
  do {                          \
    __m128i t_ = MN(a, b);      \
    (b) = MX(a, b);             \
    (a) = t_;                   \
  } while (0)
MED_ROW_FN(median_row_sse2, , __m128i)
#undef V
#undef LD
#undef ST
#undef MN
#undef MX
#undef CSWAP

#define V 32
#define LD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define ST(p, x) _mm256_storeu_si256((__m256i *)(void *)(p), x)
#define MN(a, b) _mm256_min_epu8(a, b)
#define MX(a, b) _mm256_max_epu8(a, b)
#define CSWAP(a, b)             \
  do {                          \
    __m256i t_ = MN(a, b);      \
    (b) = MX(a, b);             \
    (a) = t_;                   \
  } while (0)
MED_ROW_FN(median_row_avx2, __attribute__((target("avx2"))), __m256i)
#undef V
#undef LD
#undef ST
#undef MN
#undef MX
#undef CSWAP
#endif

static inline int clamp_i(int i, int n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

static void pad_row(uint8_t *p, const uint8_t *s, int w, int r) {
  for (int x = 0; x < r; x++) {
    memcpy(p + x * 3, s, 3);
    memcpy(p + (size_t)(r + w + x) * 3, s + (size_t)(w - 1) * 3, 3);
  }
  memcpy(p + (size_t)r * 3, s, (size_t)w * 3);
}

// In place, row by row: a ring of k edge-padded source rows (source row q is padded before output
// row q overwrites it), so the working set is a few KiB whatever the image size.
int op_median_net(uint8_t *d, int w, int h, int k) {
  if (k != 3 && k != 5 && k != 7) return 1;
  int r = k / 2, L = (w + 2 * r) * 3, n = w * 3;
  size_t stride = (size_t)L + MED_SLACK;
  uint8_t *ring = calloc(stride, 4 * (size_t)k + 1);  // k ring rows, k + 2k planes, one output row
  if (!ring) return -1;
  uint8_t *S[7], *P[14];
  const uint8_t *rows[7];
  uint8_t *planes = ring + stride * k, *out = planes + stride * 3 * k;
  for (int e = 0; e < k; e++) S[e] = planes + stride * e;
  for (int e = 0; e < 2 * k; e++) P[e] = planes + stride * (k + e);
  void (*row)(int, const uint8_t *const *, uint8_t *const *, uint8_t *const *, uint8_t *, int, int) = median_row_c;
#ifdef OPS_X86
  row = ops_avx2() ? median_row_avx2 : median_row_sse2;
#endif
  for (int q = 0; q < r && q < h; q++) pad_row(ring + stride * (q % k), d + (size_t)q * n, w, r);
  for (int y = 0; y < h; y++) {
    if (y + r < h) pad_row(ring + stride * ((y + r) % k), d + (size_t)(y + r) * n, w, r);
    for (int e = 0; e < k; e++) rows[e] = ring + stride * (clamp_i(y + e - r, h) % k);
    row(k, rows, S, P, out, L, n);
    memcpy(d + (size_t)y * n, out, (size_t)n);
  }
  free(ring);
  return 0;
}

// ---- gaussian_blur (blur.ts blurRgb) and sharpen / motion_blur (filter.ts convolve) -----------------------
// The references' float64 sums, vectorized ACROSS output values: for each tap in the reference's
// order, acc[i] += k * sample[i] over a whole row (acc starts at 0 as the reference's s does), so
// each output sees the same multiplies and adds in the same order. Source rows are edge-padded (blur:
// replicated; convolve: BORDER_REFLECT_101, clamped) and converted to doubles once, into a ring of
// rows (source row q is read before output row q overwrites it), so no image-sized buffer is needed.
// The roundings use 32-bit conversions, exact while |sum| < 2^30: the entry points check that bound
// from the kernel (255 x sum |k|, squared for the blur's two passes) and leave other kernels (and
// NaN or infinite weights) to the scalar code in ops.c (return 1).

#define FILTER_INLINE static inline __attribute__((always_inline))

FILTER_INLINE void mac_d(double *restrict acc, const double *restrict src, double k, int n) {
  for (int i = 0; i < n; i++) acc[i] += k * src[i];
}
FILTER_INLINE void mac_f(double *restrict acc, const float *restrict src, double k, int n) {
  for (int i = 0; i < n; i++) acc[i] += k * (double)src[i];
}

// blurRgbJs first pass of one row: tmp = (float) sum_t k[t] * row[clamp(x + t - r)]
FILTER_INLINE void blur_h_body(const uint8_t *restrict src, int w, const double *k, int r, double *restrict prow, double *restrict acc, float *restrict out) {
  int n3 = w * 3;
  for (int x = 0; x < w + 2 * r; x++) {
    int sx = x - r < 0 ? 0 : x - r >= w ? w - 1 : x - r;
    for (int c = 0; c < 3; c++) prow[x * 3 + c] = src[sx * 3 + c];
  }
  for (int i = 0; i < n3; i++) acc[i] = 0;
  for (int t = 0; t <= 2 * r; t++) mac_d(acc, prow + 3 * t, k[t], n3);
  for (int i = 0; i < n3; i++) out[i] = (float)acc[i];
}
// Math.round(min(x, 255)) as a Uint8Array stores it (mod 256), for |x| < 2^30
FILTER_INLINE uint8_t round_blur1(double x) {
  x = x > 255 ? 255 : x;
  int t = (int)x;
  int f = t - ((double)t > x);  // floor
  return (uint8_t)(f + (x - (double)f >= 0.5));
}
// sat(roundEven(x)) for |x| < 2^30: the same on x clamped to [-1, 256]
FILTER_INLINE uint8_t round_conv1(double x) {
  x = x < -1 ? -1 : x > 256 ? 256 : x;
  int t = (int)x;
  int f = t - ((double)t > x);         // floor
  int q = f + (x - (double)f >= 0.5);  // Math.round
  q -= ((double)q - x == 0.5) & q;     // a half rounded up to an odd value goes down to the even one
  return (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
}

#ifdef OPS_X86
// The same two roundings on 2 (SSE2) or 4 (AVX2) sums at a time (the same comparisons and exact
// conversions; the bytes are q mod 256, which for conv is q itself after the clamp).
static void round_rows_sse2(const double *acc, uint8_t *out, int n, int conv) {
  const __m128d one = _mm_set1_pd(1.0), half = _mm_set1_pd(0.5), lo = _mm_set1_pd(-1.0), hi = _mm_set1_pd(conv ? 256.0 : 255.0);
  const __m128i m255 = _mm_set1_epi32(255), ione = _mm_set1_epi32(1), zero = _mm_setzero_si128();
  int i = 0;
  for (; i + 2 <= n; i += 2) {
    __m128d x = _mm_min_pd(_mm_loadu_pd(acc + i), hi);
    if (conv) x = _mm_max_pd(x, lo);
    __m128d fd = _mm_cvtepi32_pd(_mm_cvttpd_epi32(x));
    __m128d f = _mm_sub_pd(fd, _mm_and_pd(_mm_cmpgt_pd(fd, x), one));
    __m128d v = _mm_add_pd(f, _mm_and_pd(_mm_cmpge_pd(_mm_sub_pd(x, f), half), one));
    __m128i q = _mm_cvttpd_epi32(v);
    if (conv) {
      __m128i tie = _mm_castpd_si128(_mm_cmpeq_pd(_mm_sub_pd(v, x), half));  // 64-bit lanes
      tie = _mm_shuffle_epi32(tie, _MM_SHUFFLE(3, 1, 2, 0));                 // -> low two 32-bit lanes
      q = _mm_sub_epi32(q, _mm_and_si128(_mm_and_si128(tie, q), ione));
      q = _mm_andnot_si128(_mm_cmplt_epi32(q, zero), q);
      q = _mm_min_epi16(q, m255);  // 0 <= q <= 256 here: 16-bit min is exact
    }
    q = _mm_and_si128(q, m255);
    __m128i b = _mm_packus_epi16(_mm_packs_epi32(q, q), zero);
    uint16_t two = (uint16_t)_mm_cvtsi128_si32(b);
    memcpy(out + i, &two, 2);
  }
  for (; i < n; i++) out[i] = conv ? round_conv1(acc[i]) : round_blur1(acc[i]);
}
__attribute__((target("avx2"))) static void round_rows_avx2(const double *acc, uint8_t *out, int n, int conv) {
  const __m256d one = _mm256_set1_pd(1.0), half = _mm256_set1_pd(0.5), lo = _mm256_set1_pd(-1.0), hi = _mm256_set1_pd(conv ? 256.0 : 255.0);
  const __m128i m255 = _mm_set1_epi32(255), zero = _mm_setzero_si128();
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d x = _mm256_min_pd(_mm256_loadu_pd(acc + i), hi);
    if (conv) x = _mm256_max_pd(x, lo);
    __m256d fd = _mm256_cvtepi32_pd(_mm256_cvttpd_epi32(x));
    __m256d f = _mm256_sub_pd(fd, _mm256_and_pd(_mm256_cmp_pd(fd, x, _CMP_GT_OQ), one));
    __m256d v = _mm256_add_pd(f, _mm256_and_pd(_mm256_cmp_pd(_mm256_sub_pd(x, f), half, _CMP_GE_OQ), one));
    __m128i q = _mm256_cvttpd_epi32(v);
    if (conv) {
      __m128i tie = _mm256_cvttpd_epi32(_mm256_and_pd(_mm256_cmp_pd(_mm256_sub_pd(v, x), half, _CMP_EQ_OQ), one));  // 1 at a tie
      q = _mm_sub_epi32(q, _mm_and_si128(tie, q));
      q = _mm_max_epi32(q, zero);
      q = _mm_min_epi32(q, m255);
    }
    q = _mm_and_si128(q, m255);
    __m128i b = _mm_packus_epi16(_mm_packs_epi32(q, q), zero);
    uint32_t four = (uint32_t)_mm_cvtsi128_si32(b);
    memcpy(out + i, &four, 4);
  }
  for (; i < n; i++) out[i] = conv ? round_conv1(acc[i]) : round_blur1(acc[i]);
}
#endif
static void round_rows_c(const double *acc, uint8_t *out, int n, int conv) {
  for (int i = 0; i < n; i++) out[i] = conv ? round_conv1(acc[i]) : round_blur1(acc[i]);
}

// second pass of one row
FILTER_INLINE void blur_v_body(const float *const *rows, int n3, const double *k, int r, double *restrict acc) {
  for (int i = 0; i < n3; i++) acc[i] = 0;
  for (int t = 0; t <= 2 * r; t++) mac_f(acc, rows[t], k[t], n3);
}
// convolveJs of one output row's sums: sum_t k_t * src[refl(y + dy_t)][refl(x + dx_t)]
FILTER_INLINE void conv_body(const double *const *rows, const int *offs, const double *k, int nt, int n3, double *restrict acc) {
  for (int i = 0; i < n3; i++) acc[i] = 0;
  for (int t = 0; t < nt; t++) mac_d(acc, rows[t] + offs[t], k[t], n3);
}

static void blur_h_c(const uint8_t *src, int w, const double *k, int r, double *prow, double *acc, float *out) { blur_h_body(src, w, k, r, prow, acc, out); }
static void blur_v_c(const float *const *rows, int n3, const double *k, int r, double *acc) { blur_v_body(rows, n3, k, r, acc); }
static void conv_c(const double *const *rows, const int *offs, const double *k, int nt, int n3, double *acc) { conv_body(rows, offs, k, nt, n3, acc); }
#ifdef OPS_X86
__attribute__((target("avx2"))) static void blur_h_avx2(const uint8_t *src, int w, const double *k, int r, double *prow, double *acc, float *out) {
  blur_h_body(src, w, k, r, prow, acc, out);
}
__attribute__((target("avx2"))) static void blur_v_avx2(const float *const *rows, int n3, const double *k, int r, double *acc) { blur_v_body(rows, n3, k, r, acc); }
__attribute__((target("avx2"))) static void conv_avx2(const double *const *rows, const int *offs, const double *k, int nt, int n3, double *acc) {
  conv_body(rows, offs, k, nt, n3, acc);
}
#endif

// 255 x sum |k| when every weight is finite and that bound is below 2^30, else -1
static double sum_bound(const double *k, int n, int stride) {
  double s = 0;
  for (int i = 0; i < n; i++) {
    double a = k[i * stride] < 0 ? -k[i * stride] : k[i * stride];
    if (!(a <= 1e6)) return -1;
    s += a;
  }
  s *= 255;
  return s < 1073741824.0 ? s : -1;
}

int op_blur_fast(uint8_t *d, int w, int h, const double *k, int r) {
  double b = sum_bound(k, 2 * r + 1, 1);
  if (b < 0 || b / 255 * b >= 1073741824.0 || r > 1000) return 1;
  int n = 2 * r + 1, n3 = w * 3;
  size_t pw = (size_t)(w + 2 * r) * 3;
  float *ring = malloc(sizeof(float) * n3 * (size_t)n);
  double *prow = malloc(sizeof(double) * (pw + (size_t)n3));
  const float **rows = malloc(sizeof(float *) * n);
  if (!ring || !prow || !rows) {
    free(ring);
    free(prow);
    free(rows);
    return -1;
  }
  double *acc = prow + pw;
  void (*hrow)(const uint8_t *, int, const double *, int, double *, double *, float *) = blur_h_c;
  void (*vrow)(const float *const *, int, const double *, int, double *) = blur_v_c;
  void (*round)(const double *, uint8_t *, int, int) = round_rows_c;
#ifdef OPS_X86
  round = round_rows_sse2;
  if (ops_avx2()) hrow = blur_h_avx2, vrow = blur_v_avx2, round = round_rows_avx2;
#endif
  for (int q = 0; q < r && q < h; q++) hrow(d + (size_t)q * n3, w, k, r, prow, acc, ring + (size_t)(q % n) * n3);
  for (int y = 0; y < h; y++) {
    if (y + r < h) hrow(d + (size_t)(y + r) * n3, w, k, r, prow, acc, ring + (size_t)((y + r) % n) * n3);
    for (int t = 0; t < n; t++) rows[t] = ring + (size_t)(clamp_i(y + t - r, h) % n) * n3;
    vrow(rows, n3, k, r, acc);
    round(acc, d + (size_t)y * n3, n3, 0);
  }
  free(ring);
  free(prow);
  free(rows);
  return 0;
}

static inline int reflect101_safe(int i, int n) {
  int v = n == 1 ? 0 : i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
  return v < 0 ? 0 : v >= n ? n - 1 : v;
}

int op_convolve_fast(uint8_t *d, int w, int h, const double *taps, int nt) {
  if (nt < 1 || sum_bound(taps + 2, nt, 3) < 0) return 1;
  int rx = 0, ry = 0;
  for (int t = 0; t < nt; t++) {
    int dx = (int)taps[t * 3], dy = (int)taps[t * 3 + 1];
    rx = dx < 0 ? (-dx > rx ? -dx : rx) : (dx > rx ? dx : rx);
    ry = dy < 0 ? (-dy > ry ? -dy : ry) : (dy > ry ? dy : ry);
  }
  if (rx > 1000 || ry > 1000) return 1;
  int n = 2 * ry + 1, n3 = w * 3;
  size_t pw = (size_t)(w + 2 * rx) * 3;
  double *ring = malloc(sizeof(double) * (pw * n + (size_t)n3));
  double *k = malloc(sizeof(double) * nt);
  const double **rows = malloc(sizeof(double *) * nt);
  int *offs = malloc(sizeof(int) * nt);
  if (!ring || !k || !rows || !offs) {
    free(ring);
    free(k);
    free(rows);
    free(offs);
    return -1;
  }
  double *acc = ring + pw * n;
  for (int t = 0; t < nt; t++) k[t] = taps[t * 3 + 2], offs[t] = ((int)taps[t * 3] + rx) * 3;
  void (*row)(const double *const *, const int *, const double *, int, int, double *) = conv_c;
  void (*round)(const double *, uint8_t *, int, int) = round_rows_c;
#ifdef OPS_X86
  round = round_rows_sse2;
  if (ops_avx2()) row = conv_avx2, round = round_rows_avx2;
#endif
  // source row q -> ring slot q % n: its samples as doubles, reflected rx pixels left and right
  int loaded = 0;
  for (int y = 0; y < h; y++) {
    for (; loaded < h && loaded <= y + ry; loaded++) {
      double *p = ring + pw * (size_t)(loaded % n);
      const uint8_t *s = d + (size_t)loaded * n3;
      for (int x = 0; x < w + 2 * rx; x++) {
        int sx = reflect101_safe(x - rx, w);
        for (int c = 0; c < 3; c++) p[x * 3 + c] = s[sx * 3 + c];
      }
    }
    for (int t = 0; t < nt; t++) rows[t] = ring + pw * (size_t)(reflect101_safe(y + (int)taps[t * 3 + 1], h) % n);
    row(rows, offs, k, nt, n3, acc);
    round(acc, d + (size_t)y * n3, n3, 1);
  }
  free(ring);
  free(k);
  free(rows);
  free(offs);
  return 0;
}

// which variant the kernels above run now: "avx2", "sse2" or "c"
const char *op_filter_simd(void) {
#ifdef OPS_X86
  return ops_avx2() ? "avx2" : "sse2";
#else
  return "c";
#endif
}

// ---- kernels 3 (ops/filter-q.ts): integer Gaussian blur, sharpen, line mean -------------------------
// Exact integer arithmetic (every sum below 2^31), so any order of it gives the JS references'
// bytes. Vectorized across output values on 16-bit lanes: _mm_madd_epi16 on two interleaved 16-bit
// vectors (unpacklo/unpackhi) gives 32-bit sums of two products, and packs_epi32 of the two halves
// restores the order (both in-lane, so the same body serves SSE2, 8 values, and AVX2, 16 values:
// the Q* macros). Rows are 16-bit and edge-padded; every buffer has QSLACK zeroed values past its
// row, so a vector's tail reads defined values and computes outputs nobody reads (outputs go to a
// row buffer, then n3 bytes to d). The plain C variant (every other architecture, and the fuzzer's
// reference) computes the same sums one value at a time.

#define QSLACK 64

// Gaussian: horizontal pass one padded row (edges replicated) -> Q6 values, (sum + 2^7) >> 8
// (<= 16320); vertical pass of 2r + 1 of those rows -> (sum + 2^19) >> 20. The taps are symmetric,
// so the vector bodies add the two samples of a tap pair first (16-bit: <= 510, <= 32640).
static void blur_q_h_c(const int16_t *prow, int n3, const int32_t *q, int r, int16_t *out) {
  for (int i = 0; i < n3; i++) {
    int32_t acc = 128;
    for (int t = 0; t <= 2 * r; t++) acc += q[t] * prow[i + 3 * t];
    out[i] = (int16_t)(acc >> 8);
  }
}
static void blur_q_v_c(const int16_t *const *rows, int n3, const int32_t *q, int r, uint8_t *out) {
  for (int i = 0; i < n3; i++) {
    int32_t acc = 1 << 19;
    for (int t = 0; t <= 2 * r; t++) acc += q[t] * rows[t][i];
    out[i] = (uint8_t)(acc >> 20);
  }
}
// Rounding to nearest even of x / 2^b: (x + 2^(b - 1) - 1 + bit b of x) >> b.
// Sharpen: (c x - a N8) / 2^14 rounded, clamped; rows padded by one pixel (BORDER_REFLECT_101)
static void sharpen_q_c(const int16_t *r0, const int16_t *r1, const int16_t *r2, int n3, int c, int a, uint8_t *out) {
  for (int i = 0; i < n3; i++) {
    int32_t n8 = r0[i] + r0[i + 3] + r0[i + 6] + r1[i] + r1[i + 6] + r2[i] + r2[i + 3] + r2[i + 6];
    int32_t x = c * r1[i + 3] - a * n8, v = (x + 8191 + ((x >> 14) & 1)) >> 14;
    out[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
  }
}
// Line mean: (sum of the samples x q) / 2^b rounded, clamped
static void line_q_c(const int16_t *const *rows, const int *offs, int nt, int n3, int q, int b, uint8_t *out) {
  for (int i = 0; i < n3; i++) {
    int32_t s = 0;
    for (int t = 0; t < nt; t++) s += rows[t][offs[t] + i];
    int32_t x = s * q, v = (x + (1 << (b - 1)) - 1 + ((x >> b) & 1)) >> b;
    out[i] = (uint8_t)(v > 255 ? 255 : v);
  }
}

#define Q_RADII(F, a, n, p, o)   \
  case 1: F(a, n, p, 1, o); break; \
  case 2: F(a, n, p, 2, o); break; \
  case 3: F(a, n, p, 3, o); break; \
  case 4: F(a, n, p, 4, o); break; \
  case 5: F(a, n, p, 5, o); break; \
  case 6: F(a, n, p, 6, o); break;

// One body per kernel for both vector widths. QT: the vector; QN: 16-bit lanes; QST8: store the QN
// low bytes of packus(x, x) (in lane order).
#define Q_BODIES(SUF, ATTR)                                                                                           \
  ATTR static inline __attribute__((always_inline)) void blur_q_h_body_##SUF(const int16_t *prow, int n3, const int32_t *pairs, int r, int16_t *out) { \
    for (int i = 0; i < n3; i += QN) {                                                                               \
      const int16_t *c = prow + i + 3 * r;                                                                           \
      QT lo = QSET32(128), hi = lo;                                                                                  \
      for (int k = 0; k <= r; k += 2) {                                                                              \
        QT a = k ? QADD16(QLD(c - 3 * k), QLD(c + 3 * k)) : QLD(c);                                                  \
        QT b = k < r ? QADD16(QLD(c - 3 * (k + 1)), QLD(c + 3 * (k + 1))) : QZERO;                                   \
        QT q = QSET32(pairs[k / 2]);                                                                                 \
        lo = QADD32(lo, QMADD(QLO16(a, b), q));                                                                      \
        hi = QADD32(hi, QMADD(QHI16(a, b), q));                                                                      \
      }                                                                                                              \
      QST(out + i, QPACK32(QSRAI32(lo, 8), QSRAI32(hi, 8)));                                                         \
    }                                                                                                                \
  }                                                                                                                  \
  ATTR static inline __attribute__((always_inline)) void blur_q_v_body_##SUF(const int16_t *const *rows, int n3, const int32_t *pairs, int r, uint8_t *out) { \
    for (int i = 0; i < n3; i += QN) {                                                                               \
      QT lo = QSET32(1 << 19), hi = lo;                                                                              \
      for (int k = 0; k <= r; k += 2) {                                                                              \
        QT a = k ? QADD16(QLD(rows[r - k] + i), QLD(rows[r + k] + i)) : QLD(rows[r] + i);                            \
        QT b = k < r ? QADD16(QLD(rows[r - k - 1] + i), QLD(rows[r + k + 1] + i)) : QZERO;                           \
        QT q = QSET32(pairs[k / 2]);                                                                                 \
        lo = QADD32(lo, QMADD(QLO16(a, b), q));                                                                      \
        hi = QADD32(hi, QMADD(QHI16(a, b), q));                                                                      \
      }                                                                                                              \
      QT v = QPACK32(QSRAI32(lo, 20), QSRAI32(hi, 20));                                                              \
      QST8(out + i, QPACKU8(v, v));                                                                                  \
    }                                                                                                                \
  }                                                                                                                  \
  /* the common radii with r a constant (the tap loop unrolled, the tap constants kept in registers) */               \
  ATTR static void blur_q_h_##SUF(const int16_t *prow, int n3, const int32_t *pairs, int r, int16_t *out) {        \
    switch (r) {                                                                                                     \
      Q_RADII(blur_q_h_body_##SUF, prow, n3, pairs, out)                                                             \
      default: blur_q_h_body_##SUF(prow, n3, pairs, r, out);                                                         \
    }                                                                                                                \
  }                                                                                                                  \
  ATTR static void blur_q_v_##SUF(const int16_t *const *rows, int n3, const int32_t *pairs, int r, uint8_t *out) { \
    switch (r) {                                                                                                     \
      Q_RADII(blur_q_v_body_##SUF, rows, n3, pairs, out)                                                             \
      default: blur_q_v_body_##SUF(rows, n3, pairs, r, out);                                                         \
    }                                                                                                                \
  }                                                                                                                  \
  /* pairs (x << 7, N8) x (c >> 7, -a) and (x, 0) x (c & 127, 0) */                                                \
  ATTR static void sharpen_q_##SUF(const int16_t *r0, const int16_t *r1, const int16_t *r2, int n3, int c, int a, uint8_t *out) { \
    const QT k1 = QSET32((int32_t)(((uint32_t)(uint16_t)(int16_t)-a << 16) | (uint16_t)(c >> 7)));                  \
    const QT k2 = QSET32(c & 127), half = QSET32(8191), one = QSET32(1);                                             \
    for (int i = 0; i < n3; i += QN) {                                                                               \
      QT x = QLD(r1 + i + 3);                                                                                        \
      QT s = QADD16(QADD16(QLD(r0 + i), QLD(r0 + i + 3)), QADD16(QLD(r0 + i + 6), QLD(r1 + i)));                    \
      s = QADD16(s, QADD16(QADD16(QLD(r1 + i + 6), QLD(r2 + i)), QADD16(QLD(r2 + i + 3), QLD(r2 + i + 6))));         \
      QT x7 = QSLLI16(x, 7);                                                                                         \
      QT lo = QADD32(QMADD(QLO16(x7, s), k1), QMADD(QLO16(x, QZERO), k2));                                           \
      QT hi = QADD32(QMADD(QHI16(x7, s), k1), QMADD(QHI16(x, QZERO), k2));                                           \
      lo = QADD32(QADD32(lo, half), QAND(QSRLI32(lo, 14), one));                                                     \
      hi = QADD32(QADD32(hi, half), QAND(QSRLI32(hi, 14), one));                                                     \
      QT v = QPACK32(QSRAI32(lo, 14), QSRAI32(hi, 14));                                                              \
      QST8(out + i, QPACKU8(v, v));                                                                                  \
    }                                                                                                                \
  }                                                                                                                  \
  /* the sum in 16 bits (<= 128 x 255), then pairs (s, 0) x (q, 0) */                                                \
  ATTR static void line_q_##SUF(const int16_t *const *rows, const int *offs, int nt, int n3, int q, int b, uint8_t *out) { \
    const QT k = QSET32(q), half = QSET32((1 << (b - 1)) - 1), one = QSET32(1);                                      \
    const __m128i sh = _mm_cvtsi32_si128(b);                                                                         \
    for (int i = 0; i < n3; i += QN) {                                                                               \
      QT s = QLD(rows[0] + offs[0] + i);                                                                             \
      for (int t = 1; t < nt; t++) s = QADD16(s, QLD(rows[t] + offs[t] + i));                                        \
      QT lo = QMADD(QLO16(s, QZERO), k), hi = QMADD(QHI16(s, QZERO), k);                                             \
      lo = QADD32(QADD32(lo, half), QAND(QSRL32(lo, sh), one));                                                      \
      hi = QADD32(QADD32(hi, half), QAND(QSRL32(hi, sh), one));                                                      \
      QT v = QPACK32(QSRA32(lo, sh), QSRA32(hi, sh));                                                                \
      QST8(out + i, QPACKU8(v, v));                                                                                  \
    }                                                                                                                \
  }

#ifdef OPS_X86
#define QT __m128i
#define QN 8
#define QLD(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define QST(p, x) _mm_storeu_si128((__m128i *)(void *)(p), x)
#define QST8(p, x) _mm_storel_epi64((__m128i *)(void *)(p), x)
#define QADD16 _mm_add_epi16
#define QADD32 _mm_add_epi32
#define QLO16 _mm_unpacklo_epi16
#define QHI16 _mm_unpackhi_epi16
#define QMADD _mm_madd_epi16
#define QSRAI32 _mm_srai_epi32
#define QSRA32 _mm_sra_epi32
#define QSLLI16 _mm_slli_epi16
#define QSET32 _mm_set1_epi32
#define QSET16 _mm_set1_epi16
#define QZERO _mm_setzero_si128()
#define QPACK32 _mm_packs_epi32
#define QPACKU8 _mm_packus_epi16
#define QAND _mm_and_si128
#define QSRLI32 _mm_srli_epi32
#define QSRL32 _mm_srl_epi32
Q_BODIES(sse2, )
#undef QT
#undef QN
#undef QLD
#undef QST
#undef QST8
#undef QADD16
#undef QADD32
#undef QLO16
#undef QHI16
#undef QMADD
#undef QSRAI32
#undef QSRA32
#undef QSLLI16
#undef QSET32
#undef QSET16
#undef QZERO
#undef QPACK32
#undef QPACKU8
#undef QAND
#undef QSRLI32
#undef QSRL32

#define QT __m256i
#define QN 16
#define QLD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define QST(p, x) _mm256_storeu_si256((__m256i *)(void *)(p), x)
#define QST8(p, x) _mm_storeu_si128((__m128i *)(void *)(p), _mm256_castsi256_si128(_mm256_permute4x64_epi64(x, 0x08)))
#define QADD16 _mm256_add_epi16
#define QADD32 _mm256_add_epi32
#define QLO16 _mm256_unpacklo_epi16
#define QHI16 _mm256_unpackhi_epi16
#define QMADD _mm256_madd_epi16
#define QSRAI32 _mm256_srai_epi32
#define QSRA32 _mm256_sra_epi32
#define QSLLI16 _mm256_slli_epi16
#define QSET32 _mm256_set1_epi32
#define QSET16 _mm256_set1_epi16
#define QZERO _mm256_setzero_si256()
#define QPACK32 _mm256_packs_epi32
#define QPACKU8 _mm256_packus_epi16
#define QAND _mm256_and_si256
#define QSRLI32 _mm256_srli_epi32
#define QSRL32 _mm256_srl_epi32
Q_BODIES(avx2, __attribute__((target("avx2"))))
#undef QT
#undef QN
#undef QLD
#undef QST
#undef QST8
#undef QADD16
#undef QADD32
#undef QLO16
#undef QHI16
#undef QMADD
#undef QSRAI32
#undef QSRA32
#undef QSLLI16
#undef QSET32
#undef QSET16
#undef QZERO
#undef QPACK32
#undef QPACKU8
#undef QAND
#undef QSRLI32
#undef QSRL32
#endif

// the variant to run: 0 plain C, 1 SSE2, 2 AVX2 (-1: the best this CPU has; one it lacks: the best below)
static int q_variant(int v) {
#ifdef OPS_X86
  int best = ops_avx2() ? 2 : 1;
  return v < 0 || v > best ? best : v;
#else
  (void)v;
  return 0;
#endif
}

// source rows as 16-bit values padded by rx pixels (BORDER_REFLECT_101, clamped), in a ring of n
// rows: row q in slot q % n, loaded before output row q overwrites it
typedef struct {
  int16_t *buf;
  size_t stride;
  int n, rx, w, h, loaded;
  const uint8_t *d;
} q_ring;
// a source row widened to 16 bits with pad pixels each side: replicated (reflect = 0) or
// BORDER_REFLECT_101, clamped (reflect = 1); the inside is a plain widening loop (vectorized)
static void q_pad_row(int16_t *restrict p, const uint8_t *restrict s, int w, int pad, int reflect) {
  int n3 = w * 3;
  for (int i = 0; i < n3; i++) p[pad * 3 + i] = s[i];
  for (int x = 0; x < pad; x++) {
    int l = reflect ? reflect101_safe(x - pad, w) : 0, r = reflect ? reflect101_safe(w + x, w) : w - 1;
    for (int c = 0; c < 3; c++) p[x * 3 + c] = s[l * 3 + c], p[(pad + w + x) * 3 + c] = s[r * 3 + c];
  }
}
static void q_ring_load(q_ring *g, int upto) {
  for (; g->loaded < g->h && g->loaded <= upto; g->loaded++)
    q_pad_row(g->buf + g->stride * (size_t)(g->loaded % g->n), g->d + (size_t)g->loaded * g->w * 3, g->w, g->rx, 1);
}
static const int16_t *q_ring_row(const q_ring *g, int y) { return g->buf + g->stride * (size_t)(reflect101_safe(y, g->h) % g->n); }

int op_blur_q(uint8_t *d, int w, int h, const int32_t *q, int r, int variant) {
  int v = q_variant(variant), n = 2 * r + 1, n3 = w * 3;
  size_t pw = (size_t)(w + 2 * r) * 3 + QSLACK, rw = (size_t)n3 + QSLACK;
  int16_t *ring = calloc(rw * n + pw, sizeof(int16_t));
  uint8_t *out = calloc(rw, 1);
  const int16_t **rows = malloc(sizeof(int16_t *) * n);
  int32_t *pairs = malloc(sizeof(int32_t) * (size_t)(r / 2 + 1));
  if (!ring || !out || !rows || !pairs) {
    free(ring), free(out), free(rows), free(pairs);
    return -1;
  }
  int16_t *prow = ring + rw * n;
  for (int k = 0; k <= r; k += 2) pairs[k / 2] = (int32_t)(((uint32_t)(k < r ? q[r + k + 1] : 0) << 16) | (uint32_t)q[r + k]);
  for (int y = -r; y < h; y++) {
    int src = y + r;  // the source row to pass horizontally now
    if (src < h) {
      q_pad_row(prow, d + (size_t)src * n3, w, r, 0);
      int16_t *o = ring + rw * (size_t)(src % n);
      if (v == 0) blur_q_h_c(prow, n3, q, r, o);
#ifdef OPS_X86
      else if (v == 1) blur_q_h_sse2(prow, n3, pairs, r, o);
      else blur_q_h_avx2(prow, n3, pairs, r, o);
#endif
    }
    if (y < 0) continue;
    for (int t = 0; t < n; t++) rows[t] = ring + rw * (size_t)(clamp_i(y + t - r, h) % n);
    if (v == 0) blur_q_v_c(rows, n3, q, r, out);
#ifdef OPS_X86
    else if (v == 1) blur_q_v_sse2(rows, n3, pairs, r, out);
    else blur_q_v_avx2(rows, n3, pairs, r, out);
#endif
    memcpy(d + (size_t)y * n3, out, (size_t)n3);
  }
  free(ring), free(out), free(rows), free(pairs);
  return 0;
}

int op_sharpen_q(uint8_t *d, int w, int h, int c, int a, int variant) {
  int v = q_variant(variant), n3 = w * 3;
  size_t pw = (size_t)(w + 2) * 3 + QSLACK;
  int16_t *buf = calloc(pw * 3, sizeof(int16_t));
  uint8_t *out = calloc((size_t)n3 + QSLACK, 1);
  if (!buf || !out) {
    free(buf), free(out);
    return -1;
  }
  q_ring g = {.buf = buf, .stride = pw, .n = 3, .rx = 1, .w = w, .h = h, .loaded = 0, .d = d};
  for (int y = 0; y < h; y++) {
    q_ring_load(&g, y + 1);
    const int16_t *r0 = q_ring_row(&g, y - 1), *r1 = q_ring_row(&g, y), *r2 = q_ring_row(&g, y + 1);
    if (v == 0) sharpen_q_c(r0, r1, r2, n3, c, a, out);
#ifdef OPS_X86
    else if (v == 1) sharpen_q_sse2(r0, r1, r2, n3, c, a, out);
    else sharpen_q_avx2(r0, r1, r2, n3, c, a, out);
#endif
    memcpy(d + (size_t)y * n3, out, (size_t)n3);
  }
  free(buf), free(out);
  return 0;
}

int op_line_mean_q(uint8_t *d, int w, int h, const int32_t *offsets, int nt, int q, int shift, int variant) {
  int v = q_variant(variant), n3 = w * 3, rx = 0, ry = 0;
  for (int t = 0; t < nt; t++) {
    int dx = offsets[t * 2] < 0 ? -offsets[t * 2] : offsets[t * 2], dy = offsets[t * 2 + 1] < 0 ? -offsets[t * 2 + 1] : offsets[t * 2 + 1];
    rx = dx > rx ? dx : rx, ry = dy > ry ? dy : ry;
  }
  int n = 2 * ry + 1;
  size_t pw = (size_t)(w + 2 * rx) * 3 + QSLACK;
  int16_t *buf = calloc(pw * n, sizeof(int16_t));
  uint8_t *out = calloc((size_t)n3 + QSLACK, 1);
  const int16_t **rows = malloc(sizeof(int16_t *) * nt);
  int *offs = malloc(sizeof(int) * nt);
  if (!buf || !out || !rows || !offs) {
    free(buf), free(out), free(rows), free(offs);
    return -1;
  }
  for (int t = 0; t < nt; t++) offs[t] = (offsets[t * 2] + rx) * 3;
  q_ring g = {.buf = buf, .stride = pw, .n = n, .rx = rx, .w = w, .h = h, .loaded = 0, .d = d};
  for (int y = 0; y < h; y++) {
    q_ring_load(&g, y + ry);
    for (int t = 0; t < nt; t++) rows[t] = q_ring_row(&g, y + offsets[t * 2 + 1]);
    if (v == 0) line_q_c(rows, offs, nt, n3, q, shift, out);
#ifdef OPS_X86
    else if (v == 1) line_q_sse2(rows, offs, nt, n3, q, shift, out);
    else line_q_avx2(rows, offs, nt, n3, q, shift, out);
#endif
    memcpy(d + (size_t)y * n3, out, (size_t)n3);
  }
  free(buf), free(out), free(rows), free(offs);
  return 0;
}
