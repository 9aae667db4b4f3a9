// The four-pixel step of Lockstep's fixed-point bilinear (kernels 2: OpenCV's 1/32-pixel taps and
// integer weights), shared by ops_geom.c's one-affine warp and ops_field.c's map sampler, in AVX2:
// each pixel's two rows of taps (8 bytes at d + o[k] and 8 at d + o[k] + stride) are mixed by the
// column weights (pmaddubsw: (32 - fx) p0 + fx p1 <= 8160, no saturation), then the two rows by the
// row weights (pmaddwd: (32 - fy) h0 + fy h1), which is w00 p00 + w01 p01 + w10 p10 + w11 p11
// exactly, rounded by the shift. Include after immintrin.h, on x86-64 with GCC or Clang.
#ifndef LOCKSTEP_OPS_BILINEAR4_H
#define LOCKSTEP_OPS_BILINEAR4_H
#include <stddef.h>
#include <stdint.h>

__attribute__((target("avx2"))) static inline __m256i bq4_rows(const uint8_t *d, const size_t *o) {
  const __m128i lo = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(d + o[0])), _mm_loadl_epi64((const __m128i *)(d + o[1])));
  const __m128i hi = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(d + o[2])), _mm_loadl_epi64((const __m128i *)(d + o[3])));
  return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

// Four pixels from their top-left taps' offsets o, the column weights wx (each pixel's 32 - fx, fx
// byte pair three times, in its 8 bytes) and the row weights wy (32 - fy | fy << 16 a pixel): their
// RGB in bytes 0-5 of each 128-bit half (pixels 0 and 1, then 2 and 3).
__attribute__((target("avx2"))) static inline __m256i bq4(const uint8_t *d, size_t stride, const size_t *o, __m256i wx, __m128i wy128) {
  const __m256i inter = _mm256_setr_epi8(0, 3, 1, 4, 2, 5, -1, -1, 8, 11, 9, 12, 10, 13, -1, -1, 0, 3, 1, 4, 2, 5, -1, -1, 8, 11, 9, 12, 10, 13, -1, -1);
  const __m256i pac = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 4, 5, 6, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i half = _mm256_set1_epi32(512), ac = _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2), bd = _mm256_setr_epi32(1, 1, 1, 1, 3, 3, 3, 3);
  const size_t o1[4] = {o[0] + stride, o[1] + stride, o[2] + stride, o[3] + stride};
  const __m256i h0 = _mm256_maddubs_epi16(_mm256_shuffle_epi8(bq4_rows(d, o), inter), wx);
  const __m256i h1 = _mm256_maddubs_epi16(_mm256_shuffle_epi8(bq4_rows(d, o1), inter), wx);
  const __m256i wy = _mm256_castsi128_si256(wy128);
  __m256i lo = _mm256_madd_epi16(_mm256_unpacklo_epi16(h0, h1), _mm256_permutevar8x32_epi32(wy, ac));  // pixels 0 and 2
  __m256i hi = _mm256_madd_epi16(_mm256_unpackhi_epi16(h0, h1), _mm256_permutevar8x32_epi32(wy, bd));  // pixels 1 and 3
  lo = _mm256_srai_epi32(_mm256_add_epi32(lo, half), 10);
  hi = _mm256_srai_epi32(_mm256_add_epi32(hi, half), 10);
  const __m256i v = _mm256_packs_epi32(lo, hi);
  return _mm256_shuffle_epi8(_mm256_packus_epi16(v, v), pac);
}

// bq4's 12 bytes at q, and 2 junk bytes after them (a pixel written later must follow)
__attribute__((target("avx2"))) static inline void bq4_store(uint8_t *q, __m256i v) {
  _mm_storel_epi64((__m128i *)q, _mm256_castsi256_si128(v));
  _mm_storel_epi64((__m128i *)(q + 6), _mm256_extracti128_si256(v, 1));
}
#endif
