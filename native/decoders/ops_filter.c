// The filter family's fast kernels (ops/filter.ts, ops/blur.ts), equal to their JS references byte
// for byte. SIMD where it pays: an SSE2 build (the x86-64 baseline) and an AVX2 variant chosen at
// run time; other architectures build the plain C of the same algorithm.
#include <stdlib.h>
#include <string.h>
#include "ops.h"
#include "ops_filter_nets.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define OPS_X86 1
static int have_avx2(void) {
  static int known = -1;
  if (known < 0) {
    __builtin_cpu_init();
    known = __builtin_cpu_supports("avx2") ? 1 : 0;
  }
  return known;
}
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
  row = have_avx2() ? median_row_avx2 : median_row_sse2;
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
