// Kernels of the displacement/chain path (warp-chain.ts, ops/distortion.ts), the fast twins of
// their JS references: the same float64 operations per value in the same order (vectorised only
// ACROSS output values), so the bytes are the references' (fast.ts checks each at start-up, tests
// compare them on random inputs). Loops over contiguous values are written for the vectoriser
// (-O3); the hot ones are also compiled for AVX2 and chosen at run time (__builtin_cpu_supports).
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_AVX2_VARIANT 1
#define AVX2 __attribute__((target("avx2")))
static int use_avx2(void) {
  static int v = -1;
  if (v < 0) {
    __builtin_cpu_init();
    v = __builtin_cpu_supports("avx2") ? 1 : 0;
  }
  return v;
}
#else
#define HAVE_AVX2_VARIANT 0
#endif
#define INLINE static inline __attribute__((always_inline))

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

// ---- warp-chain.ts coordsRegion --------------------------------------------------------------------
// foldIndex for |i| < 2^30 (the callers check)
static int fold_index_js(long i, long n, int mode) {
  if (i >= 0 && i < n) return (int)i;
  switch (mode) {
    case 2: {  // reflect
      if (n == 1) return 0;
      long P = 2 * (n - 1), t = i % P;
      if (t < 0) t += P;
      return (int)(t < n ? t : P - t);
    }
    case 3: {  // symmetric
      long P = 2 * n, t = i % P;
      if (t < 0) t += P;
      return (int)(t < n ? t : P - 1 - t);
    }
    case 4: {  // wrap
      long t = i % n;
      return (int)(t < 0 ? t + n : t);
    }
    default:
      return i < 0 ? 0 : (int)(n - 1);
  }
}

int op_coords_region(const double *coords, size_t n, int sw, int sh, int mode, int pfx, int pfy, int rect[4]) {
  const long rw = (sw + pfx - 1) / pfx, rh = (sh + pfy - 1) / pfy;
  long x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int any = 0;
  for (size_t i = 0; i < n * 2; i += 2) {
    double u = coords[i], v = coords[i + 1];
    if (u != u) continue;
    // NaN in v alone, infinities, far points: the JS reference decides (Math.min/max's NaN rules)
    if (!(u > -1e9 && u < 1e9 && v > -1e9 && v < 1e9)) return -1;
    long mx = fold_index_js((long)floor(u), sw, mode), my = fold_index_js((long)floor(v), sh, mode);
    double fx = u / pfx - 0.5, fy = v / pfy - 0.5;
    long tx = (long)floor(fx), ty = (long)floor(fy);
    long ax = fold_index_js(tx, rw, mode), bx = fold_index_js(tx + 1, rw, mode);
    long ay = fold_index_js(ty, rh, mode), by = fold_index_js(ty + 1, rh, mode);
    long lx = (ax < bx ? ax : bx) * pfx, hx = ((ax > bx ? ax : bx) + 1) * pfx;
    long ly = (ay < by ? ay : by) * pfy, hy = ((ay > by ? ay : by) + 1) * pfy;
    if (hx > sw) hx = sw;
    if (hy > sh) hy = sh;
    if (mx < lx) lx = mx;
    if (my < ly) ly = my;
    if (mx + 1 > hx) hx = mx + 1;
    if (my + 1 > hy) hy = my + 1;
    if (!any) {
      x0 = lx, y0 = ly, x1 = hx, y1 = hy, any = 1;
      continue;
    }
    if (lx < x0) x0 = lx;
    if (ly < y0) y0 = ly;
    if (hx > x1) x1 = hx;
    if (hy > y1) y1 = hy;
  }
  if (!any || !(x1 > x0 && y1 > y0)) return 0;
  x0 = x0 / pfx * pfx;  // non-negative: floor
  y0 = y0 / pfy * pfy;
  x1 = (x1 + pfx - 1) / pfx * pfx;
  y1 = (y1 + pfy - 1) / pfy * pfy;
  if (x1 > sw) x1 = sw;
  if (y1 > sh) y1 = sh;
  rect[0] = (int)x0, rect[1] = (int)y0, rect[2] = (int)(x1 - x0), rect[3] = (int)(y1 - y0);
  return 1;
}

