// A time-bounded mutation fuzzer for the native kernels, built and run under AddressSanitizer and
// UndefinedBehaviorSanitizer by test/io/fuzz.test.ts (which writes the corpus: JPEG baseline,
// progressive, restart markers, grey, odd sizes; PNG 8/16-bit grey, palette, low bit depths, RGB,
// interlaced, several IDATs, a zlib bomb). Each round takes a corpus file, mutates it (bit flips,
// interesting bytes, truncation, inserted or deleted bytes, a PNG's IDAT data changed with its
// CRC recomputed, a JPEG header field changed) and hands it to every target for its kind. Any
// out-of-bounds access, leak or undefined behaviour aborts with the sanitizer's report; a target's
// own invariant (CHECK) aborts too.
//
//   fuzz CORPUS_DIR SECONDS SEED  -> prints "ok <rounds> <calls>" and the calls per target
//   (FUZZ_ONLY=name[,name]: only those targets, e.g. a long run of check_jpeg alone)
//
// Pointing it at a new kernel: write `static void t_name(const input *in, rng *r)` that calls the
// kernel on in->data / in->n (with sizes or regions drawn from r), add one line to TARGETS.
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "../decoders.h"
#include "../ops.h"

typedef struct { uint64_t s; } rng;
static uint32_t next(rng *r) {
  r->s ^= r->s << 13, r->s ^= r->s >> 7, r->s ^= r->s << 17;
  return (uint32_t)(r->s >> 11);
}
static int between(rng *r, int lo, int hi) { return hi <= lo ? lo : lo + (int)(next(r) % (uint32_t)(hi - lo + 1)); }
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed line %d: %s\n", __LINE__, #c); abort(); } } while (0)

enum { KIND_JPEG = 1, KIND_PNG = 2 };
typedef struct {
  int kind;
  const uint8_t *data; // the (mutated) file
  size_t n;
  // PNG: the header and the IDAT stream (when the chunk walk found them)
  uint32_t width, height;
  int depth, color, interlaced;
  uint8_t *zlib;
  size_t zn;
} input;

typedef struct {
  const char *name;
  int kind;
  void (*run)(const input *in, rng *r);
  long calls;
} target;

static char msg[MESSAGE_MAX];

// ---- targets ------------------------------------------------------------------------------------

static void t_jpeg_region(const input *in, rng *r) {
  int w = between(r, 1, 300), h = between(r, 1, 300), x = between(r, 0, 400), y = between(r, 0, 400);
  uint8_t lut[256];
  for (int i = 0; i < 256; i++) lut[i] = (uint8_t)(255 - i);
  uint8_t *out = malloc((size_t)w * h * 3);
  jpeg_region(in->data, in->n, x, y, w, h, next(r) & 1, next(r) & 1 ? lut : NULL, out, msg);
  free(out);
}

// The check before its hot loops were rewritten (test/check_jpeg_old.c): the same verdict, in the same words.
int check_jpeg_old(const uint8_t *src, size_t n, uint64_t max_pixels, char *message);
extern size_t check_jpeg_batches_from; // (check_jpeg.c built with CHECK_JPEG_TEST)
static long old_new_compared;

static void t_check_jpeg(const input *in, rng *r) {
  const uint64_t max = (next(r) & 3) ? 200000000ull : (uint64_t)between(r, 1, 5000);
  check_jpeg_batches_from = (next(r) & 1) ? 0 : 16384; // batched steps or one symbol a step, on the same small files
  int v = check_jpeg(in->data, in->n, max, msg);
  CHECK(v >= CHECK_OK && v <= CHECK_UNSUPPORTED);
  CHECK(v == CHECK_OK ? msg[0] == 0 : msg[0] != 0);
  CHECK(strlen(msg) < MESSAGE_MAX);
  char old[MESSAGE_MAX];
  int o = check_jpeg_old(in->data, in->n, max, old);
  if (o != v || strcmp(old, msg) != 0) {
    fprintf(stderr, "check_jpeg differs from the old check: %d \"%s\" vs %d \"%s\" (the input: check_jpeg_differs.jpg)\n", v, msg, o, old);
    FILE *f = fopen("check_jpeg_differs.jpg", "wb");
    if (f) fwrite(in->data, 1, in->n, f), fclose(f);
    abort();
  }
  old_new_compared++;
}

/** The rows of a PNG's passes, from its header (as check-png.ts pngRows); 0 passes when the header is unusable. */
static int png_layout(const input *in, uint32_t *rows, uint64_t *strides) {
  static const int ch[7] = {1, 0, 3, 1, 2, 0, 4};
  if (!in->zlib || in->color > 6 || !ch[in->color] || in->depth < 1 || in->depth > 16) return 0;
  if (!in->width || !in->height || (uint64_t)in->width * in->height > 4000000) return 0;
  const uint64_t bits = (uint64_t)ch[in->color] * (uint64_t)in->depth;
  static const int adam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
  const int np = in->interlaced ? 7 : 1;
  for (int p = 0; p < np; p++) {
    const int *a = in->interlaced ? adam7[p] : (const int[4]){0, 0, 1, 1};
    uint64_t w = in->width > (uint32_t)a[0] ? (in->width - a[0] + a[2] - 1) / a[2] : 0, h = in->height > (uint32_t)a[1] ? (in->height - a[1] + a[3] - 1) / a[3] : 0;
    rows[p] = (uint32_t)(w && h ? h : 0);
    strides[p] = (w * bits + 7) / 8 + 1;
  }
  return np;
}

static void t_check_png(const input *in, rng *r) {
  (void)r;
  uint32_t rows[7];
  uint64_t strides[7];
  int np = png_layout(in, rows, strides);
  if (!np) return;
  png_check_result res;
  int v = check_png_data(in->zlib, in->zn, np, rows, strides, NULL, 0, &res);
  CHECK((v == DONE) == (res.kind == PNG_OK));
}

