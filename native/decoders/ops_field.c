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

// coordsRegion's rectangle for one point (finite, |u|, |v| < 1e9): [lx, hx) x [ly, hy)
static inline void point_rect(double u, double v, int sw, int sh, int mode, int pfx, int pfy, long rw, long rh, long *r) {
  long mx = fold_index_js((long)floor(u), sw, mode), my = fold_index_js((long)floor(v), sh, mode);
  double fx = u / pfx - 0.5, fy = v / pfy - 0.5;
  long tx = (long)floor(fx), ty = (long)floor(fy);
  long ax = fold_index_js(tx, rw, mode), bx = fold_index_js(tx + 1, rw, mode);
  long ay = fold_index_js(ty, rh, mode), by = fold_index_js(ty + 1, rh, mode);
  long lx = (ax < bx ? ax : bx) * pfx, hx = ((ax > bx ? ax : bx) + 1) * pfx;
  long ly = (ay < by ? ay : by) * pfy, hy = ((ay > by ? ay : by) + 1) * pfy;
  if (hx > sw) hx = sw;
  if (hy > sh) hy = sh;
  r[0] = mx < lx ? mx : lx, r[1] = my < ly ? my : ly, r[2] = mx + 1 > hx ? mx + 1 : hx, r[3] = my + 1 > hy ? my + 1 : hy;
}