// ---- warp-chain.ts chainCoords: the map pixels a field link reads ----------------------------------
// The taps field_at (ops.c) reads for each point: [x0, x1) x [y0, y1) of a fw x fh map (a NaN point
// may be a valid point with a NaN coordinate, which field_at reads at the corner: included).
void op_points_box(const double *pts, size_t n, int fw, int fh, int rect[4]) {
  double lx = INFINITY, ly = INFINITY, hx = -INFINITY, hy = -INFINITY;
  int corner = 0;
  for (size_t i = 0; i < n * 2; i += 2) {
    double u = pts[i] - 0.5, v = pts[i + 1] - 0.5;
    if (u != u || v != v) {
      corner = 1;
      if (u != u && v != v) continue;
    }
    if (u == u) {
      if (u < lx) lx = u;
      if (u > hx) hx = u;
    }
    if (v == v) {
      if (v < ly) ly = v;
      if (v > hy) hy = v;
    }
  }
  // floor, clamped into the map (in doubles: far points must not overflow an int)
  double a = floor(lx), b = floor(hx) + 1, c = floor(ly), d = floor(hy) + 1;
  if (corner) {
    if (a > 0) a = 0;
    if (c > 0) c = 0;
    if (b < 1) b = 1;
    if (d < 1) d = 1;
  }
  a = a < 0 ? 0 : a > fw - 1 ? fw - 1 : a;
  c = c < 0 ? 0 : c > fh - 1 ? fh - 1 : c;
  b = b < 0 ? 0 : b > fw - 1 ? fw - 1 : b;
  d = d < 0 ? 0 : d > fh - 1 ? fh - 1 : d;
  if (!(lx <= hx) && !corner) a = b = 0;  // no x at all
  if (!(ly <= hy) && !corner) c = d = 0;
  rect[0] = (int)a, rect[1] = (int)c, rect[2] = (int)b + 1 - (int)a, rect[3] = (int)d + 1 - (int)c;
}

// ---- ops/distortion.ts elastic: noise, blurred plane, map; for a window of the canvas -------------
// uniformPm1 for 2 planes of w x h (dx then dy): every value drawn (the stream is sequential), only
// rows [y0, y1) of each plane stored.
void op_uniform_pm1_rows(sfc32 *r, double *out, int w, int h, int y0, int y1) {
  size_t n = (size_t)w * h, a = (size_t)y0 * w, b = (size_t)y1 * w;
  for (int plane = 0; plane < 2; plane++) {
    double *o = out + plane * n;
    for (size_t i = 0; i < a; i++) {
      sfc32_u32(r);
      sfc32_u32(r);
    }
    for (size_t i = a; i < b; i++) o[i] = sfc32_next(r) * 2 - 1;
    for (size_t i = b; i < n; i++) {
      sfc32_u32(r);
      sfc32_u32(r);
    }
  }
}

static inline int refl_plane(int i, int n) {
  if (n == 1) return 0;
  if (i < 0) return imin(-i, n - 1);
  if (i >= n) return imax(2 * (n - 1) - i, 0);
  return i;
}

// one row's horizontal pass for columns [x0, x1): s = 0, then + k[t] * p[refl(x + t - r)] for t in
// order (blurPlaneJs); interior columns as k-outer loops over x (the same sum per value).
INLINE void hpass_row(const double *restrict row, double *restrict acc, int w, int x0, int x1, const double *restrict k, int r) {
  int ia = imax(x0, r), ib = imin(x1, w - r);
  for (int x = x0; x < x1; x++) acc[x - x0] = 0;
  if (ia < ib) {
    for (int t = 0; t <= 2 * r; t++) {
      const double kv = k[t];
      const double *restrict p = row + t - r;
      double *restrict s = acc - x0;
      for (int x = ia; x < ib; x++) s[x] = s[x] + kv * p[x];
    }
  } else {
    ia = ib = x0;
  }
  for (int x = x0; x < x1; x++) {
    if (x >= ia && x < ib) continue;
    double s = 0;
    for (int t = -r; t <= r; t++) s += k[t + r] * row[refl_plane(x + t, w)];
    acc[x - x0] = s;
  }
}