static void t_png_labels(const input *in, rng *r) {
  if (!in->zlib || in->depth != 8 || (in->color != 0 && in->color != 3) || in->interlaced || (uint64_t)in->width * in->height > 4000000) return;
  int W = (int)in->width, H = (int)in->height;
  int x = between(r, 0, W - 1), y = between(r, 0, H - 1), w = between(r, 1, W - x), h = between(r, 1, H - y);
  uint8_t *a = malloc((size_t)w * h), *b = malloc((size_t)w * h);
  png_check_result res;
  int plain = png_labels(in->zlib, in->zn, W, H, x, y, w, h, a, msg);
  int checked = png_labels_checked(in->zlib, in->zn, W, H, x, y, w, h, b, &res, msg);
  // a stream the check passes decodes, and to the same region as the unchecked read
  if (checked == DONE) CHECK(plain == DONE && memcmp(a, b, (size_t)w * h) == 0);
  uint32_t rows[7];
  uint64_t strides[7];
  if (png_layout(in, rows, strides) == 1) {
    png_check_result whole;
    CHECK((check_png_data(in->zlib, in->zn, 1, rows, strides, NULL, 0, &whole) == DONE) == (checked == DONE));
  }
  free(a);
  free(b);
}

static void t_jpeg_encode(const input *in, rng *r) {
  // pixels from the input's bytes (any values), sizes and settings drawn, output buffer too small at times
  int w = between(r, 1, 64), h = between(r, 1, 64), q = between(r, 1, 100), flags = between(r, 0, 7);
  size_t need = (size_t)w * h * 3, cap = (next(r) & 3) ? need + 4096 : (size_t)between(r, 1, 600);
  uint8_t *px = malloc(need), *out = malloc(cap);
  for (size_t i = 0; i < need; i++) px[i] = in->n ? in->data[i % in->n] : 0;
  size_t written = 0;
  int v = jpeg_encode(px, w, h, q, flags, out, cap, &written, msg);
  if (v == DONE) CHECK(written <= cap && check_jpeg(out, written, 200000000ull, msg) == CHECK_OK);
  free(px);
  free(out);
}

// The op kernels (ops.c): the input's bytes as pixels and parameters (doubles from raw bytes:
// NaN, infinities and huge values included), sizes drawn, views built as ops_napi.c validates them.
static double any_double(const input *in, rng *r) {
  double v = 0;
  if (in->n >= 8 && (next(r) & 3) == 0) {
    size_t o = next(r) % (in->n - 7);
    memcpy(&v, in->data + o, 8);
    return v;
  }
  return ((double)(int32_t)next(r)) / (1 << between(r, 0, 20));
}
static uint8_t *pixels_of(const input *in, size_t n) {
  uint8_t *p = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++) p[i] = in->n ? in->data[(i * 7) % in->n] : (uint8_t)i;
  return p;
}

