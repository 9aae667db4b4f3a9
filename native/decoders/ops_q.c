// Lockstep's integer op kernels (ops.h, "kernels 2"): the algorithms new plans record, designed to
// be exact in JS and fast in C at once. Every value is an integer (or a double computed once per
// row or column, then rounded to an integer the same way on both sides), so the JS references in
// src/main/augment compute the same bytes by construction, and C may use any instruction order or
// vector width: integer adds, multiplies and shifts have one result.
//  - bilinear resampling in OpenCV's fixed point (ops_geom.c op_warp_bilinear_q);
//  - noise from a counter-based hash of (key, value index) instead of a sequential stream, so
//    values are independent of each other (and of the order they are computed in);
//  - Gaussian noise by interpolation in a 4097-entry integer table (std * z * 256, from JS); under
//    kernels 3, two values per hash, each a 65536-entry table's round(std * z) (op_gaussian_noise_q3).
#include <stdlib.h>
#include <string.h>
#include "ops.h"

// ---- noise -----------------------------------------------------------------------------------------
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
    for (size_t i = 0; i < n; i++) d[i] = add_clamp(d[i], normal_q(ops_hash32(key, (uint32_t)i), table));
    return;
  }
  for (size_t i = 0, p = 0; i + 2 < n; i += 3, p++) {
    int v = normal_q(ops_hash32(key, (uint32_t)p), table);
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
    if ((double)ops_hash32(key, (uint32_t)p) < hit) {
      uint8_t v = (double)ops_hash32(key2, (uint32_t)p) < s ? 255 : 0;
      d[i] = d[i + 1] = d[i + 2] = v;
    }
  }
}

// ---- kernels 3: Gaussian noise, two values per hash (noise.ts hashedNormal3Js) --------------------------
// Value k (a channel value, or a pixel when one value serves its three channels) takes the hash of
// (key, k >> 1): its low 16 bits when k is even, its high 16 bits when odd, as an index into a
// 65536-entry table of round(std * z) clamped to +-256 (z: the inverse normal CDF at (j + 0.5) / 65536,
// made in JS); added to the byte and clamped to 0..255. Integers only: any order, any vector width.
static inline uint8_t clamp_add(int v, int t) {
  int s = v + t;
  return (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
}

void op_gaussian_noise_q3(uint8_t *restrict d, size_t n, uint32_t key, int per_channel, const int16_t *restrict table) {
  if (per_channel) {
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
      uint32_t u = ops_hash32(key, (uint32_t)(i >> 1));
      d[i] = clamp_add(d[i], table[u & 0xffff]);
      d[i + 1] = clamp_add(d[i + 1], table[u >> 16]);
    }
    if (i < n) d[i] = clamp_add(d[i], table[ops_hash32(key, (uint32_t)(i >> 1)) & 0xffff]);
    return;
  }
  const size_t np = n / 3;
  size_t p = 0;
  for (; p + 1 < np; p += 2) {
    uint32_t u = ops_hash32(key, (uint32_t)(p >> 1));
    int a = table[u & 0xffff], b = table[u >> 16];
    uint8_t *q = d + p * 3;
    q[0] = clamp_add(q[0], a), q[1] = clamp_add(q[1], a), q[2] = clamp_add(q[2], a);
    q[3] = clamp_add(q[3], b), q[4] = clamp_add(q[4], b), q[5] = clamp_add(q[5], b);
  }
  if (p < np) {
    int a = table[ops_hash32(key, (uint32_t)(p >> 1)) & 0xffff];
    uint8_t *q = d + p * 3;
    q[0] = clamp_add(q[0], a), q[1] = clamp_add(q[1], a), q[2] = clamp_add(q[2], a);
  }
}