// blurPlaneJs for the window [x0, x1) x [y0, y1) of a w x h plane, in place (values outside it are
// not written): tmp rows [ta, tb) of the horizontal pass (cols x0..x1), then the vertical pass.
INLINE void blur_window_body(double *restrict p, int w, int h, const double *restrict k, int r, int x0, int y0, int x1, int y1, double *restrict tmp) {
  int ta = imax(0, y0 - r), tb = imin(h, y1 + r), ww = x1 - x0;
  for (int y = ta; y < tb; y++) hpass_row(p + (size_t)y * w, tmp + (size_t)(y - ta) * ww, w, x0, x1, k, r);
  double *acc = tmp + (size_t)(tb - ta) * ww;
  for (int y = y0; y < y1; y++) {
    for (int x = 0; x < ww; x++) acc[x] = 0;
    for (int t = -r; t <= r; t++) {
      const double kv = k[t + r];
      const double *restrict q = tmp + (size_t)(refl_plane(y + t, h) - ta) * ww;
      for (int x = 0; x < ww; x++) acc[x] = acc[x] + kv * q[x];
    }
    memcpy(p + (size_t)y * w + x0, acc, sizeof(double) * ww);
  }
}
static void blur_window_base(double *p, int w, int h, const double *k, int r, int x0, int y0, int x1, int y1, double *tmp) {
  blur_window_body(p, w, h, k, r, x0, y0, x1, y1, tmp);
}
#if HAVE_AVX2_VARIANT
AVX2 static void blur_window_avx2(double *p, int w, int h, const double *k, int r, int x0, int y0, int x1, int y1, double *tmp) {
  blur_window_body(p, w, h, k, r, x0, y0, x1, y1, tmp);
}
#endif

size_t op_blur_plane_window_tmp(int h, int r, int x0, int y0, int x1, int y1) {
  (void)x0, (void)y0;
  int ta = imax(0, y0 - r), tb = imin(h, y1 + r);
  return ((size_t)(tb - ta) + 1) * (size_t)(x1 - x0);
}

void op_blur_plane_window(double *p, int w, int h, const double *k, int r, int x0, int y0, int x1, int y1, double *tmp) {
  if (x0 < 0 || y0 < 0 || x1 > w || y1 > h || x0 >= x1 || y0 >= y1) return;
#if HAVE_AVX2_VARIANT
  if (use_avx2()) {
    blur_window_avx2(p, w, h, k, r, x0, y0, x1, y1, tmp);
    return;
  }
#endif
  blur_window_base(p, w, h, k, r, x0, y0, x1, y1, tmp);
}

// ---- warp-chain.ts areaReduce ------------------------------------------------------------------------
static inline uint8_t mean_even(uint64_t sum, uint64_t n) {
  uint64_t q = sum / n, r2 = 2 * (sum - q * n);
  return (uint8_t)(r2 > n || (r2 == n && (q & 1)) ? q + 1 : q);
}

// Column sums of each block row (uint32: fy * 255 fits), then block sums; the mean of a whole
// block from a table of every possible sum (the same rounding as mean_even, computed once).
int op_area_reduce(const uint8_t *src, int w, int h, int fx, int fy, uint8_t *out) {
  int rw = (w + fx - 1) / fx, rh = (h + fy - 1) / fy;
  uint64_t full = (uint64_t)fx * fy;
  size_t tlen = full * 255 + 1;
  uint8_t *table = tlen <= (1u << 20) ? malloc(tlen) : NULL;
  uint32_t *col = malloc(sizeof(uint32_t) * (size_t)w * 3);
  if (!col) {
    free(table);
    return -1;
  }
  if (table)
    for (size_t s = 0; s < tlen; s++) table[s] = mean_even(s, full);
  size_t W3 = (size_t)w * 3;
  for (int by = 0; by < rh; by++) {
    int ya = by * fy, yb = imin(h, ya + fy);
    memset(col, 0, sizeof(uint32_t) * W3);
    for (int y = ya; y < yb; y++) {
      const uint8_t *restrict p = src + (size_t)y * W3;
      uint32_t *restrict c = col;
      for (size_t i = 0; i < W3; i++) c[i] += p[i];
    }
    uint8_t *o = out + (size_t)by * rw * 3;
    uint64_t rows = (uint64_t)(yb - ya);
    for (int bx = 0; bx < rw; bx++) {
      int xa = bx * fx, xb = imin(w, xa + fx);
      uint64_t s0 = 0, s1 = 0, s2 = 0;
      for (int x = xa; x < xb; x++) {
        s0 += col[x * 3];
        s1 += col[x * 3 + 1];
        s2 += col[x * 3 + 2];
      }
      uint64_t cnt = rows * (uint64_t)(xb - xa);
      if (table && cnt == full) {
        o[bx * 3] = table[s0], o[bx * 3 + 1] = table[s1], o[bx * 3 + 2] = table[s2];
      } else {
        o[bx * 3] = mean_even(s0, cnt), o[bx * 3 + 1] = mean_even(s1, cnt), o[bx * 3 + 2] = mean_even(s2, cnt);
      }
    }
  }
  free(col);
  free(table);
  return 0;
}