static void t_op_geometry(const input *in, rng *r) {
  int sw = between(r, 1, 40), sh = between(r, 1, 40), W = between(r, 1, 32), H = between(r, 1, 32);
  int rw = between(r, 1, sw), rh = between(r, 1, sh);
  uint8_t *src = pixels_of(in, (size_t)rw * rh * 3);
  uint16_t *lab16 = malloc((size_t)rw * rh * 2);
  for (int i = 0; i < rw * rh; i++) lab16[i] = src[i];
  view v = {src, (size_t)rw * rh * 3, between(r, 0, sw - rw), between(r, 0, sh - rh), rw, rh, sw, sh};
  double A[6], fb[16];
  for (int i = 0; i < 6; i++) A[i] = any_double(in, r);
  for (int i = 0; i < 16; i++) fb[i] = i % 8 < 6 ? any_double(in, r) : between(r, 1, 50);
  uint8_t *out = calloc((size_t)W * H * 3, 1);
  uint16_t *out16 = malloc((size_t)W * H * 2);
  op_warp_bilinear_rgb(&v, A, fb, between(r, 0, 2), W, H, out);
  CHECK(op_warp_bilinear_q(&v, A, fb, between(r, 0, 2), W, H, out) == 0);  // kernels 2
  view vl = v;
  vl.data = lab16;
  vl.len = (size_t)rw * rh;
  CHECK(op_warp_nearest(&vl, 16, A, fb, between(r, 0, 2), W, H, 255, out16) == 0);
  view v8 = v;  // 8-bit labels: the region's first bytes
  v8.len = (size_t)rw * rh;
  CHECK(op_warp_nearest(&v8, 8, A, fb, between(r, 0, 2), W, H, 7, out) == 0);
  const double Ax[6] = {A[0], (next(r) & 1) ? -0.0 : 0.0, A[2], 0, A[4], A[5]};  // axis-aligned: the tabled path
  CHECK(op_warp_nearest(&vl, 16, Ax, fb, between(r, 0, 2), W, H, 255, out16) == 0);
  {  // (8-bit: the AVX2 16-column blocks and the per-column baseline give the same labels)
    const int nbd = between(r, 0, 2);
    uint8_t *o2 = malloc((size_t)W * H);
    setenv("LOCKSTEP_AVX2", "1", 1);
    CHECK(op_warp_nearest(&v8, 8, Ax, fb, nbd, W, H, 7, out) == 0);
    setenv("LOCKSTEP_AVX2", "0", 1);
    CHECK(op_warp_nearest(&v8, 8, Ax, fb, nbd, W, H, 7, o2) == 0);
    unsetenv("LOCKSTEP_AVX2");
    CHECK(memcmp(out, o2, (size_t)W * H) == 0);
    free(o2);
  }
  // exact copies: a signed permutation with integer offsets (as ops_napi.c admits them), any window
  static const double perms[8][4] = {{1, 0, 0, 1}, {-1, 0, 0, 1}, {1, 0, 0, -1}, {-1, 0, 0, -1}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, -1, 0}, {0, -1, -1, 0}};
  const double *pm = perms[between(r, 0, 7)];
  const double E[6] = {pm[0], pm[1], between(r, -50, 90), pm[2], pm[3], between(r, -50, 90)};
  int x0 = between(r, 0, W), y0 = between(r, 0, H);
  const int valid[4] = {x0, y0, between(r, x0, W), between(r, y0, H)};
  op_warp_exact(&v, 3, 8, E, W, valid, out);
  op_warp_exact(&vl, 1, 16, E, W, valid, out16);
  op_warp_exact(&v8, 1, 8, E, W, valid, out);
  // a chain with a field
  int mw = between(r, 1, 8), mh = between(r, 1, 8);
  double *map = malloc(sizeof(double) * mw * mh * 2);
  for (int i = 0; i < mw * mh * 2; i++) map[i] = any_double(in, r);
  chain_link links[2];
  for (int k = 0; k < 2; k++) {
    links[k] = (chain_link){.map = k ? map : NULL, .map_w = mw, .map_h = mh, .bounds = fb, .nbounds = between(r, 0, 2), .w = between(r, 1, 50), .h = between(r, 1, 50), .mode = between(r, 0, 4), .formula = -1};
    for (int i = 0; i < 6; i++) links[k].m[i] = any_double(in, r);
  }
  double *coords = malloc(sizeof(double) * W * H * 2);
  op_chain_coords(links, 2, W, H, coords);
  for (int i = 0; i < W * H * 2; i += 7) coords[i] = any_double(in, r);
  op_sample_rgb(coords, (size_t)W * H, &v, between(r, 0, 4), between(r, 1, 4), between(r, 1, 4), out);
  op_sample_rgb_blocks(coords, (size_t)W * H, &v, between(r, 0, 4), between(r, 1, 4), between(r, 1, 4), out);  // ops_field.c
  op_sample_labels(coords, (size_t)W * H, &vl, 16, between(r, 0, 4), 7, out16);
  int fx = between(r, 1, 5), fy = between(r, 1, 5);
  uint8_t *red = malloc((size_t)((rw + fx - 1) / fx) * ((rh + fy - 1) / fy) * 3);
  CHECK(op_area_reduce(src, rw, rh, fx, fy, red) == 0);
  int rect[4];
  if (op_coords_region(coords, (size_t)W * H, sw, sh, between(r, 0, 4), fx, fy, rect) == 1) CHECK(rect[0] >= 0 && rect[1] >= 0 && rect[0] + rect[2] <= sw && rect[1] + rect[3] <= sh);
  op_points_box(coords, (size_t)W * H, mw, mh, rect);
  CHECK(rect[0] >= 0 && rect[1] >= 0 && rect[2] >= 1 && rect[3] >= 1 && rect[0] + rect[2] <= mw && rect[1] + rect[3] <= mh);
  free(red);
  free(coords);
  free(map);
  free(out16);
  free(out);
  free(lab16);
  free(src);
}

// filters (ops_filter.c): the SIMD kernels give the scalar kernels' bytes (or decline: 1)
static void filters_agree(const uint8_t *d, int w, int h, const double *k, int kr, const double *taps, int nt, rng *r) {
  size_t n = (size_t)w * h * 3;
  uint8_t *a = malloc(n), *b = malloc(n), *copy = malloc(n);
  float *tmp = malloc(sizeof(float) * n);
  int mk = 2 * between(r, 0, 4) + 1;
  memcpy(a, d, n), memcpy(b, d, n);
  int got = op_median_net(a, w, h, mk);
  op_median(b, w, h, mk, copy);
  CHECK(got == 1 ? mk != 3 && mk != 5 && mk != 7 : got == 0 && memcmp(a, b, n) == 0);
  double g[25];  // a normalised kernel too (any_double weights mostly decline)
  for (int i = 0; i <= 2 * kr; i++) g[i] = 1.0 / (1 + (i - kr) * (i - kr));
  const double *kk = next(r) & 1 ? g : k;
  memcpy(a, d, n), memcpy(b, d, n);
  got = op_blur_fast(a, w, h, kk, kr);
  CHECK(op_blur(b, w, h, kk, kr, tmp) == 0);
  CHECK(got == 1 || (got == 0 && memcmp(a, b, n) == 0));
  memcpy(a, d, n), memcpy(b, d, n);
  got = op_convolve_fast(a, w, h, taps, nt);
  CHECK(op_convolve(b, w, h, taps, nt, copy) == 0);
  CHECK(got == 1 || (got == 0 && memcmp(a, b, n) == 0));
  free(a), free(b), free(copy), free(tmp);
}

