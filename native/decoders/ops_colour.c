// Colour kernels (ops.h, "colour" block): the fast twins of ops/colour.ts, ops/hsv.ts,
// ops/histogram.ts and ops/noise.ts's one-factor multiplicative noise, equal to them byte for byte.
// Integer steps are the JS ones; float32 steps are float operations one by one (no contraction:
// -ffp-contract=off), so each value is computed as JS computes it. Loops over contiguous samples
// with restrict pointers, built twice on x86-64 (the SSE2 baseline and an AVX2 clone chosen at run
// time); other architectures build the plain C.
#include "ops.h"
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define COLOUR_AVX2 1
#define AVX2 __attribute__((target("avx2")))
static int has_avx2(void) {
  static int v = -1;
  if (v < 0) v = __builtin_cpu_supports("avx2") ? 1 : 0;
  return v;
}
#else
#define COLOUR_AVX2 0
#endif
#define INLINE static inline __attribute__((always_inline))

// Declares op(args) running body_(args) through the AVX2 clone where the CPU has it.
#if COLOUR_AVX2
#define DISPATCH(ret, name, params, call)            \
  AVX2 static ret name##_avx2 params { return name##_body call; } \
  static ret name##_base params { return name##_body call; }      \
  ret name params { return has_avx2() ? name##_avx2 call : name##_base call; }
#else
#define DISPATCH(ret, name, params, call) \
  ret name params { return name##_body call; }
#endif

// ---- tables (photometric.ts applyLut; per-channel tables) ---------------------------------------------
// 24 bytes (8 pixels) a step as three 64-bit words: fewer loads and stores than byte by byte.
INLINE void op_lut3_body(uint8_t *restrict d, size_t n, const uint8_t *restrict l0, const uint8_t *restrict l1, const uint8_t *restrict l2) {
  const uint8_t *t[3] = {l0, l1, l2};
  size_t i = 0;
  for (; i + 24 <= n; i += 24) {
    uint64_t w[3];
    memcpy(w, d + i, 24);
    for (int k = 0; k < 3; k++) {
      uint64_t o = 0;
      for (int b = 0; b < 8; b++) o |= (uint64_t)t[(k * 8 + b) % 3][(w[k] >> (8 * b)) & 255] << (8 * b);
      w[k] = o;
    }
    memcpy(d + i, w, 24);
  }
  for (; i < n; i++) d[i] = t[i % 3][d[i]];
}
DISPATCH(void, op_lut3, (uint8_t * d, size_t n, const uint8_t *l0, const uint8_t *l1, const uint8_t *l2), (d, n, l0, l1, l2))

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
INLINE void op_grey_body(uint8_t *restrict d, size_t n) {
  size_t px = n / 3;
  for (size_t p = 0; p < px; p++) {
    uint8_t g = (uint8_t)grey_of(d[3 * p], d[3 * p + 1], d[3 * p + 2]);
    d[3 * p] = g, d[3 * p + 1] = g, d[3 * p + 2] = g;
  }
}
DISPATCH(void, op_grey, (uint8_t * d, size_t n), (d, n))

// hsv.ts greyMean's sum (integers: exact)
INLINE uint64_t op_grey_sum_body(const uint8_t *restrict d, size_t n) {
  size_t px = n / 3;
  uint64_t sum = 0;
  for (size_t p = 0; p < px; p++) sum += (uint32_t)grey_of(d[3 * p], d[3 * p + 1], d[3 * p + 2]);
  return sum;
}
DISPATCH(uint64_t, op_grey_sum, (const uint8_t *d, size_t n), (d, n))

// ---- hsv.ts adjustSaturation: cv2.addWeighted(img, a, grey, b, 0), float32, rounded to nearest even ----
// x + 1.5 * 2^23 - 1.5 * 2^23 rounds a float in [0, 2^22) to an integer, ties to even (cvRound)
// (x <= 0: 0; x >= 255: 255 as JS's satRound; a NaN gives 0 as a Uint8Array store of NaN does)
INLINE uint8_t sat_round_v(float x) {
  if (x != x) return 0;
  float r = (x + 12582912.0f) - 12582912.0f;
  r = r < 0 ? 0 : r;
  r = r > 255 ? 255 : r;
  return (uint8_t)(int)r;
}
INLINE void op_saturation_body(uint8_t *restrict d, size_t n, double factor) {
  const float a = (float)factor, b = (float)(1 - factor);
  size_t px = n / 3;
  if (factor == 0) {
    for (size_t p = 0; p < px; p++) {
      uint8_t g = (uint8_t)grey_of(d[3 * p], d[3 * p + 1], d[3 * p + 2]);
      d[3 * p] = g, d[3 * p + 1] = g, d[3 * p + 2] = g;
    }
    return;
  }
  for (size_t p = 0; p < px; p++) {
    int g = grey_of(d[3 * p], d[3 * p + 1], d[3 * p + 2]);
    // the product of an integer below 2^9 and a float is exact in double: rounding once is float's
    double gb = (float)((double)g * (double)b);
    for (int c = 0; c < 3; c++) d[3 * p + c] = sat_round_v((float)((double)d[3 * p + c] * (double)a + gb));
  }
}
DISPATCH(void, op_saturation, (uint8_t * d, size_t n, double factor), (d, n, factor))

// ---- histogram.ts claheRgb: RGB -> YCrCb, cv::CLAHE on Y, back ----------------------------------------------
static inline uint8_t sat_i(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }
#define DESCALE14(x) (((x) + (1 << 13)) >> 14)

// rows of luts: per tile 256 entries; the histograms of tiles (tw x th, plane extended by reflection)
static void clahe_luts(const uint8_t *plane, int w, int h, int tiles, int tw, int th, double clip, uint8_t *luts, const int *xs) {
  int64_t area = (int64_t)tw * th;
  int64_t limit = 0;
  if (clip > 0) {
    double l = (clip * (double)area) / 256;
    limit = l >= 9e18 ? INT64_MAX : l < 1 ? 1 : (int64_t)l;
  }
  const float scale = (float)(255.0 / (double)area);
  int64_t hist[256];
  for (int ty = 0; ty < tiles; ty++) {
    for (int tx = 0; tx < tiles; tx++) {
      memset(hist, 0, sizeof hist);
      for (int y = ty * th; y < (ty + 1) * th; y++) {
        const uint8_t *row = plane + (size_t)(y < h ? y : 2 * (h - 1) - y) * w;
        for (int x = tx * tw; x < (tx + 1) * tw; x++) hist[row[xs[x]]]++;
      }
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

int op_clahe_rgb(uint8_t *d, int w, int h, double clip, int tiles) {
  int ew = w % tiles == 0 ? w : w + tiles - w % tiles, eh = h % tiles == 0 ? h : h + tiles - h % tiles;
  if (ew > 2 * w - 1 && ew != w) return -2;  // reflection beyond the plane: the JS reference's case alone
  if (eh > 2 * h - 1 && eh != h) return -2;
  int tw = ew / tiles, th = eh / tiles;
  size_t np = (size_t)w * h;
  uint8_t *y = malloc(np), *luts = malloc((size_t)tiles * tiles * 256);
  int *xs = malloc(sizeof(int) * (size_t)ew), *x1s = malloc(sizeof(int) * (size_t)w), *x2s = malloc(sizeof(int) * (size_t)w);
  float *xas = malloc(sizeof(float) * (size_t)w);
  int rc = -1;
  if (!y || !luts || !xs || !x1s || !x2s || !xas) goto done;
  // RGB -> YCrCb (cv8.ts rgbToYcrcb8), Cr and Cb kept in d
  for (size_t k = 0; k < np; k++) {
    uint8_t *q = d + 3 * k;
    int r = q[0], g = q[1], b = q[2];
    int yy = DESCALE14(r * 4899 + g * 9617 + b * 1868);
    y[k] = (uint8_t)yy;
    q[1] = sat_i(DESCALE14((r - yy) * 11682 + (128 << 14)));
    q[2] = sat_i(DESCALE14((b - yy) * 9241 + (128 << 14)));
  }
  for (int x = 0; x < ew; x++) xs[x] = x < w ? x : 2 * (w - 1) - x;
  clahe_luts(y, w, h, tiles, tw, th, clip, luts, xs);
  const float invW = (float)(1.0 / tw), invH = (float)(1.0 / th);
  for (int x = 0; x < w; x++) {
    float txf = (float)x * invW - 0.5f;
    int t1 = ifloorf(txf);
    xas[x] = txf - (float)t1;
    x1s[x] = (t1 > 0 ? t1 : 0) * 256;
    x2s[x] = (t1 + 1 < tiles - 1 ? t1 + 1 : tiles - 1) * 256;
  }
  for (int yy = 0; yy < h; yy++) {
    float tyf = (float)yy * invH - 0.5f;
    int t1 = ifloorf(tyf);
    float ya = tyf - (float)t1, ya1 = 1 - ya;
    const uint8_t *r1 = luts + (size_t)(t1 > 0 ? t1 : 0) * tiles * 256, *r2 = luts + (size_t)(t1 + 1 < tiles - 1 ? t1 + 1 : tiles - 1) * tiles * 256;
    const uint8_t *py = y + (size_t)yy * w;
    uint8_t *q = d + (size_t)yy * w * 3;
    for (int x = 0; x < w; x++) {
      int v = py[x];
      float xa = xas[x], xa1 = 1 - xa;
      float top = (float)r1[x1s[x] + v] * xa1 + (float)r1[x2s[x] + v] * xa;
      float bottom = (float)r2[x1s[x] + v] * xa1 + (float)r2[x2s[x] + v] * xa;
      int ny = sat_round_v(top * ya1 + bottom * ya);
      // YCrCb -> RGB (cv8.ts ycrcbToRgb8)
      int dcr = q[3 * x + 1] - 128, dcb = q[3 * x + 2] - 128;
      q[3 * x] = sat_i(ny + DESCALE14(dcr * 22987));
      q[3 * x + 1] = sat_i(ny + DESCALE14(dcb * -5636 + dcr * -11698));
      q[3 * x + 2] = sat_i(ny + DESCALE14(dcb * 29049));
    }
  }
  rc = 0;
done:
  free(y), free(luts), free(xs), free(x1s), free(x2s), free(xas);
  return rc;
}