// Points whose taps need no fold (well inside the source) only move the rectangle through their
// extremes: each bound of point_rect is non-decreasing in u (v) there, so their min and max
// coordinates give the same rectangle as every point does. The others go one by one. Blocks of 4
// points all inside take vector minima and maxima (the same extremes: no NaN, no zero among them).
typedef double v4d_r __attribute__((vector_size(32)));
typedef long long v4l_r __attribute__((vector_size(32)));
#define R4(x) ((v4d_r){(x), (x), (x), (x)})
#define RSEL(m, a, b) ((v4d_r)(((m) & (v4l_r)(a)) | (~(m) & (v4l_r)(b))))
INLINE int coords_region_body(const double *restrict coords, size_t n, int sw, int sh, int mode, int pfx, int pfy, int rect[4], const int vec) {
  const long rw = (sw + pfx - 1) / pfx, rh = (sh + pfy - 1) / pfy;
  const double ulo = pfx, uhi = (double)(rw - 2) * pfx, vlo = pfy, vhi = (double)(rh - 2) * pfy;
  double umin = INFINITY, umax = -INFINITY, vmin = INFINITY, vmax = -INFINITY;
  v4d_r vumin = R4(INFINITY), vumax = R4(-INFINITY), vvmin = R4(INFINITY), vvmax = R4(-INFINITY);
  long x0 = 0, y0 = 0, x1 = 0, y1 = 0, r[4];
  int any = 0;
  for (size_t i = 0; i < n * 2; i += 2) {
    if (vec && (i & 7) == 0 && i + 8 <= n * 2) {
      const double *q = coords + i;
      const v4d_r u = {q[0], q[2], q[4], q[6]}, v = {q[1], q[3], q[5], q[7]};
      const v4l_r in = (u >= R4(ulo)) & (u < R4(uhi)) & (v >= R4(vlo)) & (v < R4(vhi));
      if (in[0] & in[1] & in[2] & in[3]) {
        vumin = RSEL(vumin < u, vumin, u), vumax = RSEL(vumax > u, vumax, u);
        vvmin = RSEL(vvmin < v, vvmin, v), vvmax = RSEL(vvmax > v, vvmax, v);
        i += 6;
        continue;
      }
    }
    double u = coords[i], v = coords[i + 1];
    if (u >= ulo && u < uhi && v >= vlo && v < vhi) {
      umin = u < umin ? u : umin, umax = u > umax ? u : umax;
      vmin = v < vmin ? v : vmin, vmax = v > vmax ? v : vmax;
      continue;
    }
    if (u != u) continue;
    // NaN in v alone, infinities, far points: the JS reference decides (Math.min/max's NaN rules)
    if (!(u > -1e9 && u < 1e9 && v > -1e9 && v < 1e9)) return -1;
    point_rect(u, v, sw, sh, mode, pfx, pfy, rw, rh, r);
    if (!any) {
      x0 = r[0], y0 = r[1], x1 = r[2], y1 = r[3], any = 1;
      continue;
    }
    if (r[0] < x0) x0 = r[0];
    if (r[1] < y0) y0 = r[1];
    if (r[2] > x1) x1 = r[2];
    if (r[3] > y1) y1 = r[3];
  }
  for (int l = 0; l < 4; l++) {
    umin = vumin[l] < umin ? vumin[l] : umin, umax = vumax[l] > umax ? vumax[l] : umax;
    vmin = vvmin[l] < vmin ? vvmin[l] : vmin, vmax = vvmax[l] > vmax ? vvmax[l] : vmax;
  }
  if (umin <= umax) {
    long a[4], b[4];
    point_rect(umin, vmin, sw, sh, mode, pfx, pfy, rw, rh, a);
    point_rect(umax, vmax, sw, sh, mode, pfx, pfy, rw, rh, b);
    if (!any) x0 = a[0], y0 = a[1], x1 = b[2], y1 = b[3], any = 1;
    if (a[0] < x0) x0 = a[0];
    if (a[1] < y0) y0 = a[1];
    if (b[2] > x1) x1 = b[2];
    if (b[3] > y1) y1 = b[3];
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
static int coords_region_base(const double *coords, size_t n, int sw, int sh, int mode, int pfx, int pfy, int rect[4]) { return coords_region_body(coords, n, sw, sh, mode, pfx, pfy, rect, 0); }
#if HAVE_AVX2_VARIANT
AVX2 static int coords_region_avx2(const double *coords, size_t n, int sw, int sh, int mode, int pfx, int pfy, int rect[4]) { return coords_region_body(coords, n, sw, sh, mode, pfx, pfy, rect, 1); }
#endif
int op_coords_region(const double *coords, size_t n, int sw, int sh, int mode, int pfx, int pfy, int rect[4]) {
#if HAVE_AVX2_VARIANT
  if (ops_avx2()) return coords_region_avx2(coords, n, sw, sh, mode, pfx, pfy, rect);
#endif
  return coords_region_base(coords, n, sw, sh, mode, pfx, pfy, rect);
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
// (sfc32_u32 and sfc32_next of ops.c, inlined: the state in registers; / 2^53 is * 2^-53 exactly)
#define SFC32_STEP(a, b, c, d, t)  \
  do {                             \
    t = a + b;                     \
    a = b ^ (b >> 9);              \
    b = c + (c << 3);              \
    c = (c << 21) | (c >> 11);     \
    d = d + 1;                     \
    t = t + d;                     \
    c = c + t;                     \
  } while (0)
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

// blurPlaneJs's values in the window [x0, x1) x [y0, y1) of a w x h plane whose rows from `row0`
// on are at p (at least rows [y0 - r, y1 + r) within the plane): the horizontal pass for the rows
// the vertical one reads (columns x0..x1, into tmp), then the vertical pass into dst (rows of
// `stride` doubles, the window's first pixel at dst).
// (p's rows are `pstride` doubles apart and start at column col0: every column a row's pass reads)
INLINE void blur_window_body(const double *restrict p, int row0, size_t pstride, int col0, int w, int h, const double *restrict k, int r, int x0, int y0, int x1, int y1,
                             double *restrict tmp, double *restrict dst, size_t stride) {
  int ta = imax(0, y0 - r), tb = imin(h, y1 + r), ww = x1 - x0;
  for (int y = ta; y < tb; y++) hpass_row(p + (size_t)(y - row0) * pstride - col0, tmp + (size_t)(y - ta) * ww, w, x0, x1, k, r);
  for (int y = y0; y < y1; y++) {
    double *restrict acc = dst + (size_t)(y - y0) * stride;
    for (int x = 0; x < ww; x++) acc[x] = 0;
    for (int t = -r; t <= r; t++) {
      const double kv = k[t + r];
      const double *restrict q = tmp + (size_t)(refl_plane(y + t, h) - ta) * ww;
      for (int x = 0; x < ww; x++) acc[x] = acc[x] + kv * q[x];
    }
  }
}
#define BLUR_ARGS const double *p, int row0, size_t pstride, int col0, int w, int h, const double *k, int r, int x0, int y0, int x1, int y1, double *tmp, double *dst, size_t stride
#define BLUR_PASS p, row0, pstride, col0, w, h, k, r, x0, y0, x1, y1, tmp, dst, stride
static void blur_window_base(BLUR_ARGS) { blur_window_body(BLUR_PASS); }
#if HAVE_AVX2_VARIANT
AVX2 static void blur_window_avx2(BLUR_ARGS) { blur_window_body(BLUR_PASS); }
#endif
static void blur_window(BLUR_ARGS) {
#if HAVE_AVX2_VARIANT
  if (ops_avx2()) {
    blur_window_avx2(BLUR_PASS);
    return;
  }
#endif
  blur_window_base(BLUR_PASS);
}

static void elastic_map_window(const double *dx, const double *dy, double alpha, const double inv[6], int w, int x0, int y0, int x1, int y1, double *map);

// distortion.ts elasticMap for a window: the noise of both planes (rows the blur reads), each
// blurred in the window, then the map's values there (map: w x h x 2, only the window written).
int op_elastic_window(sfc32 *state, int w, int h, const double *k, int r, double alpha, const double inv[6], int x0, int y0, int x1, int y1, double *map) {
  if (x0 < 0 || y0 < 0 || x1 > w || y1 > h || x0 >= x1 || y0 >= y1) return 0;
  int ya = imax(0, y0 - r), yb = imin(h, y1 + r), ww = x1 - x0, wh = y1 - y0;
  size_t rows = (size_t)(yb - ya) * w, win = (size_t)ww * wh;
  double *noise = malloc(sizeof(double) * rows * 2), *tmp = malloc(sizeof(double) * (size_t)(yb - ya) * ww), *d = malloc(sizeof(double) * win * 2);
  if (!noise || !tmp || !d) {
    free(noise), free(tmp), free(d);
    return -1;
  }
  // uniformPm1 over both planes; rows [ya, yb) of each kept
  size_t n = (size_t)w * h, lo = (size_t)ya * w, hi = (size_t)yb * w;
  uint32_t a = state->a, b = state->b, c = state->c, dd = state->d, t, u;
  for (int plane = 0; plane < 2; plane++) {
    double *o = noise + plane * rows;
    for (size_t i = 0; i < lo; i++) {
      SFC32_STEP(a, b, c, dd, t);
      SFC32_STEP(a, b, c, dd, t);
    }
    for (size_t i = lo; i < hi; i++) {
      SFC32_STEP(a, b, c, dd, t);
      u = t;
      SFC32_STEP(a, b, c, dd, t);
      o[i - lo] = ((double)(u >> 5) * 67108864.0 + (double)(t >> 6)) * (1.0 / 9007199254740992.0) * 2 - 1;
    }
    if (plane == 0)
      for (size_t i = hi; i < n; i++) {
        SFC32_STEP(a, b, c, dd, t);
        SFC32_STEP(a, b, c, dd, t);
      }
  }
  blur_window(noise, ya, (size_t)w, 0, w, h, k, r, x0, y0, x1, y1, tmp, d, (size_t)ww);
  blur_window(noise + rows, ya, (size_t)w, 0, w, h, k, r, x0, y0, x1, y1, tmp, d + win, (size_t)ww);
  elastic_map_window(d, d + win, alpha, inv, w, x0, y0, x1, y1, map);
  free(noise), free(tmp), free(d);
  return 0;
}

// the map's values in the window from the blurred planes (window-sized, row by row)
static void elastic_map_window(const double *dx, const double *dy, double alpha, const double inv[6], int w, int x0, int y0, int x1, int y1, double *map) {
  int ww = x1 - x0;
  for (int y = y0; y < y1; y++) {
    double *m = map + ((size_t)y * w + x0) * 2;
    const double *px = dx + (size_t)(y - y0) * ww, *py = dy + (size_t)(y - y0) * ww;
    for (int x = 0; x < ww; x++) {
      double qx = (x0 + x) + alpha * px[x], qy = y + alpha * py[x];
      m[2 * x] = inv[0] * qx + inv[1] * qy + inv[2] + 0.5;
      m[2 * x + 1] = inv[3] * qx + inv[4] * qy + inv[5] + 0.5;
    }
  }
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

// ---- warp-chain.ts sampleRgb, 4 points at a time --------------------------------------------------------
// A block whose 4 points all read four taps inside the source and the region (no fold, no clamp)
// is computed lane-wise: the same operations per value as op_sample_rgb (ops.c), in the same order,
// Math.round as floor + (x - floor >= 0.5) with op_sample_rgb's saturation outside [0, 256). Any
// other block, and the tail, goes through op_sample_rgb.
typedef double v4d __attribute__((vector_size(32)));
typedef long long v4l __attribute__((vector_size(32)));
typedef int v4i __attribute__((vector_size(16)));
// (a macro: 32-byte vectors passed to a function would change the ABI without AVX)
#define vseld(m, a, b) ((v4d)(((m) & (v4l)(a)) | (~(m) & (v4l)(b))))
INLINE void sample_rgb_body(const double *restrict coords, size_t n, const view *src, int mode, int pfx, int pfy, uint8_t *restrict out) {
  const uint8_t *data = src->data;
  const int left = src->left, top = src->top, rw = src->width, rh = src->height;
  const double limx = src->source_width - 1, limy = src->source_height - 1;
  const size_t row = (size_t)rw * 3;
  const v4d one = {1, 1, 1, 1}, half = {0.5, 0.5, 0.5, 0.5}, zero = {0, 0, 0, 0}, top8 = {255, 255, 255, 255}, lim = {256, 256, 256, 256};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const double *q = coords + 2 * i;
    double fx[4], fy[4];
    int tx[4], ty[4], ok = 1;
    for (int l = 0; l < 4; l++) {
      fx[l] = (pfx == 1 ? q[2 * l] : q[2 * l] / pfx) - 0.5;
      fy[l] = (pfy == 1 ? q[2 * l + 1] : q[2 * l + 1] / pfy) - 0.5;
      ok &= (fx[l] >= 0) & (fy[l] >= 0) & (fx[l] < limx) & (fy[l] < limy);  // NaN: not ok
    }
    if (ok) {
      for (int l = 0; l < 4; l++) {
        tx[l] = (int)fx[l];
        ty[l] = (int)fy[l];
        ok &= (tx[l] - left >= 0) & (ty[l] - top >= 0) & (tx[l] - left + 1 < rw) & (ty[l] - top + 1 < rh);
      }
    }
    if (!ok) {
      op_sample_rgb(q, 4, src, mode, pfx, pfy, out + 3 * i);
      continue;
    }
    v4d vfx = {fx[0], fx[1], fx[2], fx[3]}, vfy = {fy[0], fy[1], fy[2], fy[3]};
    v4d wx = vfx - (v4d){tx[0], tx[1], tx[2], tx[3]}, wy = vfy - (v4d){ty[0], ty[1], ty[2], ty[3]};
    v4d w00 = (one - wx) * (one - wy), w01 = wx * (one - wy), w10 = (one - wx) * wy, w11 = wx * wy;
    const uint8_t *p[4];
    for (int l = 0; l < 4; l++) p[l] = data + (size_t)(ty[l] - top) * row + (size_t)(tx[l] - left) * 3;
    for (int ch = 0; ch < 3; ch++) {
      v4d A = {p[0][ch], p[1][ch], p[2][ch], p[3][ch]}, B = {p[0][3 + ch], p[1][3 + ch], p[2][3 + ch], p[3][3 + ch]};
      v4d C = {p[0][row + ch], p[1][row + ch], p[2][row + ch], p[3][row + ch]}, D = {p[0][row + 3 + ch], p[1][row + 3 + ch], p[2][row + 3 + ch], p[3][row + 3 + ch]};
      v4d sum = w00 * A + w01 * B + w10 * C + w11 * D;
      // round_u8: outside [0, 256) saturated, then floor + (x - floor >= 0.5)
      sum = vseld((sum >= zero) & (sum < lim), sum, vseld(sum > zero, top8, zero));
      v4i t = __builtin_convertvector(sum, v4i);
      v4l up = (sum - __builtin_convertvector(t, v4d)) >= half;
      v4i r = t - __builtin_convertvector(up, v4i);
      for (int l = 0; l < 4; l++) out[3 * (i + l) + ch] = (uint8_t)r[l];
    }
  }
  if (i < n) op_sample_rgb(coords + 2 * i, n - i, src, mode, pfx, pfy, out + 3 * i);
}
static void sample_rgb_base(const double *coords, size_t n, const view *src, int mode, int pfx, int pfy, uint8_t *out) {
  sample_rgb_body(coords, n, src, mode, pfx, pfy, out);
}
#if HAVE_AVX2_VARIANT
AVX2 static void sample_rgb_avx2(const double *coords, size_t n, const view *src, int mode, int pfx, int pfy, uint8_t *out) {
  sample_rgb_body(coords, n, src, mode, pfx, pfy, out);
}
#endif
void op_sample_rgb_blocks(const double *coords, size_t n, const view *src, int mode, int pfx, int pfy, uint8_t *out) {
#if HAVE_AVX2_VARIANT
  if (ops_avx2()) {
    sample_rgb_avx2(coords, n, src, mode, pfx, pfy, out);
    return;
  }
#endif
  sample_rgb_base(coords, n, src, mode, pfx, pfy, out);
}

// ==== kernels 3: the chain's new definitions (plans recorded with kernels >= 3) =======================
// Integer weights and counter-based noise, so the JS references (warp-chain.ts sampleRgbQJs,
// distortion.ts elasticMapQJs) compute the same bytes: the float64 values that remain (a point's
// fraction, the blur) are computed by the same operations in the same order.

// an index from a double, safe for any value (NaN and far points clamp before the conversion)
static inline long idx_of_q(double v) { return v != v ? 0 : v < -1e9 ? -1000000000 : v > 1e9 ? 1000000000 : (long)v; }


// warp-chain.ts sampleRgbQJs: bilinear at the chain's points with the taps of op_sample_rgb and
// integer weights: each fraction in 1/32 (floor(f * 32 + 0.5)), products summing to 1024, the sum
// rounded by a shift. Taps outside the region are clamped into it (the JS reference never reads
// there: coordsRegion covers every tap).
static inline int frac32(double f) { return (int)(f * 32 + 0.5); }  // f in [0, 1): floor of a non-negative value
INLINE void sample_rgb_q_body(const double *restrict coords, size_t n, const view *src, int mode, int pfx, int pfy, uint8_t *restrict out) {
  const uint8_t *data = src->data;
  const int left = src->left, top = src->top, rw = src->width, rh = src->height, sw = src->source_width, sh = src->source_height;
  const double limx = sw - 1, limy = sh - 1;
  const size_t row = (size_t)rw * 3;
  for (size_t i = 0; i < n; i++) {
    double u = coords[2 * i], v = coords[2 * i + 1];
    uint8_t *o = out + 3 * i;
    if (u != u) {
      o[0] = o[1] = o[2] = 0;
      continue;
    }
    double fx = (pfx == 1 ? u : u / pfx) - 0.5, fy = (pfy == 1 ? v : v / pfy) - 0.5;
    size_t p00, p01, p10, p11;
    int ax, ay;
    int tx, ty, x0 = -1, y0 = -1;
    if (fx >= 0 && fy >= 0 && fx < limx && fy < limy) {
      tx = (int)fx, ty = (int)fy, x0 = tx - left, y0 = ty - top;
      ax = frac32(fx - tx), ay = frac32(fy - ty);
    }
    if (x0 >= 0 && y0 >= 0 && x0 + 1 < rw && y0 + 1 < rh) {
      p00 = (size_t)y0 * row + (size_t)x0 * 3, p01 = p00 + 3, p10 = p00 + row, p11 = p10 + 3;
    } else {
      double dtx = floor(fx), dty = floor(fy);
      const double dx = fx - dtx, dy = fy - dty;
      if (dx != dx || dy != dy) {  // a NaN or infinite coordinate: NaN weights, which the JS shift makes 0
        o[0] = o[1] = o[2] = 0;
        continue;
      }
      ax = frac32(dx), ay = frac32(dy);
      long ix = idx_of_q(dtx), iy = idx_of_q(dty);
      int a0 = fold_index_js(ix, sw, mode) - left, a1 = fold_index_js(ix + 1, sw, mode) - left;
      int b0 = fold_index_js(iy, sh, mode) - top, b1 = fold_index_js(iy + 1, sh, mode) - top;
      a0 = imin(imax(a0, 0), rw - 1), a1 = imin(imax(a1, 0), rw - 1);
      b0 = imin(imax(b0, 0), rh - 1), b1 = imin(imax(b1, 0), rh - 1);
      p00 = (size_t)b0 * row + (size_t)a0 * 3, p01 = (size_t)b0 * row + (size_t)a1 * 3;
      p10 = (size_t)b1 * row + (size_t)a0 * 3, p11 = (size_t)b1 * row + (size_t)a1 * 3;
    }
    const int w00 = (32 - ax) * (32 - ay), w01 = ax * (32 - ay), w10 = (32 - ax) * ay, w11 = ax * ay;
    for (int ch = 0; ch < 3; ch++) o[ch] = (uint8_t)((w00 * data[p00 + ch] + w01 * data[p01 + ch] + w10 * data[p10 + ch] + w11 * data[p11 + ch] + 512) >> 10);
  }
}
static void sample_rgb_q_base(const double *coords, size_t n, const view *src, int mode, int pfx, int pfy, uint8_t *out) { sample_rgb_q_body(coords, n, src, mode, pfx, pfy, out); }
#if HAVE_AVX2_VARIANT
#include <immintrin.h>
#include "ops_bilinear4.h"
// 4 points' fractions in 1/32 and taps (x - left, y - top), and whether each needs no fold or clamp
// (u / pf: the scalar body's division, or u itself when pf is 1, which u / 1 is exactly)
AVX2 static inline __m128i q_half(const double *q, int pf1, __m256d pfx, __m256d pfy, __m256d limx, __m256d limy, __m128i left, __m128i top, __m128i *ax, __m128i *ay, __m128i *x0,
                                  __m128i *y0) {
  const __m256d half = _mm256_set1_pd(0.5), k32 = _mm256_set1_pd(32), zero = _mm256_setzero_pd();
  __m256d a = _mm256_loadu_pd(q), b = _mm256_loadu_pd(q + 4);  // u0 v0 u1 v1 | u2 v2 u3 v3
  __m256d u = _mm256_permute4x64_pd(_mm256_unpacklo_pd(a, b), 0xD8), v = _mm256_permute4x64_pd(_mm256_unpackhi_pd(a, b), 0xD8);
  if (pf1 == 0) u = _mm256_div_pd(u, pfx), v = _mm256_div_pd(v, pfy);  // (u / 1 is u exactly)
  __m256d fx = _mm256_sub_pd(u, half), fy = _mm256_sub_pd(v, half);
  __m256d ok = _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(fx, zero, _CMP_GE_OQ), _mm256_cmp_pd(fy, zero, _CMP_GE_OQ)),
                             _mm256_and_pd(_mm256_cmp_pd(fx, limx, _CMP_LT_OQ), _mm256_cmp_pd(fy, limy, _CMP_LT_OQ)));
  __m256d tx = _mm256_floor_pd(fx), ty = _mm256_floor_pd(fy);
  tx = _mm256_and_pd(tx, ok), ty = _mm256_and_pd(ty, ok);  // (not-ok lanes: 0, never converted out of range)
  *ax = _mm256_cvttpd_epi32(_mm256_and_pd(_mm256_add_pd(_mm256_mul_pd(_mm256_sub_pd(fx, tx), k32), half), ok));
  *ay = _mm256_cvttpd_epi32(_mm256_and_pd(_mm256_add_pd(_mm256_mul_pd(_mm256_sub_pd(fy, ty), k32), half), ok));
  *x0 = _mm_sub_epi32(_mm256_cvttpd_epi32(tx), left);
  *y0 = _mm_sub_epi32(_mm256_cvttpd_epi32(ty), top);
  __m128 okf = _mm256_cvtpd_ps(ok);  // all-ones lanes (NaN) stay NaN: narrowed to 32 bits
  return _mm_castps_si128(_mm_cmpunord_ps(okf, okf));
}

// Blocks of 4 points that need no fold or clamp (and whose 8-byte row reads stay in the view), by
// ops_bilinear4.h's bq4 (the separable form of the same integers, as ops_geom.c's warp). Other
// blocks and the tail go through the scalar body.
AVX2 static void sample_rgb_q_avx2(const double *coords, size_t n, const view *src, int mode, int pfx, int pfy, uint8_t *out) {
  const int rw = src->width, rh = src->height;
  const int64_t row = (int64_t)rw * 3, lim = (int64_t)src->len - row - 8;  // the largest offset whose two 8-byte loads stay inside
  if ((uint64_t)rw * rh * 3 + 8 > 2147483647u || lim < 0) {
    sample_rgb_q_body(coords, n, src, mode, pfx, pfy, out);
    return;
  }
  const uint8_t *d = src->data;
  const __m256d limx = _mm256_set1_pd(src->source_width - 1), limy = _mm256_set1_pd(src->source_height - 1), vpx = _mm256_set1_pd(pfx), vpy = _mm256_set1_pd(pfy);
  const __m128i left = _mm_set1_epi32(src->left), top = _mm_set1_epi32(src->top), vrow = _mm_set1_epi32((int)row), three = _mm_set1_epi32(3), zero = _mm_setzero_si128();
  const __m128i rw1 = _mm_set1_epi32(rw - 1), rh1 = _mm_set1_epi32(rh - 1), vlim = _mm_set1_epi32((int)(lim > 2147483647 ? 2147483647 : lim)), k32 = _mm_set1_epi32(32);
  const __m256i wxs = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, -1, -1, 2, 3, 2, 3, 2, 3, -1, -1, 4, 5, 4, 5, 4, 5, -1, -1, 6, 7, 6, 7, 6, 7, -1, -1);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m128i ax, ay, x0, y0;
    const __m128i ok = q_half(coords + 2 * i, pfx == 1 && pfy == 1, vpx, vpy, limx, limy, left, top, &ax, &ay, &x0, &y0);
    // 0 <= x0, y0; x0 + 1 < rw, y0 + 1 < rh; both rows' 8 bytes inside the view
    const __m128i o00 = _mm_add_epi32(_mm_mullo_epi32(y0, vrow), _mm_mullo_epi32(x0, three));
    __m128i in = _mm_andnot_si128(_mm_or_si128(_mm_cmplt_epi32(x0, zero), _mm_cmplt_epi32(y0, zero)), ok);
    in = _mm_andnot_si128(_mm_or_si128(_mm_cmpgt_epi32(x0, _mm_sub_epi32(rw1, _mm_set1_epi32(1))), _mm_cmpgt_epi32(y0, _mm_sub_epi32(rh1, _mm_set1_epi32(1)))), in);
    in = _mm_andnot_si128(_mm_cmpgt_epi32(o00, vlim), in);
    if (_mm_movemask_epi8(in) != 0xffff) {
      sample_rgb_q_body(coords + 2 * i, 4, src, mode, pfx, pfy, out + 3 * i);
      continue;
    }
    int32_t o32[4];
    _mm_storeu_si128((__m128i *)o32, o00);
    const size_t o[4] = {(size_t)o32[0], (size_t)o32[1], (size_t)o32[2], (size_t)o32[3]};
    const __m128i wx4 = _mm_or_si128(_mm_sub_epi32(k32, ax), _mm_slli_epi32(ax, 8)), wy4 = _mm_or_si128(_mm_sub_epi32(k32, ay), _mm_slli_epi32(ay, 16));
    const __m256i wx = _mm256_shuffle_epi8(_mm256_broadcastq_epi64(_mm_packs_epi32(wx4, wx4)), wxs);
    const __m256i v = bq4(d, (size_t)row, o, wx, wy4);
    uint8_t *q = out + 3 * i;
    if (i + 4 < n) {  // (the 2 bytes past the 12th are the next point's, written after)
      bq4_store(q, v);
    } else {
      uint8_t t[16];
      bq4_store(t, v);
      memcpy(q, t, 12);
    }
  }
  if (i < n) sample_rgb_q_body(coords + 2 * i, n - i, src, mode, pfx, pfy, out + 3 * i);
}
#endif
void op_sample_rgb_q(const double *coords, size_t n, const view *src, int mode, int pfx, int pfy, uint8_t *out) {
#if HAVE_AVX2_VARIANT
  if (ops_avx2()) {
    sample_rgb_q_avx2(coords, n, src, mode, pfx, pfy, out);
    return;
  }
#endif
  sample_rgb_q_base(coords, n, src, mode, pfx, pfy, out);
}