static void t_op_pixels(const input *in, rng *r) {
  int w = between(r, 1, 40), h = between(r, 1, 40);
  size_t n = (size_t)w * h * 3;
  uint8_t *d = pixels_of(in, n), *copy = malloc(n);
  float *tmp = malloc(sizeof(float) * n);
  sfc32 s = {next(r), next(r), next(r), next(r)};
  double *table = malloc(sizeof(double) * 65537), *vlut = malloc(sizeof(double) * 256), *spow = malloc(sizeof(double) * 65536);
  for (int i = 0; i < 65537; i++) table[i] = (i - 32768) / 8192.0;
  for (int i = 0; i < 256; i++) vlut[i] = any_double(in, r);
  for (int i = 0; i < 65536; i++) spow[i] = (i & 255) / 255.0;
  uint8_t lut[256];
  for (int i = 0; i < 256; i++) lut[i] = (uint8_t)next(r);
  op_hue(d, n, any_double(in, r));
  op_hue_q(d, n, (int32_t)(next(r) % (6u << 20)), next(r) & 1 ? lut : NULL);  // kernels 3: the glue lets 0 <= sq < 6 * 2^20 through
  op_hsv_power(d, n, vlut, spow);
  int32_t qa[256];
  double qu[256], qw[256];
  for (int i = 0; i < 256; i++) qa[i] = (int32_t)next(r), qu[i] = any_double(in, r), qw[i] = any_double(in, r);
  op_hsv_power_q(d, n, qa, qu, qw);
  op_hsv_map(d, n, lut, next(r) & 1 ? lut : NULL, NULL, next(r) & 1 ? lut : NULL);
  {  // (the AVX2 clone's 32-pixel steps and padded tail give the baseline's bytes, any tables)
    uint8_t tv[3][256], *c = malloc(n + 1);
    for (int k = 0; k < 3; k++)
      for (int i = 0; i < 256; i++) tv[k][i] = (uint8_t)next(r);
    const uint32_t m = next(r);
    const uint8_t *th = m & 1 ? lut : NULL, *ts = m & 2 ? tv[0] : NULL, *tl = m & 4 ? tv[1] : NULL, *tp = m & 8 ? tv[2] : NULL;
    memcpy(c, d, n);
    setenv("LOCKSTEP_AVX2", "1", 1);
    op_hsv_map(d, n, th, ts, tl, tp);
    setenv("LOCKSTEP_AVX2", "0", 1);
    op_hsv_map(c, n, th, ts, tl, tp);
    unsetenv("LOCKSTEP_AVX2");
    CHECK(memcmp(d, c, n) == 0);
    free(c);
  }
  // colour kernels (ops_colour.c)
  uint8_t mm[2];
  uint32_t hist[768];
  uint16_t *pairs = malloc(sizeof(uint16_t) * 65536);
  op_lut3(d, n, lut, lut + 0, lut);
  op_minmax(d, n, mm);
  CHECK(mm[0] <= mm[1]);
  op_hist3(d, n, hist);
  uint64_t total = 0;
  for (int i = 0; i < 768; i++) total += hist[i];
  CHECK(total == n);
  (void)op_grey_sum(d, n, next(r) & 1 ? lut : NULL);
  op_saturation(d, n, any_double(in, r), next(r) & 1 ? lut : NULL);
  int np = op_hsv_pairs(d, n, pairs);
  CHECK(np >= 0 && np <= 65536);
  int rc = op_clahe_rgb(d, w, h, any_double(in, r), between(r, 1, 64));
  CHECK(rc == 0 || rc == -2);
  op_grey(d, n);
  free(pairs);
  op_gaussian_noise(d, n, &s, any_double(in, r), next(r) & 1, table);
  op_salt_pepper(d, n, &s, any_double(in, r), any_double(in, r));
  op_multiplicative(d, n, &s, any_double(in, r), any_double(in, r), next(r) & 1);
  // kernels 2: tables, counter-based noise (a normal table of the JS side's range: |std z 256| < 2^20)
  op_lut(d, n, lut);
  int32_t qt[4097];
  for (int i = 0; i < 4097; i++) qt[i] = (int32_t)(next(r) % (1u << 21)) - (1 << 20);
  op_gaussian_noise_q(d, n, next(r), next(r) & 1, qt);
  op_salt_pepper_q(d, n, next(r), next(r), any_double(in, r), any_double(in, r));
  // kernels 3: two values per hash from a 65536-entry table within +-256 (the glue's range); odd lengths too
  int16_t *t16 = malloc(65536 * sizeof *t16);
  CHECK(t16 != NULL);
  for (int i = 0; i < 65536; i++) t16[i] = (int16_t)((int)(next(r) % 513) - 256);
  op_gaussian_noise_q3(d, n, next(r), next(r) & 1, t16);
  op_gaussian_noise_q3(d, n - (n > 0 ? 1 : 0), next(r), 1, t16);
  free(t16);
  int kr = between(r, 0, 12);
  double k[25], taps[27];
  for (int i = 0; i < 2 * kr + 1; i++) k[i] = any_double(in, r);
  CHECK(op_blur(d, w, h, k, kr, tmp) == 0);
  int nt = between(r, 1, 9);
  for (int i = 0; i < nt; i++) {
    taps[i * 3] = between(r, -60, 60);
    taps[i * 3 + 1] = between(r, -60, 60);
    taps[i * 3 + 2] = any_double(in, r);
  }
  CHECK(op_convolve(d, w, h, taps, nt, copy) == 0);
  op_median(d, w, h, 2 * between(r, 0, 7) + 1, copy);
  // fields (ops_field.c): an elastic window, any affine and kernel
  double *map = malloc(sizeof(double) * w * h * 2), aff[6];
  for (int i = 0; i < 6; i++) aff[i] = any_double(in, r);
  int x0 = between(r, 0, w - 1), y0 = between(r, 0, h - 1);
  CHECK(op_elastic_window(&s, w, h, k, kr, any_double(in, r), aff, x0, y0, between(r, x0 + 1, w), between(r, y0 + 1, h), map) == 0);
  free(map);
  filters_agree(d, w, h, k, kr, taps, nt, r);
  free(table);
  free(vlut);
  free(spow);
  free(tmp);
  free(copy);
  free(d);
}

