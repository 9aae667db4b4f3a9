// Lockstep's integer op kernels (ops.h, "kernels 2"): the algorithms new plans record, designed to
// be exact in JS and fast in C at once. Every value is an integer (or a double computed once per
// row or column, then rounded to an integer the same way on both sides), so the JS references in
// src/main/augment compute the same bytes by construction, and C may use any instruction order or
// vector width: integer adds, multiplies and shifts have one result.
//  - bilinear resampling in OpenCV's fixed point (warpAffine: coordinates in 1/1024, taps at 1/32
//    pixel, weights (32 - fx)(32 - fy)... summing to 1024, rounded by a shift): inside the source
//    the same bytes as cv2.warpAffine(INTER_LINEAR);
//  - noise from a counter-based hash of (key, value index) instead of a sequential stream, so
//    values are independent of each other (and of the order they are computed in);
//  - Gaussian noise by interpolation in a 4097-entry integer table (std * z * 256, from JS).
#include <stdlib.h>
#include <string.h>
#include "ops.h"

#define LIM 536870912.0  // 2^29: coordinates are saturated to +-2^29 before they become ints

// cvRound of a double (to nearest, ties to even), saturated to +-2^29: the same in JS (kernels2.ts rne)
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

// ---- bilinear, one affine (warp.ts warpBilinearQ) -------------------------------------------------
// region.ts rowSpan, as ops.c computes it (declared there)
void op_row_span(const double *fb, int nb, int y, int W, int *x0, int *x1);

// The output is walked in blocks of 16 rows x 64 columns (as cv2.warpAffine does), so the source
// pixels one block reads stay in cache whatever the rotation; each pixel's value depends only on
// its own coordinates, so the order changes nothing.
#define BLOCK_H 16
#define BLOCK_W 64

static inline void bilinear_px(const uint8_t *p00, const uint8_t *p01, const uint8_t *p10, const uint8_t *p11, int fx, int fy, uint8_t *o) {
  const int w00 = (32 - fx) * (32 - fy), w01 = fx * (32 - fy), w10 = (32 - fx) * fy, w11 = fx * fy;
  o[0] = (uint8_t)((w00 * p00[0] + w01 * p01[0] + w10 * p10[0] + w11 * p11[0] + 512) >> 10);
  o[1] = (uint8_t)((w00 * p00[1] + w01 * p01[1] + w10 * p10[1] + w11 * p11[1] + 512) >> 10);
  o[2] = (uint8_t)((w00 * p00[2] + w01 * p01[2] + w10 * p10[2] + w11 * p11[2] + 512) >> 10);
}

int op_warp_bilinear_q(const view *src, const double *A, const double *fb, int nb, int W, int H, uint8_t *out) {
  const uint8_t *data = src->data;
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
  const int xlo = iclamp(left, 0, sw1), xhi = iclamp(left + rw - 1, 0, sw1), ylo = iclamp(top, 0, sh1), yhi = iclamp(top + rh - 1, 0, sh1);
  const size_t stride = (size_t)rw * 3;
  for (int by = 0; by < H; by += BLOCK_H) {
    const int ey = by + BLOCK_H < H ? by + BLOCK_H : H;
    for (int bx = 0; bx < W; bx += BLOCK_W) {
      const int ex = bx + BLOCK_W < W ? bx + BLOCK_W : W;
      for (int y = by; y < ey; y++) {
        const int xa = span[y * 2] > bx ? span[y * 2] : bx, xb = span[y * 2 + 1] < ex ? span[y * 2 + 1] : ex;
        const int X0 = row0[y * 2], Y0 = row0[y * 2 + 1];
        uint8_t *o = out + ((size_t)y * W + xa) * 3;
        for (int x = xa; x < xb; x++, o += 3) {
          const int X = (X0 + ad[x]) >> 5, Y = (Y0 + bd[x]) >> 5;
          const int ix = X >> 5, iy = Y >> 5;
          if (ix >= xlo && ix < xhi && iy >= ylo && iy < yhi) {
            // all four taps inside the region: neighbours in memory
            const uint8_t *p = data + (size_t)(iy - top) * stride + (size_t)(ix - left) * 3;
            bilinear_px(p, p + 3, p + stride, p + stride + 3, X & 31, Y & 31, o);
            continue;
          }
          const int x0 = iclamp(iclamp(ix, 0, sw1), xlo, xhi) - left, x1 = iclamp(iclamp(ix + 1, 0, sw1), xlo, xhi) - left;
          const int y0 = iclamp(iclamp(iy, 0, sh1), ylo, yhi) - top, y1 = iclamp(iclamp(iy + 1, 0, sh1), ylo, yhi) - top;
          const uint8_t *r0 = data + (size_t)y0 * stride, *r1 = data + (size_t)y1 * stride;
          bilinear_px(r0 + x0 * 3, r0 + x1 * 3, r1 + x0 * 3, r1 + x1 * 3, X & 31, Y & 31, o);
        }
      }
    }
  }
  free(ad);
  return 0;
}

// ---- tables and noise ------------------------------------------------------------------------------
void op_lut(uint8_t *d, size_t n, const uint8_t *lut) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint8_t a = lut[d[i]], b = lut[d[i + 1]], c = lut[d[i + 2]], e = lut[d[i + 3]];
    d[i] = a, d[i + 1] = b, d[i + 2] = c, d[i + 3] = e;
  }
  for (; i < n; i++) d[i] = lut[d[i]];
}

// noise.ts hash32: a value's 32 random bits from (key, index) (lowbias32 of key + index)
static inline uint32_t hash32(uint32_t key, uint32_t i) {
  uint32_t x = key + i;
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// noise.ts normalQ: std * z * 256 interpolated in the table by the hash's bits, then rounded to
// the pixel's scale ((n + 128) >> 8), added, clamped
static inline int normal_q(uint32_t u, const int32_t *t) {
  uint32_t j = u >> 20, fr = (u >> 8) & 4095;
  int32_t a = t[j];
  return a + (int32_t)(((int64_t)(t[j + 1] - a) * fr) >> 12);
}
static inline uint8_t add_clamp(int v, int n) {
  int s = v + ((n + 128) >> 8);
  return (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
}

void op_gaussian_noise_q(uint8_t *d, size_t n, uint32_t key, int per_channel, const int32_t *table) {
  if (per_channel) {
    for (size_t i = 0; i < n; i++) d[i] = add_clamp(d[i], normal_q(hash32(key, (uint32_t)i), table));
    return;
  }
  for (size_t i = 0, p = 0; i + 2 < n; i += 3, p++) {
    int v = normal_q(hash32(key, (uint32_t)p), table);
    d[i] = add_clamp(d[i], v);
    d[i + 1] = add_clamp(d[i + 1], v);
    d[i + 2] = add_clamp(d[i + 2], v);
  }
}

// a pixel is hit when its hash is below amount * 2^32, salt when the second key's hash is below salt * 2^32
// (doubles: a uint32 and a power-of-two scaling are exact, so JS compares the same)
void op_salt_pepper_q(uint8_t *d, size_t n, uint32_t key, uint32_t key2, double amount, double salt) {
  const double hit = amount * 4294967296.0, s = salt * 4294967296.0;
  for (size_t i = 0, p = 0; i + 2 < n; i += 3, p++) {
    if ((double)hash32(key, (uint32_t)p) < hit) {
      uint8_t v = (double)hash32(key2, (uint32_t)p) < s ? 255 : 0;
      d[i] = d[i + 1] = d[i + 2] = v;
    }
  }
}
