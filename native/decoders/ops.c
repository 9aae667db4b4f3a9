// Lockstep's op kernels (ops.h): line by line the JS references in src/main/augment, in C.
// Comments name the JS function each one mirrors; the arithmetic is written in the same order.
#include "ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int ops_avx2(void) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(LOCKSTEP_NO_AVX2)
  const char *e = getenv("LOCKSTEP_AVX2");
  if (e && e[0] == '0') return 0;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
  return 0;
#endif
}

uint32_t sfc32_u32(sfc32 *r) {
  uint32_t t = r->a + r->b;
  r->a = r->b ^ (r->b >> 9);
  r->b = r->c + (r->c << 3);
  r->c = (r->c << 21) | (r->c >> 11);
  r->d = r->d + 1;
  t = t + r->d;
  r->c = r->c + t;
  return t;
}

double sfc32_next(sfc32 *r) {
  uint32_t hi = sfc32_u32(r) >> 5;
  uint32_t lo = sfc32_u32(r) >> 6;
  return ((double)hi * 67108864.0 + (double)lo) / 9007199254740992.0;
}

// floor without a libm call (baseline x86-64 has no rounding instruction): exact for every double.
static inline double ffloor(double x) {
  if (!(x > -4503599627370496.0 && x < 4503599627370496.0)) return floor(x);  // NaN, huge: already integral or NaN
  double t = (double)(int64_t)x;
  return t > x ? t - 1 : t;
}
static inline double ftrunc(double x) { return x > -4503599627370496.0 && x < 4503599627370496.0 ? (double)(int64_t)x : trunc(x); }
#define floor ffloor
#define trunc ftrunc
// Math.round: to nearest, halves up (towards +infinity), exact for every double.
static inline double round_half_up(double x) {
  double f = floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}
// cv8.ts roundEven: to nearest, halves to even.
static inline double round_even(double x) {
  double r = round_half_up(x);
  return r - x == 0.5 && fmod(r, 2.0) != 0 ? r - 1 : r;
}
// Math.round of a bilinear mix (0 <= x < 256 for every valid call: truncation is floor there, and
// x - t is exact); anything else (a caller's error) saturates instead of overflowing the conversion.
static inline uint8_t round_u8(double x) {
  if (!(x >= 0 && x < 256)) return x > 0 ? 255 : 0;
  int t = (int)x;
  return (uint8_t)(t + (x - t >= 0.5));
}
static inline uint8_t clamp8(double v) { return v <= 0 ? 0 : v >= 255 ? 255 : round_u8(v); }
// floor as an int of a tap position (within the source for every valid call; others clamp first)
static inline int ifloor(double x) {
  if (!(x > -1e9 && x < 1e9)) x = x != x ? 0 : x < 0 ? -1e9 : 1e9;
  int t = (int)x;
  return t > x ? t - 1 : t;
}

static inline uint8_t sat8(double v) { return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)v; }
static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

// ---- region.ts inside / rowSpan ----------------------------------------------------------------
static int inside(const double *fb, int nb, double xc, double yc) {
  for (int i = 0; i < nb * 8; i += 8) {
    double u = fb[i] * xc + fb[i + 1] * yc + fb[i + 2];
    double v = fb[i + 3] * xc + fb[i + 4] * yc + fb[i + 5];
    if (u < 0 || v < 0 || u >= fb[i + 6] || v >= fb[i + 7]) return 0;
  }
  return 1;
}

static void row_span(const double *fb, int nb, int y, int W, int *x0out, int *x1out) {
  double yc = y + 0.5, lo = -INFINITY, hi = INFINITY;
  *x0out = *x1out = 0;
  for (int i = 0; i < nb * 8 && lo <= hi; i += 8) {
    for (int q = 0; q < 2; q++) {
      int k = q ? 3 : 0;
      double lim = fb[i + 6 + q];
      double a = fb[i + k], rest = fb[i + k + 1] * yc + fb[i + k + 2];
      if (a == 0) {
        if (rest < 0 || rest >= lim) return;
        continue;
      }
      double t0 = (0 - rest) / a, t1 = (lim - rest) / a;
      double mn = t0 < t1 ? t0 : t1, mx = t0 < t1 ? t1 : t0;
      if (mn > lo) lo = mn;
      if (mx < hi) hi = mx;
    }
  }
  if (!(lo <= hi)) return;
  double a0 = floor(lo - 0.5) - 1, a1 = ceil(hi - 0.5) + 2;
  int x0 = a0 < 0 ? 0 : a0 > W ? W : (int)a0;
  int x1 = a1 > W ? W : a1 < 0 ? 0 : (int)a1;
  while (x0 < x1 && !inside(fb, nb, x0 + 0.5, yc)) x0++;
  while (x1 > x0 && !inside(fb, nb, x1 - 0.5, yc)) x1--;
  *x0out = x0;
  *x1out = x1;
}