// filters, kernels 3 (ops_filter.c): every variant (plain C, SSE2, AVX2 where the CPU has it) gives
// the plain C's bytes, on any argument the Node-API glue lets through (extremes included)
static void q_variants_agree(const uint8_t *d, int w, int h, int (*run)(uint8_t *, int, int, const void *, int), const void *arg) {
  size_t n = (size_t)w * h * 3;
  uint8_t *ref = malloc(n), *got = malloc(n);
  memcpy(ref, d, n);
  CHECK(run(ref, w, h, arg, 0) == 0);
  for (int v = 1; v <= 2; v++) {
    memcpy(got, d, n);
    CHECK(run(got, w, h, arg, v) == 0);
    CHECK(memcmp(ref, got, n) == 0);
  }
  free(ref), free(got);
}
typedef struct { const int32_t *q; int r, c, a, nt, mul, shift; } q_args;
static int run_blur_q(uint8_t *d, int w, int h, const void *p, int v) { const q_args *a = p; return op_blur_q(d, w, h, a->q, a->r, v); }
static int run_sharpen_q(uint8_t *d, int w, int h, const void *p, int v) { const q_args *a = p; return op_sharpen_q(d, w, h, a->c, a->a, v); }
static int run_line_q(uint8_t *d, int w, int h, const void *p, int v) { const q_args *a = p; return op_line_mean_q(d, w, h, a->q, a->nt, a->mul, a->shift, v); }

static void t_filters_q(const input *in, rng *r) {
  int w = between(r, 1, 70), h = between(r, 1, 40);
  size_t n = (size_t)w * h * 3;
  uint8_t *d = pixels_of(in, n);
  int32_t q[121], offs[256];
  // Gaussian: symmetric taps >= 0 summing to 2^14 (r up to 60: wider and taller than the image too)
  q_args g = {.q = q, .r = between(r, 0, next(r) & 1 ? 60 : 6)};
  int32_t left = 16384;
  for (int k = g.r; k >= 1; k--) {
    int32_t t = (int32_t)between(r, 0, left / 2 < 4000 ? left / 2 : 4000);
    if (next(r) % 4 == 0) t = left / 2;  // the extremes: all weight at the ends
    q[g.r - k] = q[g.r + k] = t, left -= 2 * t;
  }
  q[g.r] = left;
  q_variants_agree(d, w, h, run_blur_q, &g);
  // sharpen: c in 0..2^19, a in 0..2^14, extremes often
  q_args s = {.c = next(r) & 1 ? between(r, 0, 1 << 19) : (next(r) & 1 ? 1 << 19 : 0), .a = next(r) & 1 ? between(r, 0, 16384) : (next(r) & 1 ? 16384 : 0)};
  q_variants_agree(d, w, h, run_sharpen_q, &s);
  // line mean: 1..128 samples, offsets within +-60 (sometimes +-1000), any multiplier and shift
  q_args l = {.q = offs, .nt = between(r, 1, 128), .mul = next(r) & 1 ? between(r, 0, 32767) : 32767, .shift = between(r, 1, 30)};
  int reach = next(r) % 8 == 0 ? 1000 : 60;
  for (int t = 0; t < 2 * l.nt; t++) offs[t] = between(r, -reach, reach);
  q_variants_agree(d, w, h, run_line_q, &l);
  free(d);
}

// the chain's kernels-3 definitions (ops_field.c): the integer-weight sampler at any points (its
// AVX2 gathers read 4 bytes per tap: the view is exactly its pixels here), the axis tables as
// ops_napi.c admits them (inside the view or -1), counter-based elastic windows, field windows
static void t_chain_q(const input *in, rng *r) {
  int sw = between(r, 1, 40), sh = between(r, 1, 40), W = between(r, 1, 40), H = between(r, 1, 32);
  int rw = between(r, 1, sw), rh = between(r, 1, sh);
  uint8_t *src = pixels_of(in, (size_t)rw * rh * 3), *out = malloc((size_t)W * H * 3);
  uint16_t *lab16 = malloc((size_t)rw * rh * 2), *out16 = malloc((size_t)W * H * 2);
  for (int i = 0; i < rw * rh; i++) lab16[i] = src[i];
  view v = {src, (size_t)rw * rh * 3, between(r, 0, sw - rw), between(r, 0, sh - rh), rw, rh, sw, sh};
  double *coords = malloc(sizeof(double) * W * H * 2);
  for (int i = 0; i < W * H * 2; i++) coords[i] = (next(r) & 3) ? (double)between(r, -4000, sw * 1000 + 4000) / 1000 : any_double(in, r);
  op_sample_rgb_q(coords, (size_t)W * H, &v, between(r, 0, 4), between(r, 1, 4), between(r, 1, 4), out);
  int32_t *cols = malloc(sizeof(int32_t) * W * 3), *rows = malloc(sizeof(int32_t) * H * 3), *mx = malloc(sizeof(int32_t) * W), *my = malloc(sizeof(int32_t) * H);
  for (int x = 0; x < W; x++) {
    int fill = (next(r) & 7) == 0;
    cols[3 * x] = fill ? -1 : between(r, 0, rw - 1), cols[3 * x + 1] = fill ? -1 : between(r, 0, rw - 1), cols[3 * x + 2] = between(r, 0, 32);
    mx[x] = fill ? -1 : between(r, 0, rw - 1);
  }
  for (int y = 0; y < H; y++) {
    int fill = (next(r) & 7) == 0;
    rows[3 * y] = fill ? -1 : between(r, 0, rh - 1), rows[3 * y + 1] = fill ? -1 : between(r, 0, rh - 1), rows[3 * y + 2] = between(r, 0, 32);
    my[y] = fill ? -1 : between(r, 0, rh - 1);
  }
  CHECK(op_sample_axes_q(&v, cols, W, rows, H, out) == 0);
  view vl = v;
  vl.data = lab16, vl.len = (size_t)rw * rh;
  op_labels_axes(&vl, 16, mx, W, my, H, 9, out16);
  vl.data = src;  // 8-bit labels: the region's first bytes
  op_labels_axes(&vl, 8, mx, W, my, H, 9, out);
  // fields of a w x h canvas, in a window
  int w = between(r, 1, 40), h = between(r, 1, 40), kr = between(r, 0, 12);
  double *map = malloc(sizeof(double) * w * h * 2), k[25], aff[6], *p = malloc(sizeof(double) * (w + h + 9));
  for (int i = 0; i < 2 * kr + 1; i++) k[i] = any_double(in, r);
  for (int i = 0; i < 6; i++) aff[i] = any_double(in, r);
  for (int i = 0; i < w + h + 9; i++) p[i] = any_double(in, r);
  int x0 = between(r, 0, w - 1), y0 = between(r, 0, h - 1), x1 = between(r, x0 + 1, w), y1 = between(r, y0 + 1, h);
  CHECK(op_elastic_window_q(next(r), next(r), w, h, k, kr, any_double(in, r), aff, x0, y0, x1, y1, map) == 0);
  op_field_window(between(r, 0, 2), p, w, h, x0, y0, x1, y1, map);
  free(p), free(map), free(cols), free(rows), free(mx), free(my), free(coords), free(out16), free(lab16), free(out), free(src);
}