// distortion.ts elasticMapQJs for a window: the noise of each plane is hash32(key, y * w + x) *
// 2^-31 - 1, drawn only where the blur reads ([x0 - r, x1 + r) x [y0 - r, y1 + r), within the
// canvas), then blurred and mapped as op_elastic_window.
int op_elastic_window_q(uint32_t kx, uint32_t ky, int w, int h, const double *k, int r, double alpha, const double inv[6], int x0, int y0, int x1, int y1, double *map) {
  if (x0 < 0 || y0 < 0 || x1 > w || y1 > h || x0 >= x1 || y0 >= y1) return 0;
  int ya = imax(0, y0 - r), yb = imin(h, y1 + r), xa = imax(0, x0 - r), xb = imin(w, x1 + r);
  int ww = x1 - x0, wh = y1 - y0, nw = xb - xa;
  size_t rows = (size_t)(yb - ya) * nw, win = (size_t)ww * wh;
  double *noise = malloc(sizeof(double) * rows * 2), *tmp = malloc(sizeof(double) * (size_t)(yb - ya) * ww), *d = malloc(sizeof(double) * win * 2);
  if (!noise || !tmp || !d) {
    free(noise), free(tmp), free(d);
    return -1;
  }
  for (int plane = 0; plane < 2; plane++) {
    const uint32_t key = plane ? ky : kx;
    double *o = noise + plane * rows;
    for (int y = ya; y < yb; y++) {
      double *restrict q = o + (size_t)(y - ya) * nw;
      const uint32_t base = (uint32_t)((size_t)y * w + xa);
      for (int x = 0; x < nw; x++) q[x] = (double)ops_hash32(key, base + (uint32_t)x) * (1.0 / 2147483648.0) - 1.0;
    }
  }
  blur_window(noise, ya, (size_t)nw, xa, w, h, k, r, x0, y0, x1, y1, tmp, d, (size_t)ww);
  blur_window(noise + rows, ya, (size_t)nw, xa, w, h, k, r, x0, y0, x1, y1, tmp, d + win, (size_t)ww);
  elastic_map_window(d, d + win, alpha, inv, w, x0, y0, x1, y1, map);
  free(noise), free(tmp), free(d);
  return 0;
}