void op_row_span(const double *fb, int nb, int y, int W, int *x0, int *x1) { row_span(fb, nb, y, W, x0, x1); }

// ---- warp.ts warpBilinearRgb (warpNearest: ops_geom.c) -------------------------------------------------------
void op_warp_bilinear_rgb(const view *src, const double *A, const double *fb, int nb, int W, int H, uint8_t *out) {
  const uint8_t *data = src->data;
  const double a = A[0], b = A[1], c = A[2], d = A[3], e = A[4], f = A[5];
  const int left = src->left, top = src->top, rw = src->width, rh = src->height, sw = src->source_width, sh = src->source_height;
  for (int y = 0; y < H; y++) {
    double yc = y + 0.5;
    int xa, xb;
    row_span(fb, nb, y, W, &xa, &xb);
    double ru = b * yc + c - 0.5, rv = e * yc + f - 0.5;
    for (int x = xa; x < xb; x++) {
      double xc = x + 0.5;
      double fx = a * xc + ru, fy = d * xc + rv;
      // inside every canvas, so fx and fy are within the source (+-1): int range
      int x0 = ifloor(fx), y0 = ifloor(fy), x1 = x0 + 1, y1 = y0 + 1;
      double wx = fx - x0, wy = fy - y0;
      if (x0 < 0) x0 = 0;
      if (y0 < 0) y0 = 0;
      if (x1 >= sw) x1 = sw - 1;
      if (y1 >= sh) y1 = sh - 1;
      // taps outside the region: a caller's error; read the region's nearest pixel instead
      x0 = imin(imax(x0 - left, 0), rw - 1);
      x1 = imin(imax(x1 - left, 0), rw - 1);
      y0 = imin(imax(y0 - top, 0), rh - 1);
      y1 = imin(imax(y1 - top, 0), rh - 1);
      size_t p00 = ((size_t)y0 * rw + x0) * 3, p01 = ((size_t)y0 * rw + x1) * 3, p10 = ((size_t)y1 * rw + x0) * 3, p11 = ((size_t)y1 * rw + x1) * 3;
      double w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
      uint8_t *o = out + ((size_t)y * W + x) * 3;
      for (int ch = 0; ch < 3; ch++) o[ch] = round_u8(w00 * data[p00 + ch] + w01 * data[p01 + ch] + w10 * data[p10 + ch] + w11 * data[p11 + ch]);
    }
  }
}

// ---- warp-chain.ts ----------------------------------------------------------------------------------
enum { M_CONSTANT = 0, M_EDGE = 1, M_REFLECT = 2, M_SYMMETRIC = 3, M_WRAP = 4 };

static double fold_coord(double u, double n, int mode) {
  switch (mode) {
    case M_EDGE: {
      double c = u - 0.5;
      return (c < 0 ? 0 : c > n - 1 ? n - 1 : c) + 0.5;
    }
    case M_REFLECT: {
      if (n == 1) return 0.5;
      double P = 2 * (n - 1), c = u - 0.5;
      double t = c - P * floor(c / P);
      if (t >= P || t < 0) t = 0;
      return (t <= n - 1 ? t : P - t) + 0.5;
    }
    case M_SYMMETRIC: {
      double P = 2 * n;
      double t = u - P * floor(u / P);
      if (t >= P || t < 0) t = 0;
      double r = t < n ? t : P - t;
      return r >= n ? n - 0.5 : r;
    }
    case M_WRAP: {
      double t = u - n * floor(u / n);
      return t >= n || t < 0 ? 0 : t;
    }
    default:
      return u;
  }
}