// a prefiltered axis-aligned chain's area taps (ops_field.c op_sample_area_axes) as ops_napi.c admits
// them (taps inside the view, weights >= 0 summing to at most 4096 per column and row, at most 128 per
// row half the time: the 16-bit path), shift 1..24: the AVX2 paths and the baseline give the same bytes
static void area_weights(rng *r, int32_t *w, int k, int cap) {
  int left = between(r, 0, cap);
  for (int j = 0; j < k; j++) {
    w[j] = (next(r) & 3) == 0 ? 0 : between(r, 0, left);
    left -= w[j];
  }
}
static void t_area_axes(const input *in, rng *r) {
  int sw = between(r, 1, 40), sh = between(r, 1, 40), W = between(r, 1, 40), H = between(r, 1, 24);
  int rw = between(r, 1, sw), rh = between(r, 1, sh), kx = between(r, 1, 7), ky = between(r, 1, 7);
  const int pairs = (next(r) & 3) == 0;  // bilinear-like columns: 2 taps, the second at the next column or the same (the pair pass)
  if (pairs) kx = 2;
  uint8_t *src = pixels_of(in, (size_t)rw * rh * 3), *a = malloc((size_t)W * H * 3), *b = malloc((size_t)W * H * 3);
  view v = {src, (size_t)rw * rh * 3, between(r, 0, sw - rw), between(r, 0, sh - rh), rw, rh, sw, sh};
  int32_t *xi = malloc(sizeof(int32_t) * W * kx), *xw = malloc(sizeof(int32_t) * W * kx), *yi = malloc(sizeof(int32_t) * H * ky), *yw = malloc(sizeof(int32_t) * H * ky);
  int ycap = next(r) & 1 ? 128 : 4096;
  for (int x = 0; x < W; x++) {
    for (int j = 0; j < kx; j++) xi[x * kx + j] = between(r, 0, rw - 1);
    if (pairs) xi[x * 2 + 1] = xi[x * 2] + (xi[x * 2] + 1 < rw && (next(r) & 7) != 0);
    area_weights(r, xw + x * kx, kx, (next(r) & 7) == 0 ? 0 : 4096);
  }
  for (int y = 0; y < H; y++) {
    for (int j = 0; j < ky; j++) yi[y * ky + j] = between(r, 0, rh - 1);
    area_weights(r, yw + y * ky, ky, (next(r) & 7) == 0 ? 0 : ycap);
  }
  int shift = between(r, 1, 24), even = (int)(next(r) & 1);
  setenv("LOCKSTEP_AVX2", "1", 1);
  CHECK(op_sample_area_axes(&v, xi, xw, W, kx, yi, yw, H, ky, shift, even, a) == 0);
  setenv("LOCKSTEP_AVX2", "0", 1);
  CHECK(op_sample_area_axes(&v, xi, xw, W, kx, yi, yw, H, ky, shift, even, b) == 0);
  unsetenv("LOCKSTEP_AVX2");
  CHECK(memcmp(a, b, (size_t)W * H * 3) == 0);
  free(xi), free(xw), free(yi), free(yw), free(a), free(b), free(src);
}