// ---- distortion.ts grid, optical and perspective fields in a window (every kernel generation) -------
// The JS fills' float64 operations in the same order (no fused multiply-add), so the same values.
// kind 0 grid: p = xx (w values), yy (h values); 1 optical: p = k, cx, cy, ncx, ncy; 2 perspective:
// p = the 3x3 homography (row-major).
void op_field_window(int kind, const double *p, int w, int h, int x0, int y0, int x1, int y1, double *map) {
  for (int y = y0; y < y1; y++) {
    double *restrict m = map + ((size_t)y * w + x0) * 2;
    if (kind == 0) {
      const double yv = p[w + y] + 0.5;
      for (int x = x0; x < x1; x++, m += 2) m[0] = p[x] + 0.5, m[1] = yv;
    } else if (kind == 1) {
      const double k = p[0], cx = p[1], cy = p[2], ncx = p[3], ncy = p[4];
      const double yy = (y - ncy) / h;
      for (int u = x0; u < x1; u++, m += 2) {
        double xx = (u - ncx) / w;
        double r2 = xx * xx + yy * yy;
        double kr = 1 + k * r2 + k * r2 * r2;
        m[0] = w * xx * kr + cx + 0.5;
        m[1] = h * yy * kr + cy + 0.5;
      }
    } else {
      const double yc = y + 0.5;
      for (int x = x0; x < x1; x++, m += 2) {
        double xc = x + 0.5;
        double z = p[6] * xc + p[7] * yc + p[8];
        m[0] = (p[0] * xc + p[1] * yc + p[2]) / z;
        m[1] = (p[3] * xc + p[4] * yc + p[5]) / z;
      }
    }
  }
}

// ---- warp-chain.ts, kernels 3: a chain of axis-aligned affines (scales, crops, pads, flips) -----------
// Each output column's taps and fraction depend on its x alone, each row's on its y alone, so the
// per-point definition (sampleRgbQJs) is computed from tables: cols = [x0, x1, ax] per column (x0 < 0:
// the fill), rows = [y0, y1, ay] per row, as region pixels.
// Separably: each source row a row of output reads is passed horizontally once (bx * a + ax * b per
// column and channel, at most 32 * 255), then each output row is (by * h0 + ay * h1 + 512) >> 10 over
// its two rows' passes: by (bx p00 + ax p01) + ay (bx p10 + ax p11) is the per-point sum exactly (a
// fill column's passes are 0, so its pixels are (0 + 512) >> 10 = 0). -1: out of memory.
static void axes_hpass(const uint8_t *restrict r, const int32_t *restrict cols, int W, uint16_t *restrict h) {
  for (int x = 0; x < W; x++) {
    const int x0 = cols[3 * x], ax = cols[3 * x + 2], bx = 32 - ax;
    uint16_t *o = h + 3 * x;
    if (x0 < 0) {
      o[0] = o[1] = o[2] = 0;
      continue;
    }
    const uint8_t *a = r + (size_t)x0 * 3, *b = r + (size_t)cols[3 * x + 1] * 3;
    o[0] = (uint16_t)(bx * a[0] + ax * b[0]), o[1] = (uint16_t)(bx * a[1] + ax * b[1]), o[2] = (uint16_t)(bx * a[2] + ax * b[2]);
  }
}
INLINE void axes_vpass(const uint16_t *restrict h0, const uint16_t *restrict h1, int ay, size_t n, uint8_t *restrict o) {
  const int by = 32 - ay;
  for (size_t i = 0; i < n; i++) o[i] = (uint8_t)((by * h0[i] + ay * h1[i] + 512) >> 10);
}
static void axes_vpass_base(const uint16_t *h0, const uint16_t *h1, int ay, size_t n, uint8_t *o) { axes_vpass(h0, h1, ay, n, o); }
#if HAVE_AVX2_VARIANT
AVX2 static void axes_vpass_avx2(const uint16_t *h0, const uint16_t *h1, int ay, size_t n, uint8_t *o) { axes_vpass(h0, h1, ay, n, o); }
#endif
int op_sample_axes_q(const view *src, const int32_t *cols, int W, const int32_t *rows, int H, uint8_t *out) {
  const uint8_t *data = src->data;
  const size_t row = (size_t)src->width * 3, n = (size_t)W * 3;
  uint16_t *buf = malloc(sizeof(uint16_t) * n * 2);
  if (!buf) return -1;
  uint16_t *slot[2] = {buf, buf + n};
  int held[2] = {-1, -1};
  const int avx2 = ops_avx2();
  for (int y = 0; y < H; y++) {
    uint8_t *o = out + (size_t)y * n;
    const int y0 = rows[3 * y], y1 = rows[3 * y + 1], ay = rows[3 * y + 2];
    if (y0 < 0) {
      memset(o, 0, n);
      continue;
    }
    // the two source rows' passes (kept while consecutive output rows read them)
    int s0 = held[0] == y0 ? 0 : held[1] == y0 ? 1 : -1;
    if (s0 < 0) {
      s0 = held[0] == y1 ? 1 : 0;
      axes_hpass(data + (size_t)y0 * row, cols, W, slot[s0]);
      held[s0] = y0;
    }
    int s1 = held[s0] == y1 ? s0 : held[1 - s0] == y1 ? 1 - s0 : -1;
    if (s1 < 0) {
      s1 = 1 - s0;
      axes_hpass(data + (size_t)y1 * row, cols, W, slot[s1]);
      held[s1] = y1;
    }
#if HAVE_AVX2_VARIANT
    if (avx2) {
      axes_vpass_avx2(slot[s0], slot[s1], ay, n, o);
      continue;
    }
#endif
    (void)avx2;
    axes_vpass_base(slot[s0], slot[s1], ay, n, o);
  }
  free(buf);
  return 0;
}