static int fold_index(int i, int n, int mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case M_REFLECT: {
      if (n == 1) return 0;
      int P = 2 * (n - 1);
      int t = i % P;
      if (t < 0) t += P;
      return t < n ? t : P - t;
    }
    case M_SYMMETRIC: {
      int P = 2 * n;
      int t = i % P;
      if (t < 0) t += P;
      return t < n ? t : P - 1 - t;
    }
    case M_WRAP: {
      int t = i % n;
      return t < 0 ? t + n : t;
    }
    default:
      return i < 0 ? 0 : n - 1;
  }
}

// warp-chain.ts fieldAt
static inline void field_at(const chain_link *L, double x, double y, double *ox, double *oy) {
  double fx = x - 0.5, fy = y - 0.5;
  if (fx >= 0 && fy >= 0 && fx < L->map_w - 1 && fy < L->map_h - 1) {
    // inside the map: no clamp (the same taps and arithmetic)
    int x0 = (int)fx, y0 = (int)fy;
    double wx = fx - x0, wy = fy - y0;
    const double *p = L->map + ((size_t)y0 * L->map_w + x0) * 2, *q = p + (size_t)L->map_w * 2;
    double w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
    *ox = w00 * p[0] + w01 * p[2] + w10 * q[0] + w11 * q[2];
    *oy = w00 * p[1] + w01 * p[3] + w10 * q[1] + w11 * q[3];
    return;
  }
  if (fx != fx) fx = 0;  // NaN only from a caller's bad map: read the corner
  if (fy != fy) fy = 0;
  double fx0 = floor(fx), fy0 = floor(fy);
  double wx = fx - fx0, wy = fy - fy0;
  int w = L->map_w, h = L->map_h;
  double x0d = fx0, y0d = fy0;
  // clamp in doubles first: a far point must not overflow an int
  if (x0d < 0) x0d = 0;
  if (y0d < 0) y0d = 0;
  if (x0d > w - 1) x0d = w - 1;
  if (y0d > h - 1) y0d = h - 1;
  int x0 = (int)x0d, y0 = (int)y0d;
  double x1d = fx0 + 1, y1d = fy0 + 1;
  if (x1d > w - 1) x1d = w - 1;
  if (y1d > h - 1) y1d = h - 1;
  if (x1d < 0) x1d = 0;
  if (y1d < 0) y1d = 0;
  int x1 = (int)x1d, y1 = (int)y1d;
  const double *m = L->map;
  size_t a = ((size_t)y0 * w + x0) * 2, b = ((size_t)y0 * w + x1) * 2, c = ((size_t)y1 * w + x0) * 2, d = ((size_t)y1 * w + x1) * 2;
  double w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
  *ox = w00 * m[a] + w01 * m[b] + w10 * m[c] + w11 * m[d];
  *oy = w00 * m[a + 1] + w01 * m[b + 1] + w10 * m[c + 1] + w11 * m[d + 1];
}

// (for the kernels-3 chain of ops_field.c, one lane at a time)
double ops_fold_coord(double u, double n, int mode) { return fold_coord(u, n, mode); }
void ops_field_at(const chain_link *L, double x, double y, double *ox, double *oy) { field_at(L, x, y, ox, oy); }

void op_chain_coords(const chain_link *links, int nlinks, int W, int H, double *out) {
  for (int y = 0; y < H; y++) {
    for (int x = 0; x < W; x++) {
      double px = x + 0.5, py = y + 0.5;
      int ok = 1;
      for (int k = 0; k < nlinks && ok; k++) {
        const chain_link *L = &links[k];
        if (L->map && L->formula >= 0) ops_formula_at(L, px, py, &px, &py);  // kernels 3 (ops_field.c)
        else if (L->map) field_at(L, px, py, &px, &py);
        for (int i = 0; i < L->nbounds * 8; i += 8) {
          const double *bm = L->bounds + i;
          double bu = bm[0] * px + bm[1] * py + bm[2], bv = bm[3] * px + bm[4] * py + bm[5];
          if (bu < 0 || bv < 0 || bu >= bm[6] || bv >= bm[7]) {
            ok = 0;
            break;
          }
        }
        if (!ok) break;
        const double *m = L->m;
        double u = m[0] * px + m[1] * py + m[2], v = m[3] * px + m[4] * py + m[5];
        if (u < 0 || u >= L->w || v < 0 || v >= L->h) {
          if (L->mode == M_CONSTANT) {
            ok = 0;
            break;
          }
          if (u < 0 || u >= L->w) u = fold_coord(u, L->w, L->mode);
          if (v < 0 || v >= L->h) v = fold_coord(v, L->h, L->mode);
        }
        px = u;
        py = v;
      }
      size_t i = ((size_t)y * W + x) * 2;
      out[i] = ok ? px : NAN;
      out[i + 1] = ok ? py : NAN;
    }
  }
}

