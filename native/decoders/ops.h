// Lockstep's op kernels: the fast twins of the engine's JS references (src/main/augment), equal to
// them byte for byte. They compute with the same float64 (or float32) operations in the same
// order; the build turns off fused multiply-adds (-ffp-contract=off) so the compiler cannot merge
// a*b + c into one rounding where JS rounds twice, and JS's Math.round (half up) is round_half_up.
// Anything that needs exp/log/pow/sin/cos comes in as a table computed in JS (libm may differ from
// V8 in the last bit). Every kernel bounds-checks its reads: a wrong argument gives wrong pixels,
// never a read outside a buffer (ops_napi.c also checks every size against its buffer).
#ifndef LOCKSTEP_OPS_H
#define LOCKSTEP_OPS_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// noise.ts hash32: a value's 32 random bits from (key, index) (lowbias32 of key + index); the
// counter-based noise of kernels 2 (ops_q.c) and elastic's kernels-3 noise (ops_field.c)
static inline uint32_t ops_hash32(uint32_t key, uint32_t i) {
  uint32_t x = key + i;
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// Whether the SIMD kernels (ops_geom.c, ops_field.c, ops_filter.c, ops_colour.c) take their AVX2
// variant: an x86-64 CPU with AVX2, unless LOCKSTEP_AVX2=0 (the tests run the SSE2 baseline that
// way; read at each call) or the build defines LOCKSTEP_NO_AVX2.
int ops_avx2(void);

// sfc32, seeded by the JS side (Rng.state()): the same stream as src/main/augment/rng.ts.
typedef struct {
  uint32_t a, b, c, d;
} sfc32;
uint32_t sfc32_u32(sfc32 *r);
double sfc32_next(sfc32 *r);

// A view of source pixels (a region of a whole source), as warp.ts's SourceView.
typedef struct {
  const void *data;
  size_t len;  // elements
  int left, top, width, height, source_width, source_height;
} view;

// warp.ts warpBilinearRgb: one affine (output -> source) with constant-fill bounds (8 doubles per
// canvas: a b c d e f w h), out W x H x 3 (pixels outside every span keep what out holds).
void op_warp_bilinear_rgb(const view *src, const double *A, const double *bounds, int nbounds, int W, int H, uint8_t *out);

// warp-chain.ts: a chain's points (links flattened as chain_link records, fields as maps).
typedef struct {
  const double *map;  // NULL: no field
  int map_w, map_h;
  double m[6];
  const double *bounds;  // 8 doubles each
  int nbounds;
  int w, h, mode;
  int formula;  // kernels 3: -1 none; 0 grid, 1 optical, 2 perspective, their parameters at `map` (op_chain_coords_q)
} chain_link;
void op_chain_coords(const chain_link *links, int nlinks, int W, int H, double *out);  // (formula links: ops_formula_at)
void op_sample_rgb(const double *coords, size_t n, const view *src, int mode, int pfx, int pfy, uint8_t *out);
void op_sample_labels(const double *coords, size_t n, const view *src, int depth, int mode, int fill, void *out);
int op_area_reduce(const uint8_t *src, int w, int h, int fx, int fy, uint8_t *out);  // -1: out of memory (ops_field.c)

// Pixel ops on h x w x 3 RGB (n = bytes), in place.
void op_hue(uint8_t *d, size_t n, double shift);
void op_hsv_power(uint8_t *d, size_t n, const double *vlut, const double *spow);
void op_hsv_map(uint8_t *d, size_t n, const uint8_t *lh, const uint8_t *ls, const uint8_t *lv, const uint8_t *pre);  // pre: a table first (or NULL)
void op_gaussian_noise(uint8_t *d, size_t n, sfc32 *r, double std, int per_channel, const double *table);
void op_salt_pepper(uint8_t *d, size_t n, sfc32 *r, double amount, double salt);
void op_multiplicative(uint8_t *d, size_t n, sfc32 *r, double lo, double hi, int per_channel);
// blur.ts blurRgb: separable kernel k (2r + 1 taps), float32 intermediate, edges replicated.
int op_blur(uint8_t *d, int w, int h, const double *k, int r, float *tmp);  // -1: out of memory (d untouched)
// filter.ts convolve: taps (dx, dy, weight) with BORDER_REFLECT_101, rounded to nearest even.
int op_convolve(uint8_t *d, int w, int h, const double *taps, int ntaps, uint8_t *src_copy);  // -1: out of memory
// filter.ts medianRgb: k x k median per channel, edges replicated.
void op_median(uint8_t *d, int w, int h, int k, uint8_t *src_copy);
// ---- kernels 2 (ops_q.c): integer algorithms, exact in JS and C by construction -------------------
// region.ts rowSpan: the output pixels of row y inside every bound
void op_row_span(const double *fb, int nb, int y, int W, int *x0, int *x1);
// noise.ts: counter-based noise (hash of key and value index)
void op_gaussian_noise_q(uint8_t *d, size_t n, uint32_t key, int per_channel, const int32_t *table);  // table: 4097 ints
void op_salt_pepper_q(uint8_t *d, size_t n, uint32_t key, uint32_t key2, double amount, double salt);

// ---- one-affine geometry (ops_geom.c) -------------------------------------------------------------
// warp.ts warpBilinearQ (kernels 2): one affine, OpenCV's fixed point (1/32 pixel taps, weights summing to 1024)
int op_warp_bilinear_q(const view *src, const double *A, const double *bounds, int nbounds, int W, int H, uint8_t *out);  // -1: out of memory
// warp.ts warpNearest: labels (8- or 16-bit), filled with `fill` outside.
int op_warp_nearest(const view *src, int depth, const double *A, const double *bounds, int nbounds, int W, int H, int fill, void *out);  // -1: out of memory
// n pixels of a row backwards (jpeg.c put_row; ops_geom.c op_mirror_rgb's tail): q's pixel x is s's
// pixel -x (s points at the row's last pixel), from pixel x on. RGB: a 4-byte move a pixel, its
// fourth byte written over by the next pixel, everywhere a byte further stays inside both rows
// (the first and last pixels move 3 bytes); bytes: 8 at a time, byte-swapped.
static inline void mirror_rgb_from(const uint8_t *s, size_t x, size_t n, uint8_t *q) {
  if (x == 0 && n > 0) memcpy(q, s, 3), x = 1;
  for (; x + 1 < n; x++) {
    uint32_t v;
    memcpy(&v, s - 3 * x, 4);
    memcpy(q + 3 * x, &v, 4);
  }
  if (x < n) memcpy(q + 3 * x, s - 3 * x, 3);
}
static inline void mirror_rgb(const uint8_t *s, size_t n, uint8_t *q) { mirror_rgb_from(s, 0, n, q); }
static inline void mirror8(const uint8_t *s, size_t n, uint8_t *q) {
  size_t x = 0;
  for (; x + 8 <= n; x += 8) {
    uint64_t v;
    memcpy(&v, s - x - 7, 8);
    v = __builtin_bswap64(v);
    memcpy(q + x, &v, 8);
  }
  for (; x < n; x++) q[x] = *(s - x);
}

// mirror_rgb, 5 pixels a byte shuffle where the CPU has AVX2 (warp.ts warpExact, mapRegion's flop)
void op_mirror_rgb(const uint8_t *s, size_t n, uint8_t *q);
// warp.ts warpExact: an exact A (signed permutation, integer offsets); out W x ? x ch (8- or 16-bit),
// written in valid = [x0, y0, x1, y1] only (the caller fills the rest).
void op_warp_exact(const view *src, int ch, int depth, const double *A, int W, const int *valid, void *out);
// ---- fields (ops_field.c): the displacement/chain path ------------------------------------------------
// warp-chain.ts coordsRegion: rect = left, top, width, height; 1 found, 0 all fill, -1 a point the
// JS reference must decide (non-finite or far coordinates)
int op_coords_region(const double *coords, size_t n, int sw, int sh, int mode, int pfx, int pfy, int rect[4]);
// the map pixels field_at reads for these points (rect as above, within fw x fh)
void op_points_box(const double *pts, size_t n, int fw, int fh, int rect[4]);
// distortion.ts elasticMap's values in the window (noise drawn from `state`, blurred by k (2r + 1
// taps), times alpha, through the affine inv); -1: out of memory
// warp-chain.ts sampleRgb as op_sample_rgb, 4 points at a time where they need no fold
void op_sample_rgb_blocks(const double *coords, size_t n, const view *src, int mode, int pfx, int pfy, uint8_t *out);
int op_elastic_window(sfc32 *state, int w, int h, const double *k, int r, double alpha, const double inv[6], int x0, int y0, int x1, int y1, double *map);
// ---- chain, kernels 3 (ops_field.c): new definitions for plans with kernels >= 3 ----------------------
// warp-chain.ts sampleRgbQJs: op_sample_rgb's taps, integer weights (fractions in 1/32, sum 1024)
void op_sample_rgb_q(const double *coords, size_t n, const view *src, int mode, int pfx, int pfy, uint8_t *out);
// distortion.ts elasticMapQJs's values in the window (counter-based noise from keys kx, ky); -1: out of memory
// distortion.ts grid (0: xx then yy), optical (1: k, cx, cy, ncx, ncy) and perspective (2: homography) maps in [x0, x1) x [y0, y1)
void op_field_window(int kind, const double *p, int w, int h, int x0, int y0, int x1, int y1, double *map);
// warp-chain.ts sampleRgbQJs / sampleLabelsJs for a chain of axis-aligned affines, from per-column and per-row tables
int op_sample_axes_q(const view *src, const int32_t *cols, int W, const int32_t *rows, int H, uint8_t *out);  // -1: out of memory
void op_labels_axes(const view *src, int depth, const int32_t *mx, int W, const int32_t *my, int H, int fill, void *out);
// ops_geom.c's 8-bit nearest rows 16 columns a byte shuffle (AVX2; NULL tables: per column), for op_labels_axes
int32_t *ops_nn_blocks8(const int32_t *col, int W, int rw, uint8_t **idx);
void ops_nn_row8(const uint8_t *s, const int32_t *col, const int32_t *base, const uint8_t *idx, int x0, int x1, uint8_t fill, uint8_t *o);
// warp-chain.ts sampleAreaAxesJs: a prefiltered axis-aligned chain from kx taps per column, ky per row (weights summing to <= 2^12 each, shift 1..24; ties to even or up); -1: out of memory
int op_sample_area_axes(const view *src, const int32_t *xi, const int32_t *xw, int W, int kx, const int32_t *yi, const int32_t *yw, int H, int ky, int shift, int even, uint8_t *out);
int op_elastic_window_q(uint32_t kx, uint32_t ky, int w, int h, const double *k, int r, double alpha, const double inv[6], int x0, int y0, int x1, int y1, double *map);

// ---- filters (ops_filter.c): the filter family's SIMD kernels -----------------------------------------
// filter.ts medianRgb for k = 3, 5, 7 (min/max networks); 1: k not handled here, -1: out of memory
int op_median_net(uint8_t *d, int w, int h, int k);
// blur.ts blurRgb and filter.ts convolve, vectorized across output values (the same float64 operations
// per output); 1: a kernel whose sums could reach 2^30 (or NaN / infinite weights), left to op_blur /
// op_convolve; -1: out of memory (d untouched)
int op_blur_fast(uint8_t *d, int w, int h, const double *k, int r);
int op_convolve_fast(uint8_t *d, int w, int h, const double *taps, int ntaps);
// the SIMD variant they run now: "avx2", "sse2" (also with LOCKSTEP_AVX2=0) or "c"
const char *op_filter_simd(void);
// ---- colour (ops_colour.c): tables, histograms, grey and CLAHE of ops/colour.ts, hsv.ts, histogram.ts ----
// one table for every byte (photometric.ts applyLut): in place, and from s to d (s == d, or apart)
void op_lut(uint8_t *d, size_t n, const uint8_t *lut);
void op_lut_to(uint8_t *d, const uint8_t *s, size_t n, const uint8_t *lut);
// per-channel tables on interleaved RGB (byte i takes table i % 3)
void op_lut3(uint8_t *d, size_t n, const uint8_t *l0, const uint8_t *l1, const uint8_t *l2);
// the lowest and highest byte (out[0], out[1]; 255 and 0 when n is 0)
void op_minmax(const uint8_t *d, size_t n, uint8_t *out);
// each channel's histogram: hist[c * 256 + v] (768 counters)
void op_hist3(const uint8_t *d, size_t n, uint32_t *hist);
// cv2.COLOR_RGB2GRAY in all three channels; the sum of grey over the pixels
void op_grey(uint8_t *d, size_t n);
uint64_t op_grey_sum(const uint8_t *d, size_t n, const uint8_t *pre);  // of the values through pre (or NULL)
// hsv.ts adjustSaturation (cv2.addWeighted of the image and its grey, float32)
void op_saturation(uint8_t *d, size_t n, double factor, const uint8_t *pre);  // pre: a table first (or NULL)
// histogram.ts claheRgb on w x h x 3: 0, -1 out of memory, -2 a plane smaller than its tile
// grid's reflection reaches (d untouched in both)
int op_clahe_rgb(uint8_t *d, int w, int h, double clip, int tiles);
// colour.ts hsvPowerQ (kernels 3): 16-bit fixed point from the tables a, u, w (256 entries each)
void op_hsv_power_q(uint8_t *d, size_t n, const int32_t *a, const double *u, const double *w);
// colour.ts hsvPower's table entries the image needs: indices max * 256 + min (max > 0), increasing;
// the count (-1: out of memory)
int op_hsv_pairs(const uint8_t *d, size_t n, uint16_t *list);
// colour.ts hueQ (kernels 3): the hue turned by sq / 2^20 sectors (0 <= sq < 6 * 2^20), in integers;
// pre: a per-value table first (or NULL)
void op_hue_q(uint8_t *d, size_t n, int32_t sq, const uint8_t *pre);

// ---- filters, kernels 3 (ops_filter.c; ops/filter-q.ts): exact integer definitions ----------------------
// variant: -1 the best this CPU has, 0 plain C, 1 SSE2, 2 AVX2 (the fuzzer compares them); 0, or -1
// out of memory (d untouched).
// Gaussian: q = 2r + 1 Q14 taps, symmetric, each >= 0, sum 2^14; edges replicated.
int op_blur_q(uint8_t *d, int w, int h, const int32_t *q, int r, int variant);
// Sharpen: (c x - a N8) / 2^14 rounded to nearest even, clamped (0 <= c <= 2^19, 0 <= a <= 2^14); BORDER_REFLECT_101.
int op_sharpen_q(uint8_t *d, int w, int h, int c, int a, int variant);
// Line mean: (sum of nt samples at offsets (dx, dy)) x q / 2^shift rounded to nearest even, clamped
// (nt <= 128, |offset| <= 1000, 0 <= q <= 32767, 1 <= shift <= 30); BORDER_REFLECT_101.
int op_line_mean_q(uint8_t *d, int w, int h, const int32_t *offsets, int nt, int q, int shift, int variant);

// ---- noise, kernels 3 (ops_q.c; ops/noise.ts hashedNormal3Js) -------------------------------------------
// value k takes hash32(key, k >> 1)'s low (k even) or high (k odd) 16 bits as an index into table
// (65536 entries, each within +-256), added and clamped; per_channel 0: k counts pixels
void op_gaussian_noise_q3(uint8_t *d, size_t n, uint32_t key, int per_channel, const int16_t *table);
// ---- fields, kernels 3 (ops_field.c; fields4) ----------------------------------------------------------
// warp-chain.ts chainCoordsJs of a kernels-3 chain: links whose field is a formula (distortion.ts
// fieldFormulaAt) evaluate it at the point, others as op_chain_coords; 4 points at a time
void op_chain_coords_q(const chain_link *links, int nlinks, int W, int H, double *out);
// distortion.ts fieldFormulaAt for one point (a link whose formula is >= 0; op_chain_coords uses it)
void ops_formula_at(const chain_link *L, double x, double y, double *ox, double *oy);
// ops.c's fold_coord and field_at, for one lane of op_chain_coords_q
double ops_fold_coord(double u, double n, int mode);
void ops_field_at(const chain_link *L, double x, double y, double *ox, double *oy);
// warp-chain.ts sampleLabels as op_sample_labels, 4 points at a time where they need no fold
void op_sample_labels_blocks(const double *coords, size_t n, const view *src, int depth, int mode, int fill, void *out);

#endif