// the mask's nearest pixels from tables: mx per column, my per row (region pixels; < 0: fill). A fill
// row is set at once; 8-bit rows go 16 columns a byte shuffle where their columns allow (ops_nn_row8:
// rrc8's blocks, AVX2), other rows gather per column (no fill test when no column is fill)
void op_labels_axes(const view *src, int depth, const int32_t *mx, int W, const int32_t *my, int H, int fill, void *out) {
  const size_t rw = (size_t)src->width;
  int inside = 1;
  for (int x = 0; x < W; x++) inside &= mx[x] >= 0;
  uint8_t *idx = NULL;
  int32_t *blk = depth == 8 ? ops_nn_blocks8(mx, W, (int)rw, &idx) : NULL;  // (NULL, out of memory too: per column)
  for (int y = 0; y < H; y++) {
    const int r = my[y];
    if (depth == 16) {
      const uint16_t *restrict s = (const uint16_t *)src->data + (size_t)(r < 0 ? 0 : r) * rw;
      uint16_t *restrict o = (uint16_t *)out + (size_t)y * W;
      if (r < 0)
        for (int x = 0; x < W; x++) o[x] = (uint16_t)fill;
      else if (inside)
        for (int x = 0; x < W; x++) o[x] = s[mx[x]];
      else
        for (int x = 0; x < W; x++) o[x] = (uint16_t)(mx[x] < 0 ? fill : s[mx[x]]);
    } else {
      const uint8_t *restrict s = (const uint8_t *)src->data + (size_t)(r < 0 ? 0 : r) * rw;
      uint8_t *restrict o = (uint8_t *)out + (size_t)y * W;
      if (r < 0)
        memset(o, (uint8_t)fill, (size_t)W);
      else if (blk)
        ops_nn_row8(s, mx, blk, idx, 0, W, (uint8_t)fill, o);
      else if (inside)
        for (int x = 0; x < W; x++) o[x] = s[mx[x]];
      else
        for (int x = 0; x < W; x++) o[x] = (uint8_t)(mx[x] < 0 ? fill : s[mx[x]]);
    }
  }
  free(blk);
  free(idx);
}