// an index from a double, safe for any value (NaN and far points clamp before the int conversion)
static inline int idx_of(double v) { return v != v ? 0 : v < -1e9 ? -1000000000 : v > 1e9 ? 1000000000 : (int)v; }

// (a point whose four taps lie inside the source and the region needs no fold and no clamp: the
// same arithmetic without them; u / 1 is u exactly)
void op_sample_rgb(const double *coords, size_t n, const view *src, int mode, int pfx, int pfy, uint8_t *out) {
  const uint8_t *data = src->data;
  const int left = src->left, top = src->top, rw = src->width, rh = src->height, sw = src->source_width, sh = src->source_height;
  const double limx = sw - 1, limy = sh - 1;
  const size_t row = (size_t)rw * 3;
  for (size_t i = 0, o = 0; i < n * 2; i += 2, o += 3) {
    double u = coords[i], v = coords[i + 1];
    if (u != u) {
      out[o] = out[o + 1] = out[o + 2] = 0;
      continue;
    }
    double fx = (pfx == 1 ? u : u / pfx) - 0.5, fy = (pfy == 1 ? v : v / pfy) - 0.5;
    if (fx >= 0 && fy >= 0 && fx < limx && fy < limy) {
      int tx = (int)fx, ty = (int)fy, x0 = tx - left, y0 = ty - top;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < rw && y0 + 1 < rh) {
        double wx = fx - tx, wy = fy - ty;
        const uint8_t *p00 = data + (size_t)y0 * row + (size_t)x0 * 3, *p10 = p00 + row;
        double w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
        for (int ch = 0; ch < 3; ch++) out[o + ch] = round_u8(w00 * p00[ch] + w01 * p00[3 + ch] + w10 * p10[ch] + w11 * p10[3 + ch]);
        continue;
      }
    }
    double tx = floor(fx), ty = floor(fy);
    double wx = fx - tx, wy = fy - ty;
    int ix = idx_of(tx), iy = idx_of(ty);
    int x0 = fold_index(ix, sw, mode) - left, x1 = fold_index(ix + 1, sw, mode) - left;
    int y0 = fold_index(iy, sh, mode) - top, y1 = fold_index(iy + 1, sh, mode) - top;
    x0 = imin(imax(x0, 0), rw - 1);
    x1 = imin(imax(x1, 0), rw - 1);
    y0 = imin(imax(y0, 0), rh - 1);
    y1 = imin(imax(y1, 0), rh - 1);
    size_t p00 = ((size_t)y0 * rw + x0) * 3, p01 = ((size_t)y0 * rw + x1) * 3, p10 = ((size_t)y1 * rw + x0) * 3, p11 = ((size_t)y1 * rw + x1) * 3;
    double w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
    for (int ch = 0; ch < 3; ch++) out[o + ch] = round_u8(w00 * data[p00 + ch] + w01 * data[p01 + ch] + w10 * data[p10 + ch] + w11 * data[p11 + ch]);
  }
}

static inline int label_at(const view *src, int depth, int mode, double u, double v) {
  const int left = src->left, top = src->top, rw = src->width, rh = src->height, sw = src->source_width, sh = src->source_height;
  int x, y;
  if (u >= 0 && v >= 0 && u < sw && v < sh) {
    x = (int)u - left, y = (int)v - top;
  } else {
    x = fold_index(idx_of(floor(u)), sw, mode) - left, y = fold_index(idx_of(floor(v)), sh, mode) - top;
  }
  x = imin(imax(x, 0), rw - 1);
  y = imin(imax(y, 0), rh - 1);
  size_t s = (size_t)y * rw + x;
  return depth == 16 ? ((const uint16_t *)src->data)[s] : ((const uint8_t *)src->data)[s];
}

void op_sample_labels(const double *coords, size_t n, const view *src, int depth, int mode, int fill, void *out) {
  if (depth == 16) {
    uint16_t *o = out;
    for (size_t i = 0; i < n; i++) o[i] = (uint16_t)(coords[2 * i] == coords[2 * i] ? label_at(src, 16, mode, coords[2 * i], coords[2 * i + 1]) : fill);
  } else {
    uint8_t *o = out;
    for (size_t i = 0; i < n; i++) o[i] = (uint8_t)(coords[2 * i] == coords[2 * i] ? label_at(src, 8, mode, coords[2 * i], coords[2 * i + 1]) : fill);
  }
}