// fields4: kernels-3 chain points (formula links: grid, optical, perspective, or maps) at any
// parameters; without formulas op_chain_coords_q gives op_chain_coords's values bit for bit, and
// the blocked mask sampler gives op_sample_labels's labels, on any points
static void t_chain_points_q(const input *in, rng *r) {
  int sw = between(r, 1, 40), sh = between(r, 1, 40), W = between(r, 1, 40), H = between(r, 1, 32);
  int rw = between(r, 1, sw), rh = between(r, 1, sh);
  uint8_t *src = pixels_of(in, (size_t)rw * rh), *a8 = malloc((size_t)W * H), *b8 = malloc((size_t)W * H);
  uint16_t *lab16 = malloc((size_t)rw * rh * 2), *a16 = malloc((size_t)W * H * 2), *b16 = malloc((size_t)W * H * 2);
  for (int i = 0; i < rw * rh; i++) lab16[i] = (uint16_t)(src[i] * 257);
  view v = {src, (size_t)rw * rh, between(r, 0, sw - rw), between(r, 0, sh - rh), rw, rh, sw, sh};
  double fb[16], *params[3];
  for (int i = 0; i < 16; i++) fb[i] = i % 8 < 6 ? any_double(in, r) : between(r, 1, 50);
  chain_link links[3];
  int formulas = 0;
  for (int k = 0; k < 3; k++) {
    int f = between(r, -1, 2), mw = between(r, 1, 12), mh = between(r, 1, 12);
    size_t np = f == 0 ? (size_t)mw + mh : f == 1 ? 5 : f == 2 ? 9 : (size_t)mw * mh * 2;
    params[k] = malloc(sizeof(double) * np);
    for (size_t i = 0; i < np; i++) params[k][i] = (next(r) & 3) ? (double)between(r, -2000, 60000) / 1000 : any_double(in, r);
    int has = f >= 0 || (next(r) & 1);
    formulas |= f >= 0;
    links[k] = (chain_link){.map = has ? params[k] : NULL, .map_w = mw, .map_h = mh, .bounds = fb, .nbounds = between(r, 0, 2), .w = between(r, 1, 50), .h = between(r, 1, 50), .mode = between(r, 0, 4), .formula = f};
    for (int i = 0; i < 6; i++) links[k].m[i] = (next(r) & 3) ? (double)between(r, -3000, 3000) / 1000 : any_double(in, r);
  }
  double *coords = malloc(sizeof(double) * W * H * 2), *plain = malloc(sizeof(double) * W * H * 2);
  op_chain_coords_q(links, 3, W, H, coords);
  op_chain_coords(links, 3, W, H, plain);  // (point by point: the same values, NaN for NaN)
  for (int i = 0; i < W * H * 2; i++) CHECK(coords[i] == plain[i] || (coords[i] != coords[i] && plain[i] != plain[i]));
  (void)formulas;
  // a perspective op's chain (persp8: op_chain_coords_q's own loop): a crop without a field, then
  // the homography, constant fills, no bounds
  chain_link pl[2] = {links[0], links[1]};
  pl[0].map = NULL, pl[0].nbounds = 0, pl[0].mode = 0, pl[0].formula = -1;
  pl[1].map = params[2], pl[1].formula = 2, pl[1].nbounds = 0, pl[1].mode = 0;
  if (links[2].formula == 2) {
    op_chain_coords_q(pl, 2, W, H, coords);
    op_chain_coords(pl, 2, W, H, plain);
    for (int i = 0; i < W * H * 2; i++) CHECK(coords[i] == plain[i] || (coords[i] != coords[i] && plain[i] != plain[i]));
  }
  for (int i = 0; i < W * H * 2; i++)
    if ((next(r) & 7) == 0) coords[i] = (next(r) & 1) ? (double)between(r, -4000, sw * 1000 + 4000) / 1000 : any_double(in, r);
  int mode = between(r, 0, 4);
  op_sample_labels(coords, (size_t)W * H, &v, 8, mode, 7, a8);
  op_sample_labels_blocks(coords, (size_t)W * H, &v, 8, mode, 7, b8);
  CHECK(memcmp(a8, b8, (size_t)W * H) == 0);
  view vl = v;
  vl.data = lab16;
  op_sample_labels(coords, (size_t)W * H, &vl, 16, mode, 9, a16);
  op_sample_labels_blocks(coords, (size_t)W * H, &vl, 16, mode, 9, b16);
  CHECK(memcmp(a16, b16, (size_t)W * H * 2) == 0);
  int rect[4];
  if (op_coords_region(coords, (size_t)W * H, sw, sh, mode, between(r, 1, 4), between(r, 1, 4), rect) == 1) CHECK(rect[0] >= 0 && rect[1] >= 0 && rect[0] + rect[2] <= sw && rect[1] + rect[3] <= sh);
  for (int k = 0; k < 3; k++) free(params[k]);
  free(coords), free(plain), free(a8), free(b8), free(a16), free(b16), free(lab16), free(src);
}

static target TARGETS[] = {
    {"jpeg_region", KIND_JPEG, t_jpeg_region, 0},
    {"check_jpeg", KIND_JPEG, t_check_jpeg, 0},
    {"jpeg_encode", KIND_JPEG, t_jpeg_encode, 0},
    {"check_png_data", KIND_PNG, t_check_png, 0},
    {"png_labels", KIND_PNG, t_png_labels, 0},
    {"op_geometry", KIND_JPEG, t_op_geometry, 0},
    {"op_pixels", KIND_PNG, t_op_pixels, 0},
    {"filters_q", KIND_PNG, t_filters_q, 0},
    {"chain_q", KIND_PNG, t_chain_q, 0},
    {"area_axes", KIND_PNG, t_area_axes, 0},
    {"chain_points_q", KIND_PNG, t_chain_points_q, 0},
};

// ---- corpus and mutations ---------------------------------------------------------------------

typedef struct {
  int kind;
  uint8_t *data;
  size_t n;
} seed_file;

static uint8_t *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(len > 0 ? (size_t)len : 1);
  *n = fread(b, 1, (size_t)len, f);
  fclose(f);
  return b;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v; }

/** Fills the PNG fields of `in` from its chunks (tolerant: the file may be broken). */
static void parse_png(input *in) {
  const uint8_t *b = in->data;
  size_t n = in->n, at = 8, zn = 0;
  in->zlib = NULL;
  if (n < 33) return;
  in->width = be32(b + 16), in->height = be32(b + 20), in->depth = b[24], in->color = b[25], in->interlaced = b[28] == 1;
  uint8_t *z = malloc(n);
  while (at + 12 <= n) {
    uint32_t len = be32(b + at);
    if (len > n - at - 12) break;
    if (!memcmp(b + at + 4, "IDAT", 4)) memcpy(z + zn, b + at + 8, len), zn += len;
    at += 12 + len;
  }
  in->zlib = z, in->zn = zn;
}