// ---- warp-chain.ts, kernels 3: a prefiltered axis-aligned chain (sampleAreaAxesJs) ---------------------
// out = sum(yw * xw * p) / 2^shift rounded to nearest, ties to even (even) or up (sampleRgbQJs's
// + 512 >> 10: the axis tables of a chain that is not prefiltered go through here too), from kx taps per output column (xi: region
// columns, xw: weights) and ky per row; the glue checks each column's and row's weights sum to at
// most 2^12 and shift <= 24, so every sum is below 255 * 2^24 + 2^23 < 2^32: exact, in any order.
// Rows first: each output row's ky source rows combined over the columns the taps read (contiguous,
// vectorised), then each column's taps over that row. -1: out of memory.
static void area_vrow(const uint8_t *data, size_t row, const int32_t *ri, const int32_t *rw, int ky, size_t c0, size_t span, uint32_t *restrict v) {
  memset(v, 0, sizeof(uint32_t) * span);
  for (int k = 0; k < ky; k++) {
    const uint32_t w = (uint32_t)rw[k];
    if (!w) continue;
    const uint8_t *restrict b = data + (size_t)ri[k] * row + c0;
    for (size_t i = 0; i < span; i++) v[i] += w * b[i];
  }
}
// (a value above 255, which weights summing to at most 2^shift never give, saturates as the vectors' packs do)
// (even: ties to even; else ties up, (s + 2^(shift-1)) >> shift)
static inline uint8_t area_round(uint32_t s, int shift, uint32_t h1, int even) {
  const uint32_t q = (s + h1 + (even ? (s >> shift) & 1 : 1)) >> shift;
  return (uint8_t)(q > 255 ? 255 : q);
}
// one output pixel from its taps (v holds one spare value after the span: never read here)
static void area_hrow(const uint32_t *restrict v, const int32_t *restrict off, const int32_t *restrict xw, int W, int kx, int shift, int even, uint8_t *restrict o) {
  const uint32_t h1 = (1u << (shift - 1)) - 1;
  for (int x = 0; x < W; x++, o += 3) {
    uint32_t s0 = 0, s1 = 0, s2 = 0;
    for (int k = 0; k < kx; k++) {
      const uint32_t *a = v + off[x * kx + k], w = (uint32_t)xw[x * kx + k];
      s0 += w * a[0], s1 += w * a[1], s2 += w * a[2];
    }
    o[0] = area_round(s0, shift, h1, even), o[1] = area_round(s1, shift, h1, even), o[2] = area_round(s2, shift, h1, even);
  }
}
#if HAVE_AVX2_VARIANT
// the same sums: rows two at a time as 16-bit pairs (bytes and weights <= 4096 fit; madd adds each
// pair in 32 bits), then each pixel's taps on its 4 values (R, G, B and the next, ignored) at once
AVX2 static void area_vrow_avx2(const uint8_t *data, size_t row, const int32_t *ri, const int32_t *rw, int ky, size_t c0, size_t span, uint32_t *restrict v) {
  memset(v, 0, sizeof(uint32_t) * span);
  for (int k = 0; k < ky; k += 2) {
    const int k1 = k + 1 < ky ? k + 1 : k;
    const int w0 = rw[k], w1 = k + 1 < ky ? rw[k + 1] : 0;
    if (!w0 && !w1) continue;
    const uint8_t *a = data + (size_t)ri[k] * row + c0, *b = data + (size_t)ri[k1] * row + c0;
    const __m256i w = _mm256_set1_epi32((int)((uint32_t)w0 | (uint32_t)w1 << 16));
    size_t i = 0;
    for (; i + 16 <= span; i += 16) {
      __m256i A = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(a + i))), B = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
      __m256i lo = _mm256_madd_epi16(_mm256_unpacklo_epi16(A, B), w), hi = _mm256_madd_epi16(_mm256_unpackhi_epi16(A, B), w);
      __m256i *o = (__m256i *)(v + i);
      _mm256_storeu_si256(o, _mm256_add_epi32(_mm256_loadu_si256(o), _mm256_permute2x128_si256(lo, hi, 0x20)));
      _mm256_storeu_si256(o + 1, _mm256_add_epi32(_mm256_loadu_si256(o + 1), _mm256_permute2x128_si256(lo, hi, 0x31)));
    }
    for (; i < span; i++) v[i] += (uint32_t)w0 * a[i] + (uint32_t)w1 * b[i];
  }
}
// two pixels per 256-bit vector: lanes 0-3 pixel x's R, G, B (and the next value, ignored), 4-7 pixel x + 1's;
// w4: each tap's weight 4 times (W * kx * 4 values); each pixel written as 4 bytes, the 4th overwritten
// by the next pixel (the row's last pixel: 3 bytes)
AVX2 static inline __m256i area_pair_avx2(const uint32_t *v, const int32_t *f, const int32_t *w4, int kx) {
  __m256i s = _mm256_setzero_si256();
  for (int k = 0; k < kx; k++) {
    __m256i a = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(v + f[k]))), _mm_loadu_si128((const __m128i *)(v + f[kx + k])), 1);
    __m256i w = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(w4 + 4 * k))), _mm_loadu_si128((const __m128i *)(w4 + 4 * (kx + k))), 1);
    s = _mm256_add_epi32(s, _mm256_mullo_epi32(a, w));
  }
  return s;
}
AVX2 static void area_hrow_avx2(const uint32_t *restrict v, const int32_t *restrict off, const int32_t *restrict w4, int W, int kx, int shift, int even, uint8_t *restrict o) {
  const __m256i h1 = _mm256_set1_epi32((int)((1u << (shift - 1)) - 1)), one = _mm256_set1_epi32(even ? 1 : 0), up = _mm256_set1_epi32(even ? 0 : 1), k255 = _mm256_set1_epi32(255);
  const __m128i sh = _mm_cvtsi32_si128(shift);
  int x = 0;
  for (; x + 2 <= W; x += 2, o += 6) {
    __m256i s = area_pair_avx2(v, off + (size_t)x * kx, w4 + (size_t)x * kx * 4, kx);
    __m256i q = _mm256_srl_epi32(_mm256_add_epi32(_mm256_add_epi32(s, h1), _mm256_or_si256(_mm256_and_si256(_mm256_srl_epi32(s, sh), one), up)), sh);
    q = _mm256_min_epu32(q, k255);  // (sums from 2^31 up would pack as negatives)
    q = _mm256_packus_epi16(_mm256_packus_epi32(q, q), q);  // each lane: its pixel's 4 bytes first
    uint32_t p0 = (uint32_t)_mm256_extract_epi32(q, 0), p1 = (uint32_t)_mm256_extract_epi32(q, 4);
    memcpy(o, &p0, 4);
    if (x + 2 < W) memcpy(o + 3, &p1, 4);
    else o[3] = (uint8_t)p1, o[4] = (uint8_t)(p1 >> 8), o[5] = (uint8_t)(p1 >> 16);
  }
  if (x < W) {
    const uint32_t hh = (1u << (shift - 1)) - 1;
    uint32_t s0 = 0, s1 = 0, s2 = 0;
    for (int k = 0; k < kx; k++) {
      const uint32_t *a = v + off[(size_t)x * kx + k], w = (uint32_t)w4[((size_t)x * kx + k) * 4];
      s0 += w * a[0], s1 += w * a[1], s2 += w * a[2];
    }
    o[0] = area_round(s0, shift, hh, even), o[1] = area_round(s1, shift, hh, even), o[2] = area_round(s2, shift, hh, even);
  }
}
// Rows whose weights sum to at most 128 (a row axis that is not prefiltered): each value of the row
// pass is below 2^15, so it is kept in 16 bits and each pixel's taps go two at a time through madd
// (16-bit products summed in 32 bits); 4 pixels rounded and packed together, 12 bytes written as 16
// (the last 4 overwritten by the next pixels; the row's last pixels one by one).
AVX2 static void area_vrow16_avx2(const uint8_t *data, size_t row, const int32_t *ri, const int32_t *rw, int ky, size_t c0, size_t span, uint16_t *restrict v) {
  int first = 1;
  for (int k = 0; k < ky; k++) {
    const int w = rw[k];
    if (!w) continue;
    const uint8_t *a = data + (size_t)ri[k] * row + c0;
    const __m256i wv = _mm256_set1_epi16((short)w);
    size_t i = 0;
    if (first) {  // the first weighed row is stored, the others added
      for (; i + 16 <= span; i += 16) _mm256_storeu_si256((__m256i *)(v + i), _mm256_mullo_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(a + i))), wv));
      for (; i < span; i++) v[i] = (uint16_t)(w * a[i]);
      first = 0;
      continue;
    }
    for (; i + 16 <= span; i += 16) {
      __m256i *o = (__m256i *)(v + i);
      __m256i A = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
      _mm256_storeu_si256(o, _mm256_add_epi16(_mm256_loadu_si256(o), _mm256_mullo_epi16(A, wv)));
    }
    for (; i < span; i++) v[i] = (uint16_t)(v[i] + w * a[i]);
  }
  if (first) memset(v, 0, sizeof(uint16_t) * span);
}
// pixel x's 4 sums (R, G, B, next) from its taps two at a time (w2: each pair's weights as one 32-bit value)
AVX2 static inline __m128i area_px16(const uint16_t *v, const int32_t *f, const int32_t *w2, int kx) {
  __m128i s = _mm_setzero_si128();
  for (int k = 0; k < kx; k += 2) {
    __m128i a = _mm_loadl_epi64((const __m128i *)(v + f[k])), b = _mm_loadl_epi64((const __m128i *)(v + f[k + 1 < kx ? k + 1 : k]));
    s = _mm_add_epi32(s, _mm_madd_epi16(_mm_unpacklo_epi16(a, b), _mm_set1_epi32(w2[k >> 1])));
  }
  return s;
}
AVX2 static void area_hrow16_avx2(const uint16_t *restrict v, const int32_t *restrict off, const int32_t *restrict w2, int W, int kx, int shift, int even, uint8_t *restrict o) {
  const __m128i h1 = _mm_set1_epi32((int)((1u << (shift - 1)) - 1)), one = _mm_set1_epi32(even ? 1 : 0), up = _mm_set1_epi32(even ? 0 : 1), sh = _mm_cvtsi32_si128(shift), k255 = _mm_set1_epi32(255);
  const __m128i order = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  const int kp = (kx + 1) >> 1;
#define AREA_Q(s) _mm_min_epi32(_mm_srl_epi32(_mm_add_epi32(_mm_add_epi32(s, h1), _mm_or_si128(_mm_and_si128(_mm_srl_epi32(s, sh), one), up)), sh), k255)
  int x = 0;
  for (; x + 6 <= W; x += 4, o += 12) {
    const int32_t *f = off + (size_t)x * kx, *w = w2 + (size_t)x * kp;
    __m128i q0 = AREA_Q(area_px16(v, f, w, kx)), q1 = AREA_Q(area_px16(v, f + kx, w + kp, kx));
    __m128i q2 = AREA_Q(area_px16(v, f + 2 * kx, w + 2 * kp, kx)), q3 = AREA_Q(area_px16(v, f + 3 * kx, w + 3 * kp, kx));
    __m128i b = _mm_packus_epi16(_mm_packus_epi32(q0, q1), _mm_packus_epi32(q2, q3));
    _mm_storeu_si128((__m128i *)o, _mm_shuffle_epi8(b, order));
  }
  for (; x < W; x++, o += 3) {
    __m128i q = AREA_Q(area_px16(v, off + (size_t)x * kx, w2 + (size_t)x * kp, kx));
    q = _mm_packus_epi16(_mm_packus_epi32(q, q), q);
    uint32_t p = (uint32_t)_mm_cvtsi128_si32(q);
    o[0] = (uint8_t)p, o[1] = (uint8_t)(p >> 8), o[2] = (uint8_t)(p >> 16);
  }
#undef AREA_Q
}
// ---- rrc8: two taps per column at adjacent (or equal) columns, the common case (warpAxesQ's bilinear
// tables: random_resized_crop, resize, scale). One 16-byte load at a column's first tap holds both
// taps' R, G, B; a byte shuffle pairs them for madd. Equal taps (an edge clamp) weigh w0 + w1 at the
// first and 0 at the next column (an exact integer sum: the same value). 8 pixels a step, two per
// 256-bit register (pixels x and x + 4: the packs then leave 4 whole pixels per lane in order).
// wq: each column's packed weights (w0 | w1 << 16): one load holds a step's 8 (pixels x..x+3 in the
// low lane, x+4..x+7 in the high: pixel x + j's and x + 4 + j's are lane element j, broadcast in its
// lane by a shuffle); v has 8 values of slack after span.
AVX2 static inline __m256i area_pair2_avx2(const uint16_t *v, const int32_t *f, __m256i w, int x) {
  const __m256i pairs = _mm256_setr_epi8(0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -1, -1, -1, -1, 0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -1, -1, -1, -1);
  __m256i a = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(v + f[2 * x]))), _mm_loadu_si128((const __m128i *)(v + f[2 * (x + 4)])), 1);
  return _mm256_madd_epi16(_mm256_shuffle_epi8(a, pairs), w);
}
// the rounding known when compiled (ties to even: srl, and, add, add, srl; ties up: add, srl), and the
// saturation after the first pack (packus_epi32 keeps 0..65535: sums below 2^32 shifted by 1 or more
// are positive; then one min per 16 values instead of one per 8)
AVX2 static inline __attribute__((always_inline)) int area_hrow_pair_body(const uint16_t *restrict v, const int32_t *restrict off, const int32_t *restrict wq, int W, int shift, const int even,
                                                                           uint8_t *restrict o) {
  const __m256i h1 = _mm256_set1_epi32((int)((1u << (shift - 1)) - (even ? 1 : 0))), one = _mm256_set1_epi32(1), k255 = _mm256_set1_epi16(255);
  const __m128i sh = _mm_cvtsi32_si128(shift);
  const __m256i order = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
#define AREA_Q8(s) \
  (even ? _mm256_srl_epi32(_mm256_add_epi32(_mm256_add_epi32(s, h1), _mm256_and_si256(_mm256_srl_epi32(s, sh), one)), sh) : _mm256_srl_epi32(_mm256_add_epi32(s, h1), sh))
  int x = 0;
  for (; x + 10 <= W; x += 8, o += 24) {
    const __m256i w = _mm256_loadu_si256((const __m256i *)(wq + x));
    __m256i q0 = AREA_Q8(area_pair2_avx2(v, off, _mm256_shuffle_epi32(w, 0x00), x)), q1 = AREA_Q8(area_pair2_avx2(v, off, _mm256_shuffle_epi32(w, 0x55), x + 1));
    __m256i q2 = AREA_Q8(area_pair2_avx2(v, off, _mm256_shuffle_epi32(w, 0xaa), x + 2)), q3 = AREA_Q8(area_pair2_avx2(v, off, _mm256_shuffle_epi32(w, 0xff), x + 3));
    __m256i p01 = _mm256_min_epu16(_mm256_packus_epi32(q0, q1), k255), p23 = _mm256_min_epu16(_mm256_packus_epi32(q2, q3), k255);
    __m256i b = _mm256_shuffle_epi8(_mm256_packus_epi16(p01, p23), order);
    _mm_storeu_si128((__m128i *)o, _mm256_castsi256_si128(b));
    _mm_storeu_si128((__m128i *)(o + 12), _mm256_extracti128_si256(b, 1));
  }
#undef AREA_Q8
  return x;
}
AVX2 static int area_hrow_pair_avx2(const uint16_t *restrict v, const int32_t *restrict off, const int32_t *restrict wq, int W, int shift, int even, uint8_t *restrict o) {
  return even ? area_hrow_pair_body(v, off, wq, W, shift, 1, o) : area_hrow_pair_body(v, off, wq, W, shift, 0, o);
}
#endif
#if HAVE_AVX2_VARIANT
// rrc8: the pair pass's tables when kx is 2 and every column's second tap is the next column or the
// same one (weights merged, each sum below 2^15 as madd takes them); else NULL
static int32_t *area_pair_tables(const int32_t *off, const int32_t *xw, int W, int kx) {
  if (kx != 2) return NULL;
  for (int x = 0; x < W; x++) {
    const int32_t d = off[2 * x + 1] - off[2 * x];
    if ((d != 0 && d != 3) || xw[2 * x] < 0 || xw[2 * x + 1] < 0 || (int64_t)xw[2 * x] + xw[2 * x + 1] > 32767) return NULL;
  }
  int32_t *wq = malloc(sizeof(int32_t) * (size_t)W);
  if (!wq) return NULL;
  for (int x = 0; x < W; x++) {
    const int same = off[2 * x + 1] == off[2 * x];
    const uint32_t w0 = (uint32_t)(same ? xw[2 * x] + xw[2 * x + 1] : xw[2 * x]), w1 = same ? 0 : (uint32_t)xw[2 * x + 1];
    wq[x] = (int32_t)(w0 | w1 << 16);
  }
  return wq;
}
#endif
int op_sample_area_axes(const view *src, const int32_t *xi, const int32_t *xw, int W, int kx, const int32_t *yi, const int32_t *yw, int H, int ky, int shift, int even, uint8_t *out) {
  const size_t nx = (size_t)W * kx, row = (size_t)src->width * 3, n = (size_t)W * 3;
  int lo = xi[0], hi = xi[0];
  for (size_t i = 1; i < nx; i++) lo = imin(lo, xi[i]), hi = imax(hi, xi[i]);
  const size_t span = (size_t)(hi - lo + 1) * 3;
  uint32_t *v = calloc(span + 1, sizeof(uint32_t));  // + 1: the AVX2 pass reads 4 values at the last column
  int32_t *off = malloc(sizeof(int32_t) * nx);
  if (!v || !off) {
    free(v);
    free(off);
    return -1;
  }
  for (size_t i = 0; i < nx; i++) off[i] = (xi[i] - lo) * 3;
  const int avx2 = ops_avx2();
#if HAVE_AVX2_VARIANT
  // the 16-bit path: every row's weights sum to at most 128
  int narrow = avx2;
  for (int y = 0; narrow && y < H; y++) {
    int64_t sum = 0;
    for (int k = 0; k < ky; k++) sum += yw[(size_t)y * ky + k];
    narrow = sum <= 128;
  }
  if (narrow) {
    const int kp = (kx + 1) >> 1;
    int32_t *w2 = malloc(sizeof(int32_t) * (size_t)W * kp);
    uint16_t *v16 = calloc(span + 8, sizeof(uint16_t));  // + 8: the pair pass loads 8 values at a column's first tap
    if (!w2 || !v16) {
      free(w2), free(v16), free(v), free(off);
      return -1;
    }
    for (int x = 0; x < W; x++)
      for (int k = 0; k < kx; k += 2)
        w2[(size_t)x * kp + (k >> 1)] = (int32_t)((uint32_t)xw[(size_t)x * kx + k] | (uint32_t)(k + 1 < kx ? xw[(size_t)x * kx + k + 1] : 0) << 16);
    int32_t *wq = area_pair_tables(off, xw, W, kx);  // rrc8: adjacent pairs (NULL: not all, or no memory: the general pass)
    for (int y = 0; y < H; y++) {
      const int32_t *ri = yi + (size_t)y * ky, *rw = yw + (size_t)y * ky;
      uint8_t *o = out + (size_t)y * n;
      area_vrow16_avx2(src->data, row, ri, rw, ky, (size_t)lo * 3, span, v16);
      const int x0 = wq ? area_hrow_pair_avx2(v16, off, wq, W, shift, even, o) : 0;
      area_hrow16_avx2(v16, off + (size_t)x0 * kx, w2 + (size_t)x0 * kp, W - x0, kx, shift, even, o + (size_t)x0 * 3);
    }
    free(wq), free(w2), free(v16), free(v), free(off);
    return 0;
  }
  int32_t *w4 = avx2 ? malloc(sizeof(int32_t) * nx * 4) : NULL;
  if (avx2 && !w4) {
    free(v);
    free(off);
    return -1;
  }
  for (size_t i = 0; avx2 && i < nx; i++) w4[4 * i] = w4[4 * i + 1] = w4[4 * i + 2] = w4[4 * i + 3] = xw[i];
#endif
  for (int y = 0; y < H; y++) {
    const int32_t *ri = yi + (size_t)y * ky, *rw = yw + (size_t)y * ky;
    uint8_t *o = out + (size_t)y * n;
    int any = 0;
    for (int k = 0; k < ky; k++) any |= rw[k] != 0;
    if (!any) {  // the fill
      memset(o, 0, n);
      continue;
    }
#if HAVE_AVX2_VARIANT
    if (avx2) {
      area_vrow_avx2(src->data, row, ri, rw, ky, (size_t)lo * 3, span, v);
      area_hrow_avx2(v, off, w4, W, kx, shift, even, o);
      continue;
    }
#endif
    area_vrow(src->data, row, ri, rw, ky, (size_t)lo * 3, span, v);
    area_hrow(v, off, xw, W, kx, shift, even, o);
  }
#if HAVE_AVX2_VARIANT
  free(w4);
#endif
  free(v);
  free(off);
  return 0;
}