// op_area_reduce: ops_field.c

// ---- ops/colour.ts hue and hsvPower: ops_colour.c -------------------------------------------------------

// ---- ops/cv8.ts rgbToHsv8 / hsvToRgb8, ops/hsv.ts mapHsv: ops_colour.c ------------------------------------

// ---- ops/noise.ts ------------------------------------------------------------------------------------
// gaussianNoise (table algorithm): a normal value by linear interpolation in a 65537-entry table
// of the inverse normal CDF, from one 32-bit draw.
static inline double table_normal(sfc32 *r, const double *table) {
  uint32_t u = sfc32_u32(r);
  uint32_t i = u >> 16;
  double f = (double)(u & 0xffff) / 65536;
  return table[i] + (table[i + 1] - table[i]) * f;
}

void op_gaussian_noise(uint8_t *d, size_t n, sfc32 *r, double std, int per_channel, const double *table) {
  for (size_t i = 0; i + 2 < n; i += 3) {
    if (per_channel) {
      d[i] = clamp8(d[i] + std * table_normal(r, table));
      d[i + 1] = clamp8(d[i + 1] + std * table_normal(r, table));
      d[i + 2] = clamp8(d[i + 2] + std * table_normal(r, table));
    } else {
      double v = std * table_normal(r, table);
      d[i] = clamp8(d[i] + v);
      d[i + 1] = clamp8(d[i + 1] + v);
      d[i + 2] = clamp8(d[i + 2] + v);
    }
  }
}

void op_salt_pepper(uint8_t *d, size_t n, sfc32 *r, double amount, double salt) {
  for (size_t i = 0; i + 2 < n; i += 3) {
    if (sfc32_next(r) < amount) {
      uint8_t v = sfc32_next(r) < salt ? 255 : 0;
      d[i] = d[i + 1] = d[i + 2] = v;
    }
  }
}

static inline uint8_t cut8(double v) { return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)trunc(v); }

void op_multiplicative(uint8_t *d, size_t n, sfc32 *r, double lo, double hi, int per_channel) {
  for (size_t i = 0; i + 2 < n; i += 3) {
    if (per_channel) {
      for (int c = 0; c < 3; c++) d[i + c] = cut8(d[i + c] * (lo + (hi - lo) * sfc32_next(r)));
    } else {
      double m = lo + (hi - lo) * sfc32_next(r);
      d[i] = cut8(d[i] * m);
      d[i + 1] = cut8(d[i + 1] * m);
      d[i + 2] = cut8(d[i + 2] * m);
    }
  }
}

// ---- ops/blur.ts blurRgb ---------------------------------------------------------------------------------
// (the clamped neighbour indices are tabled once per row/column: the same reads, no branches)
int op_blur(uint8_t *d, int w, int h, const double *k, int r, float *tmp) {
  int n = 2 * r + 1;
  int *cols = malloc(sizeof(int) * (size_t)w * n), *rows = malloc(sizeof(int) * (size_t)h * n);
  if (!cols || !rows) {
    free(cols);
    free(rows);
    return -1;
  }
  for (int x = 0; x < w; x++)
    for (int t = -r; t <= r; t++) cols[(size_t)x * n + t + r] = (x + t < 0 ? 0 : x + t >= w ? w - 1 : x + t) * 3;
  for (int y = 0; y < h; y++)
    for (int t = -r; t <= r; t++) rows[(size_t)y * n + t + r] = y + t < 0 ? 0 : y + t >= h ? h - 1 : y + t;
  for (int y = 0; y < h; y++) {
    const uint8_t *row = d + (size_t)y * w * 3;
    for (int x = 0; x < w; x++) {
      double s0 = 0, s1 = 0, s2 = 0;
      const int *c = cols + (size_t)x * n;
      for (int t = 0; t < n; t++) {
        double kv = k[t];
        const uint8_t *p = row + c[t];
        s0 += kv * p[0];
        s1 += kv * p[1];
        s2 += kv * p[2];
      }
      size_t o = ((size_t)y * w + x) * 3;
      tmp[o] = (float)s0;
      tmp[o + 1] = (float)s1;
      tmp[o + 2] = (float)s2;
    }
  }
  for (int y = 0; y < h; y++) {
    const int *rr = rows + (size_t)y * n;
    for (int x = 0; x < w; x++) {
      double s0 = 0, s1 = 0, s2 = 0;
      for (int t = 0; t < n; t++) {
        double kv = k[t];
        const float *p = tmp + ((size_t)rr[t] * w + x) * 3;
        s0 += kv * p[0];
        s1 += kv * p[1];
        s2 += kv * p[2];
      }
      size_t o = ((size_t)y * w + x) * 3;
      d[o] = (uint8_t)round_half_up(s0 > 255 ? 255 : s0);
      d[o + 1] = (uint8_t)round_half_up(s1 > 255 ? 255 : s1);
      d[o + 2] = (uint8_t)round_half_up(s2 > 255 ? 255 : s2);
    }
  }
  free(cols);
  free(rows);
  return 0;
}