static void mutate(rng *r, int kind, uint8_t *b, size_t *n, size_t cap) {
  int rounds = between(r, 1, 3);
  for (int k = 0; k < rounds && *n > 0; k++) {
    size_t at = (size_t)between(r, 0, (int)*n - 1);
    switch (between(r, 0, 6)) {
    case 0: b[at] ^= (uint8_t)(1u << between(r, 0, 7)); break; // a bit flip
    case 1: {
      static const uint8_t interesting[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe, 0xd9, 0xda, 0xc4, 0x10};
      b[at] = interesting[between(r, 0, sizeof interesting - 1)];
      break;
    }
    case 2: *n = (size_t)between(r, 0, (int)*n); break; // cut short
    case 3: // bytes deleted
      if (*n > 8) {
        size_t len = (size_t)between(r, 1, 8 < (int)(*n - at) ? 8 : (int)(*n - at));
        memmove(b + at, b + at + len, *n - at - len), *n -= len;
      }
      break;
    case 4: // bytes inserted
      if (*n + 8 <= cap) {
        size_t len = (size_t)between(r, 1, 8);
        memmove(b + at + len, b + at, *n - at);
        for (size_t i = 0; i < len; i++) b[at + i] = (uint8_t)next(r);
        *n += len;
      }
      break;
    case 5: // a PNG's IDAT data changed with its CRC recomputed (so the data check, not the CRC, sees it)
      if (kind == KIND_PNG) {
        for (size_t p = 8; p + 12 <= *n;) {
          uint32_t len = be32(b + p);
          if (len > *n - p - 12) break;
          if (!memcmp(b + p + 4, "IDAT", 4) && len) {
            b[p + 8 + (size_t)between(r, 0, (int)len - 1)] ^= (uint8_t)(1u << between(r, 0, 7));
            put32(b + p + 8 + len, (uint32_t)crc32(0, b + p + 4, len + 4));
            break;
          }
          p += 12 + len;
        }
      } else b[at] = (uint8_t)next(r);
      break;
    default: // a header field: a PNG IHDR value (CRC recomputed), or bytes near a JPEG marker
      if (kind == KIND_PNG && *n >= 33) {
        b[between(r, 16, 28)] = (uint8_t)next(r);
        put32(b + 29, (uint32_t)crc32(0, b + 12, 17));
      } else {
        for (size_t p = 2; p + 4 < *n; p++)
          if (b[p] == 0xff && b[p + 1] >= 0xc0 && b[p + 1] <= 0xdd && between(r, 0, 3) == 0) {
            b[p + (size_t)between(r, 2, 9 < (int)(*n - p - 1) ? 9 : (int)(*n - p - 1))] = (uint8_t)next(r);
            break;
          }
      }
    }
  }
}

static int wanted(const char *name) {
  const char *only = getenv("FUZZ_ONLY");
  if (!only || !*only) return 1;
  size_t n = strlen(name);
  for (const char *p = strstr(only, name); p; p = strstr(p + 1, name))
    if ((p == only || p[-1] == ',') && (p[n] == 0 || p[n] == ',')) return 1;
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: fuzz CORPUS_DIR SECONDS SEED\n");
    return 2;
  }
  const double seconds = atof(argv[2]);
  rng r = {.s = (uint64_t)strtoull(argv[3], NULL, 10) * 2654435761u + 1};
  seed_file corpus[256];
  int count = 0;
  DIR *d = opendir(argv[1]);
  CHECK(d);
  struct dirent *e;
  while ((e = readdir(d)) && count < 256) {
    const char *dot = strrchr(e->d_name, '.');
    if (!dot || (strcmp(dot, ".jpg") && strcmp(dot, ".png"))) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
    seed_file *s = &corpus[count];
    s->kind = strcmp(dot, ".jpg") ? KIND_PNG : KIND_JPEG;
    s->data = read_file(path, &s->n);
    if (s->data) count++;
  }
  closedir(d);
  CHECK(count > 0);
  // op_hsv_map's AVX2 clone (ops_colour.c) for every 8-bit input: SDIV8 and HDIV8 (the doubles rounded
  // half to even) as float quotients rounded so, and 1 - s * (h's factor) as one fused float operation
  for (int i = 1; i < 256; i++) {
    volatile float fi = (float)i;
    CHECK(nearbyintf(1044480.0f / fi) == nearbyint((double)(255 << 12) / i));
    CHECK(nearbyintf(122880.0f / fi) == nearbyint((double)(180 << 12) / (6.0 * i)));
  }
  for (int h = 0; h < 256; h++) {
    float fh = (float)h * (float)(6.0 / 180);
    const int pre = (int)fh, sector = pre - 6 * (int)((float)pre * (float)(1.0 / 6));
    fh = fh - (float)pre;
    const float mh = sector & 1 ? fh : 1 - fh;
    for (int s = 0; s < 256; s++) {
      const float fs = (float)s * (float)(1.0 / 255);
      CHECK((float)(1.0 - (double)fs * mh) == fmaf(-fs, mh, 1.0f));
    }
  }
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  const double stop = (double)now.tv_sec + now.tv_nsec / 1e9 + seconds;
  long rounds = 0;
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)now.tv_sec + now.tv_nsec / 1e9 >= stop) break;
    seed_file *s = &corpus[between(&r, 0, count - 1)];
    size_t cap = s->n + 64, n = s->n;
    uint8_t *b = malloc(cap);
    memcpy(b, s->data, n);
    if (rounds % 10) mutate(&r, s->kind, b, &n, cap); // every tenth round: the seed itself
    uint8_t *exact = malloc(n ? n : 1); // the input exactly as long as it is: a read past it is caught
    memcpy(exact, b, n);
    free(b);
    input in = {.kind = s->kind, .data = exact, .n = n};
    if (in.kind == KIND_PNG) parse_png(&in);
    for (size_t t = 0; t < sizeof TARGETS / sizeof TARGETS[0]; t++) {
      if (TARGETS[t].kind != in.kind || !wanted(TARGETS[t].name)) continue;
      TARGETS[t].run(&in, &r);
      TARGETS[t].calls++;
    }
    free(in.zlib);
    free(exact);
    rounds++;
  }
  long calls = 0;
  for (size_t t = 0; t < sizeof TARGETS / sizeof TARGETS[0]; t++) calls += TARGETS[t].calls;
  printf("ok %ld %ld\n", rounds, calls);
  printf("check_jpeg_old_compared %ld\n", old_new_compared);
  for (size_t t = 0; t < sizeof TARGETS / sizeof TARGETS[0]; t++) printf("%s %ld\n", TARGETS[t].name, TARGETS[t].calls);
  for (int i = 0; i < count; i++) free(corpus[i].data);
  return 0;
}