// ==== fields4: the points of a kernels-3 chain (warp-chain.ts chainCoordsJs) ===========================
// A link whose field is a formula (distortion.ts fieldFormulaAt: grid, optical, perspective) evaluates
// it at the point instead of interpolating a map; other links are op_chain_coords's (field_at and
// fold_coord of ops.c, one lane at a time). 4 points of a row at a time, each lane the reference's
// float64 operations in its order (no fused multiply-add), so any vector width gives its bytes.
#define V4(x) ((v4d){(x), (x), (x), (x)})
// whether any lane of a mask is set (a horizontal OR by shuffles: no lane extraction)
#define ANY4(m) __extension__({ v4l t_ = (m) | __builtin_shuffle((m), (v4l){2, 3, 0, 1}); t_ |= __builtin_shuffle(t_, (v4l){1, 0, 3, 2}); t_[0] != 0; })

// grid: the table T (n values at pixel centres) interpolated linearly at the continuous point p,
// ends clamped; NaN for a NaN or infinite point
static inline double axis_lerp(const double *T, int n, double p) {
  const double f = p - 0.5, f0 = floor(f), w = f - f0, f1 = f0 + 1;
  if (w != w) return NAN;
  const double a = f0 < 0 ? 0 : f0 > n - 1 ? n - 1 : f0, b = f1 < 0 ? 0 : f1 > n - 1 ? n - 1 : f1;
  return (1 - w) * T[(int)a] + w * T[(int)b];
}

void ops_formula_at(const chain_link *L, double x, double y, double *ox, double *oy) {
  const double *p = L->map;
  if (L->formula == 0) {
    *ox = axis_lerp(p, L->map_w, x), *oy = axis_lerp(p + L->map_w, L->map_h, y);
  } else if (L->formula == 1) {
    const double w = L->map_w, h = L->map_h;
    const double u = (x - 0.5 - p[3]) / w, v = (y - 0.5 - p[4]) / h;
    const double r2 = u * u + v * v;
    const double kr = 1 + p[0] * r2 + p[0] * r2 * r2;
    *ox = w * u * kr + p[1] + 0.5, *oy = h * v * kr + p[2] + 0.5;
  } else {
    const double z = p[6] * x + p[7] * y + p[8];
    const double X = (p[0] * x + p[1] * y + p[2]) / z, Y = (p[3] * x + p[4] * y + p[5]) / z;
    *ox = X, *oy = Y;
  }
}