// ---- ops/filter.ts ---------------------------------------------------------------------------------------
static inline int reflect101(int i, int n) { return n == 1 ? 0 : i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i; }
static inline int refl_safe(int i, int n) {
  int v = reflect101(i, n);
  return v < 0 ? 0 : v >= n ? n - 1 : v;
}

int op_convolve(uint8_t *d, int w, int h, const double *taps, int ntaps, uint8_t *src) {
  memcpy(src, d, (size_t)w * h * 3);
  // each tap's reflected column for every x, and row for the current y
  int *cols = malloc(sizeof(int) * (size_t)w * ntaps), *rows = malloc(sizeof(int) * (size_t)ntaps);
  if (!cols || !rows) {
    free(cols);
    free(rows);
    return -1;
  }
  for (int t = 0; t < ntaps; t++)
    for (int x = 0; x < w; x++) cols[(size_t)t * w + x] = refl_safe(x + (int)taps[t * 3], w) * 3;
  for (int y = 0; y < h; y++) {
    for (int t = 0; t < ntaps; t++) rows[t] = refl_safe(y + (int)taps[t * 3 + 1], h) * w * 3;
    for (int x = 0; x < w; x++) {
      double s0 = 0, s1 = 0, s2 = 0;
      for (int t = 0; t < ntaps; t++) {
        double k = taps[t * 3 + 2];
        const uint8_t *p = src + rows[t] + cols[(size_t)t * w + x];
        s0 += k * p[0];
        s1 += k * p[1];
        s2 += k * p[2];
      }
      size_t o = ((size_t)y * w + x) * 3;
      d[o] = sat8(round_even(s0));
      d[o + 1] = sat8(round_even(s1));
      d[o + 2] = sat8(round_even(s2));
    }
  }
  free(cols);
  free(rows);
  return 0;
}

static inline int clampi(int i, int n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

// The median of each window, tracked: `v` and the count of window values below it move with each
// column added and removed, so a pixel costs O(k) plus the median's few steps.
void op_median(uint8_t *d, int w, int h, int k, uint8_t *src) {
  memcpy(src, d, (size_t)w * h * 3);
  int r = (k - 1) >> 1, half = (k * k) >> 1;
  int hist[256];
  for (int c = 0; c < 3; c++) {
    for (int y = 0; y < h; y++) {
      memset(hist, 0, sizeof hist);
      for (int dy = -r; dy <= r; dy++) {
        size_t row = (size_t)clampi(y + dy, h) * w;
        for (int dx = -r; dx <= r; dx++) hist[src[(row + clampi(dx, w)) * 3 + c]]++;
      }
      int v = 0, below = 0;
      for (int x = 0; x < w; x++) {
        if (x > 0) {
          int out = clampi(x - r - 1, w), in = clampi(x + r, w);
          for (int dy = -r; dy <= r; dy++) {
            size_t row = (size_t)clampi(y + dy, h) * w;
            int a = src[(row + out) * 3 + c], b = src[(row + in) * 3 + c];
            hist[a]--;
            if (a < v) below--;
            hist[b]++;
            if (b < v) below++;
          }
        }
        while (below > half) below -= hist[--v];
        while (below + hist[v] <= half) below += hist[v++];
        d[((size_t)y * w + x) * 3 + c] = (uint8_t)v;
      }
    }
  }
}

// ---- ops/distortion.ts: ops_field.c ----------------------------------------------------------------------