INLINE void chain_q_block(const chain_link *links, int nlinks, v4d px, v4d py, double *restrict o, int lanes) {
  v4l ok = {-1, -1, -1, -1};
  for (int k = 0; k < nlinks; k++) {
    const chain_link *L = &links[k];
    const double *p = L->map;
    if (L->formula == 1) {  // optical: p = k, cx, cy, ncx, ncy on a map_w x map_h canvas
      const double w = L->map_w, h = L->map_h;
      const v4d x = (px - V4(0.5) - V4(p[3])) / V4(w), y = (py - V4(0.5) - V4(p[4])) / V4(h);
      const v4d r2 = x * x + y * y;
      const v4d kr = V4(1) + V4(p[0]) * r2 + V4(p[0]) * r2 * r2;
      px = V4(w) * x * kr + V4(p[1]) + V4(0.5);
      py = V4(h) * y * kr + V4(p[2]) + V4(0.5);
    } else if (L->formula == 2) {  // perspective: p = the homography, row-major
      const v4d z = V4(p[6]) * px + V4(p[7]) * py + V4(p[8]);
      const v4d X = (V4(p[0]) * px + V4(p[1]) * py + V4(p[2])) / z, Y = (V4(p[3]) * px + V4(p[4]) * py + V4(p[5])) / z;
      px = X, py = Y;
    } else if (L->formula == 0) {  // grid: p = the column table (map_w values), then the row table (map_h)
      for (int l = 0; l < 4; l++) {
        const double a = axis_lerp(p, L->map_w, px[l]), b = axis_lerp(p + L->map_w, L->map_h, py[l]);
        px[l] = a, py[l] = b;
      }
    } else if (p) {
      for (int l = 0; l < 4; l++) {
        double a, b;
        ops_field_at(L, px[l], py[l], &a, &b);
        px[l] = a, py[l] = b;
      }
    }
    for (int i = 0; i < L->nbounds; i++) {
      const double *b = L->bounds + 8 * i;
      const v4d bu = V4(b[0]) * px + V4(b[1]) * py + V4(b[2]), bv = V4(b[3]) * px + V4(b[4]) * py + V4(b[5]);
      ok &= ~((bu < V4(0)) | (bv < V4(0)) | (bu >= V4(b[6])) | (bv >= V4(b[7])));
    }
    const double *m = L->m;
    v4d u = V4(m[0]) * px + V4(m[1]) * py + V4(m[2]), v = V4(m[3]) * px + V4(m[4]) * py + V4(m[5]);
    const v4l out = (u < V4(0)) | (u >= V4(L->w)) | (v < V4(0)) | (v >= V4(L->h)), bad = out & ok;
    // a constant fill drops the lanes outside without a branch (no wait on the lanes' divisions)
    if (L->mode == 0) {
      ok &= ~out;
    } else if (ANY4(bad)) {
      for (int l = 0; l < 4; l++) {
        if (!bad[l]) continue;
        if (u[l] < 0 || u[l] >= L->w) u[l] = ops_fold_coord(u[l], L->w, L->mode);
        if (v[l] < 0 || v[l] >= L->h) v[l] = ops_fold_coord(v[l], L->h, L->mode);
      }
    }
    px = u, py = v;
  }
  px = vseld(ok, px, V4(NAN)), py = vseld(ok, py, V4(NAN));
  const v4d a = __builtin_shuffle(px, py, (v4l){0, 4, 1, 5}), b = __builtin_shuffle(px, py, (v4l){2, 6, 3, 7});
  if (lanes == 4) {
    memcpy(o, &a, sizeof a);
    memcpy(o + 4, &b, sizeof b);
    return;
  }
  double t[8];
  memcpy(t, &a, sizeof a);
  memcpy(t + 4, &b, sizeof b);
  memcpy(o, t, sizeof(double) * 2 * lanes);
}
INLINE void chain_q_body(const chain_link *links, int nlinks, int W, int H, double *out) {
  for (int y = 0; y < H; y++) {
    const v4d py = V4(y + 0.5);
    for (int x = 0; x < W; x += 4) {
      const v4d px = {x + 0.5, x + 1.5, x + 2.5, x + 3.5};
      chain_q_block(links, nlinks, px, py, out + ((size_t)y * W + x) * 2, W - x < 4 ? W - x : 4);
    }
  }
}
// persp8: the chain of a perspective op (an affine link with no field, then the perspective
// formula's link, constant fills, no bounds) with every link's constants held in registers: the
// same per-lane operations in the same order as chain_q_block (1 * x + 0 * y + 0 included: it is
// not x for every x), without the generic loop's dispatch and spills.
static inline int chain_q_is_persp(const chain_link *links, int nlinks) {
  return nlinks == 2 && !links[0].map && links[0].nbounds == 0 && links[0].mode == 0 && links[1].map && links[1].formula == 2 && links[1].nbounds == 0 &&
         links[1].mode == 0;
}
INLINE void chain_q_persp_body(const chain_link *links, int W, int H, double *out) {
  const double *a = links[0].m, *b = links[1].m, *p = links[1].map;
  const v4d a0 = V4(a[0]), a1 = V4(a[1]), a2 = V4(a[2]), a3 = V4(a[3]), a4 = V4(a[4]), a5 = V4(a[5]), aw = V4(links[0].w), ah = V4(links[0].h);
  const v4d b0 = V4(b[0]), b1 = V4(b[1]), b2 = V4(b[2]), b3 = V4(b[3]), b4 = V4(b[4]), b5 = V4(b[5]), bw = V4(links[1].w), bh = V4(links[1].h);
  const v4d p0 = V4(p[0]), p1 = V4(p[1]), p2 = V4(p[2]), p3 = V4(p[3]), p4 = V4(p[4]), p5 = V4(p[5]), p6 = V4(p[6]), p7 = V4(p[7]), p8 = V4(p[8]);
  const v4d zero = V4(0), nan = V4(NAN);
  for (int y = 0; y < H; y++) {
    const v4d py = V4(y + 0.5);
    for (int x = 0; x < W; x += 4) {
      const v4d px = {x + 0.5, x + 1.5, x + 2.5, x + 3.5};
      const v4d u0 = a0 * px + a1 * py + a2, v0 = a3 * px + a4 * py + a5;
      const v4l ok0 = ~((u0 < zero) | (u0 >= aw) | (v0 < zero) | (v0 >= ah));
      const v4d z = p6 * u0 + p7 * v0 + p8;
      const v4d X = (p0 * u0 + p1 * v0 + p2) / z, Y = (p3 * u0 + p4 * v0 + p5) / z;
      const v4d u = b0 * X + b1 * Y + b2, v = b3 * X + b4 * Y + b5;
      const v4l ok = ok0 & ~((u < zero) | (u >= bw) | (v < zero) | (v >= bh));
      const v4d qx = vseld(ok, u, nan), qy = vseld(ok, v, nan);
      const v4d lo = __builtin_shuffle(qx, qy, (v4l){0, 4, 1, 5}), hi = __builtin_shuffle(qx, qy, (v4l){2, 6, 3, 7});
      double *o = out + ((size_t)y * W + x) * 2;
      if (W - x >= 4) {
        memcpy(o, &lo, sizeof lo);
        memcpy(o + 4, &hi, sizeof hi);
      } else {
        double t[8];
        memcpy(t, &lo, sizeof lo);
        memcpy(t + 4, &hi, sizeof hi);
        memcpy(o, t, sizeof(double) * 2 * (size_t)(W - x));
      }
    }
  }
}
#if HAVE_AVX2_VARIANT
AVX2 static void chain_q_avx2(const chain_link *links, int nlinks, int W, int H, double *out) {
  if (chain_q_is_persp(links, nlinks)) {
    chain_q_persp_body(links, W, H, out);
    return;
  }
  chain_q_body(links, nlinks, W, H, out);
}
#endif
void op_chain_coords_q(const chain_link *links, int nlinks, int W, int H, double *out) {
#if HAVE_AVX2_VARIANT
  if (ops_avx2()) {
    chain_q_avx2(links, nlinks, W, H, out);
    return;
  }
#endif
  // without AVX2, point by point (the same values; 4-lane vectors cost more than they give there)
  op_chain_coords(links, nlinks, W, H, out);
}

// ---- fields4: warp-chain.ts sampleLabels (ops.c op_sample_labels), 4 points at a time ---------------------
// A block whose 4 points lie inside the source (no fold: label_at's first case) takes the pixel
// (int)u - left, (int)v - top clamped into the region, from vector arithmetic (truncation of a
// non-negative value is its floor); any other block, and the tail, goes through op_sample_labels.
typedef int v4i_l __attribute__((vector_size(16)));
#define LSEL(m, a, b) (((m) & (a)) | (~(m) & (b)))
INLINE void labels_body(const double *restrict coords, size_t n, const view *src, int depth, int mode, int fill, void *out) {
  const int rw = src->width, rh = src->height;
  const double sw = src->source_width, sh = src->source_height;
  const v4i_l left = {src->left, src->left, src->left, src->left}, top = {src->top, src->top, src->top, src->top}, zero = {0, 0, 0, 0};
  const v4i_l xmax = {rw - 1, rw - 1, rw - 1, rw - 1}, ymax = {rh - 1, rh - 1, rh - 1, rh - 1}, stride = {rw, rw, rw, rw};
  size_t i = 0;
  if ((uint64_t)rw * rh < 2147483647u) {
    for (; i + 4 <= n; i += 4) {
      const double *q = coords + 2 * i;
      const v4d u = {q[0], q[2], q[4], q[6]}, v = {q[1], q[3], q[5], q[7]};
      const v4l in = (u >= V4(0)) & (u < V4(sw)) & (v >= V4(0)) & (v < V4(sh));
      if (!(in[0] & in[1] & in[2] & in[3])) {
        op_sample_labels(q, 4, src, depth, mode, fill, depth == 16 ? (void *)((uint16_t *)out + i) : (void *)((uint8_t *)out + i));
        continue;
      }
      v4i_l x = __builtin_convertvector(u, v4i_l) - left, y = __builtin_convertvector(v, v4i_l) - top;
      x = LSEL(x < zero, zero, x), x = LSEL(x > xmax, xmax, x);
      y = LSEL(y < zero, zero, y), y = LSEL(y > ymax, ymax, y);
      const v4i_l at = y * stride + x;
      if (depth == 16) {
        const uint16_t *d = src->data;
        uint16_t *o = (uint16_t *)out + i;
        o[0] = d[at[0]], o[1] = d[at[1]], o[2] = d[at[2]], o[3] = d[at[3]];
      } else {
        const uint8_t *d = src->data;
        uint8_t *o = (uint8_t *)out + i;
        o[0] = d[at[0]], o[1] = d[at[1]], o[2] = d[at[2]], o[3] = d[at[3]];
      }
    }
  }
  if (i < n) op_sample_labels(coords + 2 * i, n - i, src, depth, mode, fill, depth == 16 ? (void *)((uint16_t *)out + i) : (void *)((uint8_t *)out + i));
}
static void labels_base(const double *coords, size_t n, const view *src, int depth, int mode, int fill, void *out) { labels_body(coords, n, src, depth, mode, fill, out); }
#if HAVE_AVX2_VARIANT
AVX2 static void labels_avx2(const double *coords, size_t n, const view *src, int depth, int mode, int fill, void *out) { labels_body(coords, n, src, depth, mode, fill, out); }
#endif
void op_sample_labels_blocks(const double *coords, size_t n, const view *src, int depth, int mode, int fill, void *out) {
#if HAVE_AVX2_VARIANT
  if (ops_avx2()) {
    labels_avx2(coords, n, src, depth, mode, fill, out);
    return;
  }
#endif
  labels_base(coords, n, src, depth, mode, fill, out);
}
