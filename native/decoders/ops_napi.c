// Node-API glue for the op kernels (ops.h): synchronous calls (each is a few milliseconds on a
// 512x512 output; the engine already runs on worker threads in exports). Every argument is checked
// before a kernel runs: types, sizes against buffer lengths (in 64-bit arithmetic), small
// enumerations; a bad call throws a TypeError naming the function and the argument.
//
//   opWarpBilinearRgb(src, view, A, bounds, W, H, out)       view: Int32Array [left, top, width, height, sourceWidth, sourceHeight]
//   opWarpNearest(src, view, A, bounds, W, H, fill, out)     src/out: Uint8Array or Uint16Array alike
//   opChainCoords(links, maps, W, H, out)                    links: Float64Array records (see chain_of), maps: Array of Float64Array
//   opSampleRgb(coords, src, view, mode, pfx, pfy, out)      opSampleLabels(coords, src, view, mode, fill, out)
//   opAreaReduce(src, w, h, fx, fy, out)
//   opHue(rgb, shift)   opHsvPower(rgb, vlut, spow)   opHsvMap(rgb, lh, ls, lv, pre?)
//   opGaussianNoise(rgb, state, std, perChannel, table)   opSaltPepper(rgb, state, amount, salt)
//   opMultiplicative(rgb, state, lo, hi, perChannel)
//   opBlur(rgb, w, h, kernel)   opConvolve(rgb, w, h, taps)   opMedian(rgb, w, h, k)
//   kernels 2 (ops_q.c): opWarpBilinearQ(src, view, A, bounds, W, H, out)   opLut(bytes, lut)
//   opGaussianNoiseQ(rgb, key, perChannel, table)   opSaltPepperQ(rgb, key, key2, amount, salt)
//   geometry (ops_geom.c, with opWarpBilinearQ and opWarpNearest): opWarpExact(src, view, ch, A, W, valid, out)
//   filters (ops_filter.c; opMedian, opBlur and opConvolve run its SIMD kernels first): filterSimd()
#include <node_api.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "ops.h"

#define ARGS 8

typedef struct {
  void *data;
  size_t len;  // elements
  napi_typedarray_type type;
} arr;

static napi_value fail(napi_env env, const char *fn, const char *what) {
  char msg[200];
  snprintf(msg, sizeof msg, "%s: %s", fn, what);
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static bool typed(napi_env env, napi_value v, napi_typedarray_type want, arr *a) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  if (napi_get_typedarray_info(env, v, &a->type, &a->len, &a->data, NULL, NULL) != napi_ok) return false;
  return want == (napi_typedarray_type)-1 || a->type == want;
}
static bool is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined);
}
static bool int_of(napi_env env, napi_value v, int lo, int hi, int *out) {
  int32_t x;
  if (napi_get_value_int32(env, v, &x) != napi_ok || x < lo || x > hi) return false;
  *out = x;
  return true;
}
static bool num_of(napi_env env, napi_value v, double *out) {
  return napi_get_value_double(env, v, out) == napi_ok && *out == *out && *out > -1e300 && *out < 1e300;
}
static bool bool_of(napi_env env, napi_value v, int *out) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return false;
  *out = b;
  return true;
}
static size_t args(napi_env env, napi_callback_info info, napi_value *argv) {
  size_t argc = ARGS;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  return argc;
}
#define MAX_SIDE 65535

// view Int32Array -> view over src (elements), checked against src's length
static bool view_of(napi_env env, napi_value v, const arr *src, int channels, view *out) {
  arr a;
  if (!typed(env, v, napi_int32_array, &a) || a.len != 6) return false;
  const int32_t *q = a.data;
  for (int i = 0; i < 6; i++)
    if (q[i] < 0 || q[i] > MAX_SIDE) return false;
  if (q[2] < 1 || q[3] < 1 || q[4] < 1 || q[5] < 1) return false;
  if ((uint64_t)q[2] * q[3] * channels > src->len) return false;
  *out = (view){.data = src->data, .len = src->len, .left = q[0], .top = q[1], .width = q[2], .height = q[3], .source_width = q[4], .source_height = q[5]};
  return true;
}
static bool affine_of(napi_env env, napi_value v, const double **A) {
  arr a;
  if (!typed(env, v, napi_float64_array, &a) || a.len != 6) return false;
  *A = a.data;
  return true;
}
static bool bounds_of(napi_env env, napi_value v, const double **b, int *n) {
  arr a;
  if (!typed(env, v, napi_float64_array, &a) || a.len % 8 != 0 || a.len > 8 * 4096) return false;
  *b = a.data;
  *n = (int)(a.len / 8);
  return true;
}
static bool state_of(napi_env env, napi_value v, sfc32 *r) {
  arr a;
  if (!typed(env, v, napi_uint32_array, &a) || a.len != 4) return false;
  const uint32_t *s = a.data;
  *r = (sfc32){s[0], s[1], s[2], s[3]};
  return true;
}
static bool rgb_of(napi_env env, napi_value v, arr *a) { return typed(env, v, napi_uint8_array, a) && a->len % 3 == 0; }
static bool labels_of(napi_env env, napi_value v, arr *a) { return typed(env, v, (napi_typedarray_type)-1, a) && (a->type == napi_uint8_array || a->type == napi_uint16_array); }
static bool image_of(napi_env env, napi_value *argv, arr *a, int *w, int *h) {
  return rgb_of(env, argv[0], a) && int_of(env, argv[1], 1, MAX_SIDE, w) && int_of(env, argv[2], 1, MAX_SIDE, h) && (uint64_t)*w * *h * 3 == a->len;
}

static napi_value warp_bilinear_rgb_js(napi_env env, napi_callback_info info) {
  const char *fn = "opWarpBilinearRgb(src, view, A, bounds, W, H, out)";
  napi_value argv[ARGS];
  arr src, out;
  view vw;
  const double *A, *b;
  int nb, W, H;
  if (args(env, info, argv) != 7) return fail(env, fn, "7 arguments");
  if (!rgb_of(env, argv[0], &src) || !view_of(env, argv[1], &src, 3, &vw)) return fail(env, fn, "src and view do not match");
  if (!affine_of(env, argv[2], &A) || !bounds_of(env, argv[3], &b, &nb)) return fail(env, fn, "A (6) and bounds (8 per canvas) must be Float64Arrays");
  if (!int_of(env, argv[4], 1, MAX_SIDE, &W) || !int_of(env, argv[5], 1, MAX_SIDE, &H)) return fail(env, fn, "bad W or H");
  if (!rgb_of(env, argv[6], &out) || out.len != (uint64_t)W * H * 3) return fail(env, fn, "out must be W x H x 3 bytes");
  op_warp_bilinear_rgb(&vw, A, b, nb, W, H, out.data);
  return NULL;
}

static napi_value warp_nearest_js(napi_env env, napi_callback_info info) {
  const char *fn = "opWarpNearest(src, view, A, bounds, W, H, fill, out)";
  napi_value argv[ARGS];
  arr src, out;
  view vw;
  const double *A, *b;
  int nb, W, H, fill;
  if (args(env, info, argv) != 8) return fail(env, fn, "8 arguments");
  if (!labels_of(env, argv[0], &src) || !view_of(env, argv[1], &src, 1, &vw)) return fail(env, fn, "src and view do not match");
  if (!affine_of(env, argv[2], &A) || !bounds_of(env, argv[3], &b, &nb)) return fail(env, fn, "A (6) and bounds (8 per canvas) must be Float64Arrays");
  if (!int_of(env, argv[4], 1, MAX_SIDE, &W) || !int_of(env, argv[5], 1, MAX_SIDE, &H) || !int_of(env, argv[6], 0, 65535, &fill)) return fail(env, fn, "bad W, H or fill");
  if (!labels_of(env, argv[7], &out) || out.type != src.type || out.len != (uint64_t)W * H) return fail(env, fn, "out must be W x H of src's type");
  return op_warp_nearest(&vw, src.type == napi_uint16_array ? 16 : 8, A, b, nb, W, H, fill, out.data) ? fail(env, fn, "out of memory") : NULL;
}

// links: per link [m0..m5, w, h, mode, nbounds, mapIndex, mapW, mapH, bounds (8 x nbounds)]; with
// `head` 14 (opChainCoordsQ) a formula kind follows mapH (-1: the map is a mapW x mapH x 2 field;
// 0 grid: mapW + mapH values; 1 optical: 5; 2 perspective: 9). The number of links, or -1 (`why` set).
#define LINK_HEAD 13
static int links_of(napi_env env, napi_value *argv, int head, chain_link *links, const char **why) {
  arr L;
  bool is_array;
  uint32_t nmaps;
  *why = "links must be a Float64Array";
  if (!typed(env, argv[0], napi_float64_array, &L)) return -1;
  *why = "maps must be an array";
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &nmaps) != napi_ok || nmaps > 64) return -1;
  int n = 0;
  const double *q = L.data;
  for (size_t pos = 0; pos < L.len;) {
    *why = "bad links";
    if (n == 64 || pos + head > L.len) return -1;
    const double *h = q + pos;
    *why = "bad link header";
    if (!(h[9] >= 0 && h[9] <= 4096 && h[10] >= -1 && h[10] < 64 && h[11] >= 0 && h[11] <= MAX_SIDE && h[12] >= 0 && h[12] <= MAX_SIDE)) return -1;
    const int formula = head > LINK_HEAD ? (int)h[13] : -1;
    if (head > LINK_HEAD && !(h[13] >= -1 && h[13] <= 2 && h[13] == formula)) return -1;
    int nb = (int)h[9], mi = (int)h[10];
    *why = "bad bounds count";
    if (h[9] != nb || pos + head + (size_t)nb * 8 > L.len) return -1;
    *why = "bad canvas or mode";
    if (!(h[6] >= 1 && h[6] <= MAX_SIDE && h[7] >= 1 && h[7] <= MAX_SIDE) || !(h[8] >= 0 && h[8] <= 4)) return -1;
    chain_link *k = &links[n++];
    for (int i = 0; i < 6; i++) k->m[i] = h[i];
    k->w = (int)h[6];
    k->h = (int)h[7];
    k->mode = (int)h[8];
    k->nbounds = nb;
    k->bounds = h + head;
    k->map = NULL;
    k->formula = formula;
    *why = "a formula link names no parameters";
    if (formula >= 0 && mi < 0) return -1;
    if (mi >= 0) {
      napi_value mv;
      arr m;
      int mw = (int)h[11], mh = (int)h[12];
      *why = "a link names a missing map";
      if ((uint32_t)mi >= nmaps || napi_get_element(env, argv[1], (uint32_t)mi, &mv) != napi_ok || !typed(env, mv, napi_float64_array, &m)) return -1;
      const uint64_t want = formula == 0 ? (uint64_t)mw + mh : formula == 1 ? 5 : formula == 2 ? 9 : (uint64_t)mw * mh * 2;
      *why = "a map does not match its size";
      if (mw < 1 || mh < 1 || mw > MAX_SIDE || mh > MAX_SIDE || m.len != want) return -1;
      k->map = m.data;
      k->map_w = mw;
      k->map_h = mh;
    }
    pos += head + (size_t)nb * 8;
  }
  return n;
}
static napi_value chain_coords_js(napi_env env, napi_callback_info info) {
  const char *fn = "opChainCoords(links, maps, W, H, out)", *why;
  napi_value argv[ARGS];
  arr out;
  int W, H;
  chain_link links[64];
  if (args(env, info, argv) != 5) return fail(env, fn, "5 arguments");
  int n = links_of(env, argv, LINK_HEAD, links, &why);
  if (n < 0) return fail(env, fn, why);
  if (!int_of(env, argv[2], 1, MAX_SIDE, &W) || !int_of(env, argv[3], 1, MAX_SIDE, &H)) return fail(env, fn, "bad W or H");
  if (!typed(env, argv[4], napi_float64_array, &out) || out.len != (uint64_t)W * H * 2) return fail(env, fn, "out must be W x H x 2 doubles");
  op_chain_coords(links, n, W, H, out.data);
  return NULL;
}

static napi_value sample_rgb_js(napi_env env, napi_callback_info info) {
  const char *fn = "opSampleRgb(coords, src, view, mode, pfx, pfy, out)";
  napi_value argv[ARGS];
  arr c, src, out;
  view vw;
  int mode, pfx, pfy;
  if (args(env, info, argv) != 7) return fail(env, fn, "7 arguments");
  if (!typed(env, argv[0], napi_float64_array, &c) || c.len % 2) return fail(env, fn, "coords must be a Float64Array of pairs");
  if (!rgb_of(env, argv[1], &src) || !view_of(env, argv[2], &src, 3, &vw)) return fail(env, fn, "src and view do not match");
  if (!int_of(env, argv[3], 0, 4, &mode) || !int_of(env, argv[4], 1, MAX_SIDE, &pfx) || !int_of(env, argv[5], 1, MAX_SIDE, &pfy)) return fail(env, fn, "bad mode or prefilter");
  if (!rgb_of(env, argv[6], &out) || out.len != c.len / 2 * 3) return fail(env, fn, "out must hold one pixel per point");
  op_sample_rgb_blocks(c.data, c.len / 2, &vw, mode, pfx, pfy, out.data);  // ops_field.c
  return NULL;
}

static napi_value sample_labels_js(napi_env env, napi_callback_info info) {
  const char *fn = "opSampleLabels(coords, src, view, mode, fill, out)";
  napi_value argv[ARGS];
  arr c, src, out;
  view vw;
  int mode, fill;
  if (args(env, info, argv) != 6) return fail(env, fn, "6 arguments");
  if (!typed(env, argv[0], napi_float64_array, &c) || c.len % 2) return fail(env, fn, "coords must be a Float64Array of pairs");
  if (!labels_of(env, argv[1], &src) || !view_of(env, argv[2], &src, 1, &vw)) return fail(env, fn, "src and view do not match");
  if (!int_of(env, argv[3], 0, 4, &mode) || !int_of(env, argv[4], 0, 65535, &fill)) return fail(env, fn, "bad mode or fill");
  if (!labels_of(env, argv[5], &out) || out.type != src.type || out.len != c.len / 2) return fail(env, fn, "out must hold one label per point, of src's type");
  op_sample_labels_blocks(c.data, c.len / 2, &vw, src.type == napi_uint16_array ? 16 : 8, mode, fill, out.data);  // ops_field.c
  return NULL;
}

static napi_value area_reduce_js(napi_env env, napi_callback_info info) {
  const char *fn = "opAreaReduce(src, w, h, fx, fy, out)";
  napi_value argv[ARGS];
  arr src, out;
  int w, h, fx, fy;
  if (args(env, info, argv) != 6) return fail(env, fn, "6 arguments");
  if (!image_of(env, argv, &src, &w, &h)) return fail(env, fn, "src must be w x h x 3 bytes");
  if (!int_of(env, argv[3], 1, MAX_SIDE, &fx) || !int_of(env, argv[4], 1, MAX_SIDE, &fy)) return fail(env, fn, "bad factors");
  if (!rgb_of(env, argv[5], &out) || out.len != (uint64_t)((w + fx - 1) / fx) * ((h + fy - 1) / fy) * 3) return fail(env, fn, "out must be the reduced size");
  return op_area_reduce(src.data, w, h, fx, fy, out.data) ? fail(env, fn, "out of memory") : NULL;
}

static napi_value hue_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d;
  double shift;
  if (args(env, info, argv) != 2 || !rgb_of(env, argv[0], &d) || !num_of(env, argv[1], &shift)) return fail(env, "opHue(rgb, shift)", "bad arguments");
  op_hue(d.data, d.len, shift);
  return NULL;
}

static napi_value hsv_power_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d, v, s;
  if (args(env, info, argv) != 3 || !rgb_of(env, argv[0], &d) || !typed(env, argv[1], napi_float64_array, &v) || v.len != 256 || !typed(env, argv[2], napi_float64_array, &s) || s.len != 65536)
    return fail(env, "opHsvPower(rgb, vlut, spow)", "rgb, 256 and 65536 Float64 tables");
  op_hsv_power(d.data, d.len, v.data, s.data);
  return NULL;
}

static bool lut_or_null(napi_env env, napi_value v, const uint8_t **l) {
  arr a;
  if (is_null(env, v)) {
    *l = NULL;
    return true;
  }
  if (!typed(env, v, napi_uint8_array, &a) || a.len != 256) return false;
  *l = a.data;
  return true;
}

static napi_value hsv_map_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d;
  const uint8_t *lh, *ls, *lv, *pre = NULL;
  size_t argc = args(env, info, argv);
  if ((argc != 4 && argc != 5) || !rgb_of(env, argv[0], &d) || !lut_or_null(env, argv[1], &lh) || !lut_or_null(env, argv[2], &ls) || !lut_or_null(env, argv[3], &lv) ||
      (argc == 5 && !lut_or_null(env, argv[4], &pre)))
    return fail(env, "opHsvMap(rgb, lh, ls, lv, pre?)", "rgb and three or four 256-entry tables (or null)");
  op_hsv_map(d.data, d.len, lh, ls, lv, pre);
  return NULL;
}

static napi_value gaussian_noise_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d, t;
  sfc32 r;
  double std;
  int per;
  if (args(env, info, argv) != 5 || !rgb_of(env, argv[0], &d) || !state_of(env, argv[1], &r) || !num_of(env, argv[2], &std) || !bool_of(env, argv[3], &per) || !typed(env, argv[4], napi_float64_array, &t) || t.len != 65537)
    return fail(env, "opGaussianNoise(rgb, state, std, perChannel, table)", "bad arguments (table: 65537 doubles)");
  op_gaussian_noise(d.data, d.len, &r, std, per, t.data);
  return NULL;
}

static napi_value salt_pepper_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d;
  sfc32 r;
  double amount, salt;
  if (args(env, info, argv) != 4 || !rgb_of(env, argv[0], &d) || !state_of(env, argv[1], &r) || !num_of(env, argv[2], &amount) || !num_of(env, argv[3], &salt))
    return fail(env, "opSaltPepper(rgb, state, amount, salt)", "bad arguments");
  op_salt_pepper(d.data, d.len, &r, amount, salt);
  return NULL;
}

static napi_value multiplicative_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d;
  sfc32 r;
  double lo, hi;
  int per;
  if (args(env, info, argv) != 5 || !rgb_of(env, argv[0], &d) || !state_of(env, argv[1], &r) || !num_of(env, argv[2], &lo) || !num_of(env, argv[3], &hi) || !bool_of(env, argv[4], &per))
    return fail(env, "opMultiplicative(rgb, state, lo, hi, perChannel)", "bad arguments");
  op_multiplicative(d.data, d.len, &r, lo, hi, per);
  return NULL;
}

static napi_value blur_js(napi_env env, napi_callback_info info) {
  const char *fn = "opBlur(rgb, w, h, kernel)";
  napi_value argv[ARGS];
  arr d, k;
  int w, h;
  if (args(env, info, argv) != 4 || !image_of(env, argv, &d, &w, &h)) return fail(env, fn, "rgb must be w x h x 3 bytes");
  if (!typed(env, argv[3], napi_float64_array, &k) || k.len % 2 != 1 || k.len > 4001) return fail(env, fn, "kernel: an odd number of doubles");
  int fast = op_blur_fast(d.data, w, h, k.data, (int)(k.len / 2));  // ops_filter.c
  if (fast <= 0) return fast ? fail(env, fn, "out of memory") : NULL;
  float *tmp = malloc(d.len * sizeof(float));
  if (!tmp) return fail(env, fn, "out of memory");
  int r = op_blur(d.data, w, h, k.data, (int)(k.len / 2), tmp);
  free(tmp);
  return r ? fail(env, fn, "out of memory") : NULL;
}

static napi_value convolve_js(napi_env env, napi_callback_info info) {
  const char *fn = "opConvolve(rgb, w, h, taps)";
  napi_value argv[ARGS];
  arr d, t;
  int w, h;
  if (args(env, info, argv) != 4 || !image_of(env, argv, &d, &w, &h)) return fail(env, fn, "rgb must be w x h x 3 bytes");
  if (!typed(env, argv[3], napi_float64_array, &t) || t.len % 3 != 0 || t.len > 3 * 10201) return fail(env, fn, "taps: (dx, dy, weight) triples");
  const double *q = t.data;
  for (size_t i = 0; i < t.len; i += 3)
    if (q[i] != (int)q[i] || q[i + 1] != (int)q[i + 1] || q[i] < -MAX_SIDE || q[i] > MAX_SIDE || q[i + 1] < -MAX_SIDE || q[i + 1] > MAX_SIDE) return fail(env, fn, "tap offsets must be integers");
  int fast = op_convolve_fast(d.data, w, h, q, (int)(t.len / 3));  // ops_filter.c
  if (fast <= 0) return fast ? fail(env, fn, "out of memory") : NULL;
  uint8_t *copy = malloc(d.len);
  if (!copy) return fail(env, fn, "out of memory");
  int r = op_convolve(d.data, w, h, q, (int)(t.len / 3), copy);
  free(copy);
  return r ? fail(env, fn, "out of memory") : NULL;
}

static napi_value median_js(napi_env env, napi_callback_info info) {
  const char *fn = "opMedian(rgb, w, h, k)";
  napi_value argv[ARGS];
  arr d;
  int w, h, k;
  if (args(env, info, argv) != 4 || !image_of(env, argv, &d, &w, &h) || !int_of(env, argv[3], 1, 255, &k) || k % 2 == 0) return fail(env, fn, "rgb w x h x 3, k odd");
  int net = op_median_net(d.data, w, h, k);  // k = 3, 5, 7 (ops_filter.c)
  if (net <= 0) return net ? fail(env, fn, "out of memory") : NULL;
  uint8_t *copy = malloc(d.len);
  if (!copy) return fail(env, fn, "out of memory");
  op_median(d.data, w, h, k, copy);
  free(copy);
  return NULL;
}

// ---- kernels 2 (ops_q.c) ----------------------------------------------------------------------------
static bool u32_of(napi_env env, napi_value v, uint32_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d <= 4294967295.0) || d != (double)(uint32_t)d) return false;
  *out = (uint32_t)d;
  return true;
}

static napi_value warp_bilinear_q_js(napi_env env, napi_callback_info info) {
  const char *fn = "opWarpBilinearQ(src, view, A, bounds, W, H, out)";
  napi_value argv[ARGS];
  arr src, out;
  view vw;
  const double *A, *b;
  int nb, W, H;
  if (args(env, info, argv) != 7) return fail(env, fn, "7 arguments");
  if (!rgb_of(env, argv[0], &src) || !view_of(env, argv[1], &src, 3, &vw)) return fail(env, fn, "src and view do not match");
  if (!affine_of(env, argv[2], &A) || !bounds_of(env, argv[3], &b, &nb)) return fail(env, fn, "A (6) and bounds (8 per canvas) must be Float64Arrays");
  if (!int_of(env, argv[4], 1, MAX_SIDE, &W) || !int_of(env, argv[5], 1, MAX_SIDE, &H)) return fail(env, fn, "bad W or H");
  if (!rgb_of(env, argv[6], &out) || out.len != (uint64_t)W * H * 3) return fail(env, fn, "out must be W x H x 3 bytes");
  return op_warp_bilinear_q(&vw, A, b, nb, W, H, out.data) ? fail(env, fn, "out of memory") : NULL;
}

static napi_value lut_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d, l;
  if (args(env, info, argv) != 2 || !typed(env, argv[0], napi_uint8_array, &d) || !typed(env, argv[1], napi_uint8_array, &l) || l.len != 256) return fail(env, "opLut(bytes, lut)", "a Uint8Array and a 256-entry table");
  op_lut(d.data, d.len, l.data);
  return NULL;
}

static napi_value gaussian_noise_q_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d, t;
  uint32_t key;
  int per;
  if (args(env, info, argv) != 4 || !rgb_of(env, argv[0], &d) || !u32_of(env, argv[1], &key) || !bool_of(env, argv[2], &per) || !typed(env, argv[3], napi_int32_array, &t) || t.len != 4097)
    return fail(env, "opGaussianNoiseQ(rgb, key, perChannel, table)", "bad arguments (key: uint32, table: 4097 Int32)");
  const int32_t *q = t.data;
  for (int i = 0; i < 4097; i++)
    if (q[i] < -(1 << 24) || q[i] > (1 << 24)) return fail(env, "opGaussianNoiseQ(rgb, key, perChannel, table)", "table values beyond +-2^24");
  op_gaussian_noise_q(d.data, d.len, key, per, q);
  return NULL;
}

static napi_value salt_pepper_q_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d;
  uint32_t key, key2;
  double amount, salt;
  if (args(env, info, argv) != 5 || !rgb_of(env, argv[0], &d) || !u32_of(env, argv[1], &key) || !u32_of(env, argv[2], &key2) || !num_of(env, argv[3], &amount) || !num_of(env, argv[4], &salt))
    return fail(env, "opSaltPepperQ(rgb, key, key2, amount, salt)", "bad arguments");
  op_salt_pepper_q(d.data, d.len, key, key2, amount, salt);
  return NULL;
}

// ---- geometry (ops_geom.c) ----------------------------------------------------------------------
// opWarpExact(src, view, ch, A, W, valid, out): src/out Uint8Array (ch 1 or 3) or Uint16Array (ch 1)
// alike; A exact (a, b, d, e in {-1, 0, 1}, one permutation; c, f integers); valid Int32Array
// [x0, y0, x1, y1] within W x (out / W / ch).
static bool exact_of(const double *A) {
  for (int i = 0; i < 6; i++)
    if (!(A[i] > -1e9 && A[i] < 1e9) || A[i] != (double)(int64_t)A[i]) return false;
  const double a = A[0], b = A[1], d = A[3], e = A[4];
  const bool unit = (a == 0 || a == 1 || a == -1) && (b == 0 || b == 1 || b == -1) && (d == 0 || d == 1 || d == -1) && (e == 0 || e == 1 || e == -1);
  return unit && ((a != 0 && b == 0 && d == 0 && e != 0) || (a == 0 && b != 0 && d != 0 && e == 0));
}
static napi_value warp_exact_js(napi_env env, napi_callback_info info) {
  const char *fn = "opWarpExact(src, view, ch, A, W, valid, out)";
  napi_value argv[ARGS];
  arr src, out, va;
  view vw;
  const double *A;
  int ch, W;
  if (args(env, info, argv) != 7) return fail(env, fn, "7 arguments");
  if (!labels_of(env, argv[0], &src) || !int_of(env, argv[2], 1, 3, &ch) || ch == 2 || (ch == 3 && src.type != napi_uint8_array)) return fail(env, fn, "src must be a Uint8Array (ch 1 or 3) or a Uint16Array (ch 1)");
  if (!view_of(env, argv[1], &src, ch, &vw)) return fail(env, fn, "src and view do not match");
  if (!affine_of(env, argv[3], &A) || !exact_of(A)) return fail(env, fn, "A must be an exact affine (a signed permutation, integer offsets) in a Float64Array");
  if (!int_of(env, argv[4], 1, MAX_SIDE, &W)) return fail(env, fn, "bad W");
  if (!labels_of(env, argv[6], &out) || out.type != src.type || out.len % ((uint64_t)W * ch) != 0 || out.len / ((uint64_t)W * ch) > MAX_SIDE) return fail(env, fn, "out must be W x H x ch of src's type");
  const int H = (int)(out.len / ((uint64_t)W * ch));
  if (!typed(env, argv[5], napi_int32_array, &va) || va.len != 4) return fail(env, fn, "valid must be an Int32Array [x0, y0, x1, y1]");
  const int32_t *v = va.data;
  if (v[0] < 0 || v[1] < 0 || v[2] > W || v[3] > H || v[0] > v[2] || v[1] > v[3]) return fail(env, fn, "valid must lie within W x H");
  const int valid[4] = {v[0], v[1], v[2], v[3]};
  op_warp_exact(&vw, ch, src.type == napi_uint16_array ? 16 : 8, A, W, valid, out.data);
  return NULL;
}

// ---- fields (ops_field.c) ----------------------------------------------------------------------------
//   opCoordsRegion(coords, sw, sh, mode, pfx, pfy, rect) -> 1 | 0 | -1     opPointsBox(points, fw, fh, rect)
//   opElasticWindow(state, kernel, [alpha, a..f], w, h, [x0, y0, x1, y1], map)
static bool rect_out(napi_env env, napi_value v, int32_t **r) {
  arr a;
  if (!typed(env, v, napi_int32_array, &a) || a.len != 4) return false;
  *r = a.data;
  return true;
}
static bool pairs_of(napi_env env, napi_value v, arr *a) { return typed(env, v, napi_float64_array, a) && a->len % 2 == 0; }

static napi_value coords_region_js(napi_env env, napi_callback_info info) {
  const char *fn = "opCoordsRegion(coords, sw, sh, mode, pfx, pfy, rect)";
  napi_value argv[ARGS], res;
  arr c;
  int sw, sh, mode, pfx, pfy;
  int32_t *rect;
  if (args(env, info, argv) != 7) return fail(env, fn, "7 arguments");
  if (!pairs_of(env, argv[0], &c)) return fail(env, fn, "coords must be a Float64Array of pairs");
  if (!int_of(env, argv[1], 1, MAX_SIDE, &sw) || !int_of(env, argv[2], 1, MAX_SIDE, &sh)) return fail(env, fn, "bad source size");
  if (!int_of(env, argv[3], 0, 4, &mode) || !int_of(env, argv[4], 1, MAX_SIDE, &pfx) || !int_of(env, argv[5], 1, MAX_SIDE, &pfy)) return fail(env, fn, "bad mode or prefilter");
  if (!rect_out(env, argv[6], &rect)) return fail(env, fn, "rect must be an Int32Array of 4");
  int r = op_coords_region(c.data, c.len / 2, sw, sh, mode, pfx, pfy, rect);
  napi_create_int32(env, r, &res);
  return res;
}

static napi_value points_box_js(napi_env env, napi_callback_info info) {
  const char *fn = "opPointsBox(points, fw, fh, rect)";
  napi_value argv[ARGS];
  arr c;
  int fw, fh;
  int32_t *rect;
  if (args(env, info, argv) != 4) return fail(env, fn, "4 arguments");
  if (!pairs_of(env, argv[0], &c) || c.len == 0) return fail(env, fn, "points must be a Float64Array of pairs");
  if (!int_of(env, argv[1], 1, MAX_SIDE, &fw) || !int_of(env, argv[2], 1, MAX_SIDE, &fh)) return fail(env, fn, "bad map size");
  if (!rect_out(env, argv[3], &rect)) return fail(env, fn, "rect must be an Int32Array of 4");
  op_points_box(c.data, c.len / 2, fw, fh, rect);
  return NULL;
}

static napi_value elastic_window_js(napi_env env, napi_callback_info info) {
  const char *fn = "opElasticWindow(state, kernel, affine, w, h, window, map)";
  napi_value argv[ARGS];
  arr k, A, win, m;
  sfc32 r;
  int w, h;
  if (args(env, info, argv) != 7 || !state_of(env, argv[0], &r)) return fail(env, fn, "7 arguments, state a Uint32Array of 4");
  if (!typed(env, argv[1], napi_float64_array, &k) || k.len % 2 != 1 || k.len > 4001) return fail(env, fn, "kernel: an odd number of doubles");
  if (!typed(env, argv[2], napi_float64_array, &A) || A.len != 7) return fail(env, fn, "affine: alpha and the 6 coefficients, a Float64Array of 7");
  if (!int_of(env, argv[3], 1, MAX_SIDE, &w) || !int_of(env, argv[4], 1, MAX_SIDE, &h)) return fail(env, fn, "bad w or h");
  if (!typed(env, argv[5], napi_int32_array, &win) || win.len != 4) return fail(env, fn, "window: an Int32Array [x0, y0, x1, y1]");
  const int32_t *q = win.data;
  if (!(q[0] >= 0 && q[1] >= 0 && q[2] <= w && q[3] <= h && q[0] < q[2] && q[1] < q[3])) return fail(env, fn, "the window must be inside the canvas and not empty");
  if (!typed(env, argv[6], napi_float64_array, &m) || m.len != (uint64_t)w * h * 2) return fail(env, fn, "map must be w x h x 2 doubles");
  const double *a = A.data;
  int rc = op_elastic_window(&r, w, h, k.data, (int)(k.len / 2), a[0], a + 1, q[0], q[1], q[2], q[3], m.data);
  return rc ? fail(env, fn, "out of memory") : NULL;
}

// ---- chain, kernels 3 (ops_field.c) ------------------------------------------------------------------
//   opSampleRgbQ(coords, src, view, mode, pfx, pfy, out)     opElasticWindowQ(kx, ky, kernel, affine, w, h, window, map)
static napi_value sample_rgb_q_js(napi_env env, napi_callback_info info) {
  const char *fn = "opSampleRgbQ(coords, src, view, mode, pfx, pfy, out)";
  napi_value argv[ARGS];
  arr c, src, out;
  view vw;
  int mode, pfx, pfy;
  if (args(env, info, argv) != 7) return fail(env, fn, "7 arguments");
  if (!pairs_of(env, argv[0], &c)) return fail(env, fn, "coords must be a Float64Array of pairs");
  if (!rgb_of(env, argv[1], &src) || !view_of(env, argv[2], &src, 3, &vw)) return fail(env, fn, "src and view do not match");
  if (!int_of(env, argv[3], 0, 4, &mode) || !int_of(env, argv[4], 1, MAX_SIDE, &pfx) || !int_of(env, argv[5], 1, MAX_SIDE, &pfy)) return fail(env, fn, "bad mode or prefilter");
  if (!rgb_of(env, argv[6], &out) || out.len != (uint64_t)(c.len / 2) * 3) return fail(env, fn, "out must hold one pixel per point");
  op_sample_rgb_q(c.data, c.len / 2, &vw, mode, pfx, pfy, out.data);
  return NULL;
}

static napi_value elastic_window_q_js(napi_env env, napi_callback_info info) {
  const char *fn = "opElasticWindowQ(kx, ky, kernel, affine, w, h, window, map)";
  napi_value argv[ARGS];
  arr k, A, win, m;
  uint32_t kx, ky;
  int w, h;
  if (args(env, info, argv) != 8 || !u32_of(env, argv[0], &kx) || !u32_of(env, argv[1], &ky)) return fail(env, fn, "8 arguments, kx and ky unsigned 32-bit integers");
  if (!typed(env, argv[2], napi_float64_array, &k) || k.len % 2 != 1 || k.len > 4001) return fail(env, fn, "kernel: an odd number of doubles");
  if (!typed(env, argv[3], napi_float64_array, &A) || A.len != 7) return fail(env, fn, "affine: alpha and the 6 coefficients, a Float64Array of 7");
  if (!int_of(env, argv[4], 1, MAX_SIDE, &w) || !int_of(env, argv[5], 1, MAX_SIDE, &h)) return fail(env, fn, "bad w or h");
  if (!typed(env, argv[6], napi_int32_array, &win) || win.len != 4) return fail(env, fn, "window: an Int32Array [x0, y0, x1, y1]");
  const int32_t *q = win.data;
  if (!(q[0] >= 0 && q[1] >= 0 && q[2] <= w && q[3] <= h && q[0] < q[2] && q[1] < q[3])) return fail(env, fn, "the window must be inside the canvas and not empty");
  if (!typed(env, argv[7], napi_float64_array, &m) || m.len != (uint64_t)w * h * 2) return fail(env, fn, "map must be w x h x 2 doubles");
  const double *a = A.data;
  int rc = op_elastic_window_q(kx, ky, w, h, k.data, (int)(k.len / 2), a[0], a + 1, q[0], q[1], q[2], q[3], m.data);
  return rc ? fail(env, fn, "out of memory") : NULL;
}

//   opFieldWindow(kind, params, w, h, window, map)   kind 0 grid (params: w + h), 1 optical (5), 2 perspective (9)
static napi_value field_window_js(napi_env env, napi_callback_info info) {
  const char *fn = "opFieldWindow(kind, params, w, h, window, map)";
  napi_value argv[ARGS];
  arr P, win, m;
  int kind, w, h;
  if (args(env, info, argv) != 6 || !int_of(env, argv[0], 0, 2, &kind)) return fail(env, fn, "6 arguments, kind 0..2");
  if (!int_of(env, argv[2], 1, MAX_SIDE, &w) || !int_of(env, argv[3], 1, MAX_SIDE, &h)) return fail(env, fn, "bad w or h");
  const uint64_t want = kind == 0 ? (uint64_t)w + h : kind == 1 ? 5 : 9;
  if (!typed(env, argv[1], napi_float64_array, &P) || P.len != want) return fail(env, fn, "params: a Float64Array of the kind's length");
  if (!typed(env, argv[4], napi_int32_array, &win) || win.len != 4) return fail(env, fn, "window: an Int32Array [x0, y0, x1, y1]");
  const int32_t *q = win.data;
  if (!(q[0] >= 0 && q[1] >= 0 && q[2] <= w && q[3] <= h && q[0] <= q[2] && q[1] <= q[3])) return fail(env, fn, "the window must be inside the canvas");
  if (!typed(env, argv[5], napi_float64_array, &m) || m.len != (uint64_t)w * h * 2) return fail(env, fn, "map must be w x h x 2 doubles");
  op_field_window(kind, P.data, w, h, q[0], q[1], q[2], q[3], m.data);
  return NULL;
}

//   opSampleAxesQ(src, view, cols, rows, out)   opLabelsAxes(src, view, mx, my, fill, out)
// (every table entry is checked against the view: a tap outside it, or a fill below -1, throws)
static bool taps_in(const arr *t, int per, int lim_a, int lim_b) {
  const int32_t *q = t->data;
  for (size_t i = 0; i < t->len; i += per) {
    if (q[i] == -1 && (per == 1 || q[i + 1] == -1)) continue;  // the fill
    if (q[i] < 0 || q[i] >= lim_a) return false;
    if (per == 3 && (q[i + 1] < 0 || q[i + 1] >= lim_a || q[i + 2] < 0 || q[i + 2] > 32)) return false;
  }
  (void)lim_b;
  return true;
}
static napi_value sample_axes_q_js(napi_env env, napi_callback_info info) {
  const char *fn = "opSampleAxesQ(src, view, cols, rows, out)";
  napi_value argv[ARGS];
  arr src, c, r, out;
  view vw;
  if (args(env, info, argv) != 5) return fail(env, fn, "5 arguments");
  if (!rgb_of(env, argv[0], &src) || !view_of(env, argv[1], &src, 3, &vw)) return fail(env, fn, "src and view do not match");
  if (!typed(env, argv[2], napi_int32_array, &c) || c.len % 3 || c.len == 0 || c.len / 3 > MAX_SIDE || !taps_in(&c, 3, vw.width, 0)) return fail(env, fn, "cols: [x0, x1, ax] per column inside the view");
  if (!typed(env, argv[3], napi_int32_array, &r) || r.len % 3 || r.len == 0 || r.len / 3 > MAX_SIDE || !taps_in(&r, 3, vw.height, 0)) return fail(env, fn, "rows: [y0, y1, ay] per row inside the view");
  if (!rgb_of(env, argv[4], &out) || out.len != (uint64_t)(c.len / 3) * (r.len / 3) * 3) return fail(env, fn, "out must be W x H x 3 bytes");
  return op_sample_axes_q(&vw, c.data, (int)(c.len / 3), r.data, (int)(r.len / 3), out.data) ? fail(env, fn, "out of memory") : NULL;
}
static napi_value labels_axes_js(napi_env env, napi_callback_info info) {
  const char *fn = "opLabelsAxes(src, view, mx, my, fill, out)";
  napi_value argv[ARGS];
  arr src, c, r, out;
  view vw;
  int fill;
  if (args(env, info, argv) != 6) return fail(env, fn, "6 arguments");
  if (!labels_of(env, argv[0], &src) || !view_of(env, argv[1], &src, 1, &vw)) return fail(env, fn, "src and view do not match");
  if (!typed(env, argv[2], napi_int32_array, &c) || c.len == 0 || c.len > MAX_SIDE || !taps_in(&c, 1, vw.width, 0)) return fail(env, fn, "mx: a column per output column inside the view");
  if (!typed(env, argv[3], napi_int32_array, &r) || r.len == 0 || r.len > MAX_SIDE || !taps_in(&r, 1, vw.height, 0)) return fail(env, fn, "my: a row per output row inside the view");
  if (!int_of(env, argv[4], 0, 65535, &fill)) return fail(env, fn, "bad fill");
  if (!labels_of(env, argv[5], &out) || out.type != src.type || out.len != (uint64_t)c.len * r.len) return fail(env, fn, "out must be W x H of src's type");
  op_labels_axes(&vw, src.type == napi_uint16_array ? 16 : 8, c.data, (int)c.len, r.data, (int)r.len, fill, out.data);
  return NULL;
}

// ---- fields, kernels 3 (fields4): opChainCoordsQ(links, maps, W, H, out), links with formula kinds (links_of)
static napi_value chain_coords_q_js(napi_env env, napi_callback_info info) {
  const char *fn = "opChainCoordsQ(links, maps, W, H, out)", *why;
  napi_value argv[ARGS];
  arr out;
  int W, H;
  chain_link links[64];
  if (args(env, info, argv) != 5) return fail(env, fn, "5 arguments");
  int n = links_of(env, argv, LINK_HEAD + 1, links, &why);
  if (n < 0) return fail(env, fn, why);
  if (!int_of(env, argv[2], 1, MAX_SIDE, &W) || !int_of(env, argv[3], 1, MAX_SIDE, &H)) return fail(env, fn, "bad W or H");
  if (!typed(env, argv[4], napi_float64_array, &out) || out.len != (uint64_t)W * H * 2) return fail(env, fn, "out must be W x H x 2 doubles");
  op_chain_coords_q(links, n, W, H, out.data);
  return NULL;
}

static const struct {
  const char *name;
  napi_callback fn;
} FIELD_OPS[] = {
    {"opCoordsRegion", coords_region_js}, {"opPointsBox", points_box_js}, {"opElasticWindow", elastic_window_js},
    // chain, kernels 3
    {"opSampleRgbQ", sample_rgb_q_js}, {"opElasticWindowQ", elastic_window_q_js}, {"opFieldWindow", field_window_js},
    {"opSampleAxesQ", sample_axes_q_js}, {"opLabelsAxes", labels_axes_js},
    // fields, kernels 3 (fields4)
    {"opChainCoordsQ", chain_coords_q_js},
};

// ---- filters (ops_filter.c) --------------------------------------------------------------------------
static napi_value filter_simd_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS], out;
  if (args(env, info, argv) != 0) return fail(env, "filterSimd()", "no arguments");
  napi_create_string_utf8(env, op_filter_simd(), NAPI_AUTO_LENGTH, &out);
  return out;
}

static const struct {
  const char *name;
  napi_callback fn;
} OPS[] = {
    {"opWarpBilinearRgb", warp_bilinear_rgb_js}, {"opWarpNearest", warp_nearest_js}, {"opChainCoords", chain_coords_js},
    {"opSampleRgb", sample_rgb_js}, {"opSampleLabels", sample_labels_js}, {"opAreaReduce", area_reduce_js},
    {"opHue", hue_js}, {"opHsvPower", hsv_power_js}, {"opHsvMap", hsv_map_js},
    {"opGaussianNoise", gaussian_noise_js}, {"opSaltPepper", salt_pepper_js}, {"opMultiplicative", multiplicative_js},
    {"opBlur", blur_js}, {"opConvolve", convolve_js}, {"opMedian", median_js},
    {"opWarpBilinearQ", warp_bilinear_q_js}, {"opLut", lut_js}, {"opGaussianNoiseQ", gaussian_noise_q_js}, {"opSaltPepperQ", salt_pepper_q_js},
    // geometry (ops_geom.c)
    {"opWarpExact", warp_exact_js},
    {"filterSimd", filter_simd_js},  // filters
};

static void register_colour_ops(napi_env env, napi_value exports);
static void register_filter_q_ops(napi_env env, napi_value exports);
static void register_noise_q3_ops(napi_env env, napi_value exports);
static void register_area_ops(napi_env env, napi_value exports);

void register_op_kernels(napi_env env, napi_value exports) {
  napi_value fn;
  for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++) {
    napi_create_function(env, OPS[i].name, NAPI_AUTO_LENGTH, OPS[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, OPS[i].name, fn);
  }
  for (size_t i = 0; i < sizeof FIELD_OPS / sizeof FIELD_OPS[0]; i++) {
    napi_create_function(env, FIELD_OPS[i].name, NAPI_AUTO_LENGTH, FIELD_OPS[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, FIELD_OPS[i].name, fn);
  }
  register_colour_ops(env, exports);
  register_filter_q_ops(env, exports);
  register_noise_q3_ops(env, exports);
  register_area_ops(env, exports);
}

// ---- colour (ops_colour.c) -------------------------------------------------------------------------------
//   opLut3(rgb, l0, l1, l2)   opMinMax(bytes) -> [lo, hi]   opHist3(rgb, hist)   opGrey(rgb)
//   opGreySum(rgb, pre?) -> number   opSaturation(rgb, factor, pre?)   opClahe(rgb, w, h, clip, tiles) -> false: not for this size
//   opHsvPairs(rgb, list) -> count   opHsvPowerQ(rgb, a, u, w) (kernels 3)   opHueQ(rgb, sq, pre?) (kernels 3)

static napi_value lut3_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d, a, b, c;
  if (args(env, info, argv) != 4 || !rgb_of(env, argv[0], &d) || !typed(env, argv[1], napi_uint8_array, &a) || a.len != 256 || !typed(env, argv[2], napi_uint8_array, &b) || b.len != 256 ||
      !typed(env, argv[3], napi_uint8_array, &c) || c.len != 256)
    return fail(env, "opLut3(rgb, l0, l1, l2)", "rgb and three 256-entry tables");
  op_lut3(d.data, d.len, a.data, b.data, c.data);
  return NULL;
}

static napi_value minmax_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS], out, v;
  arr d;
  uint8_t mm[2];
  if (args(env, info, argv) != 1 || !typed(env, argv[0], napi_uint8_array, &d)) return fail(env, "opMinMax(bytes)", "a Uint8Array");
  op_minmax(d.data, d.len, mm);
  napi_create_array_with_length(env, 2, &out);
  for (uint32_t i = 0; i < 2; i++) napi_create_uint32(env, mm[i], &v), napi_set_element(env, out, i, v);
  return out;
}

static napi_value hist3_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d, h;
  if (args(env, info, argv) != 2 || !rgb_of(env, argv[0], &d) || !typed(env, argv[1], napi_uint32_array, &h) || h.len != 768) return fail(env, "opHist3(rgb, hist)", "rgb and a 768-entry Uint32Array");
  op_hist3(d.data, d.len, h.data);
  return NULL;
}

static napi_value grey_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d;
  if (args(env, info, argv) != 1 || !rgb_of(env, argv[0], &d)) return fail(env, "opGrey(rgb)", "rgb bytes (a multiple of 3)");
  op_grey(d.data, d.len);
  return NULL;
}

static napi_value grey_sum_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS], out;
  arr d;
  const uint8_t *pre = NULL;
  size_t argc = args(env, info, argv);
  if ((argc != 1 && argc != 2) || !rgb_of(env, argv[0], &d) || (argc == 2 && !lut_or_null(env, argv[1], &pre)))
    return fail(env, "opGreySum(rgb, pre?)", "rgb bytes (a multiple of 3) and a 256-entry table (or null)");
  napi_create_double(env, (double)op_grey_sum(d.data, d.len, pre), &out);  // below 2^53 for any buffer
  return out;
}

static napi_value saturation_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d;
  double factor;
  const uint8_t *pre = NULL;
  size_t argc = args(env, info, argv);
  if ((argc != 2 && argc != 3) || !rgb_of(env, argv[0], &d) || !num_of(env, argv[1], &factor) || (argc == 3 && !lut_or_null(env, argv[2], &pre)))
    return fail(env, "opSaturation(rgb, factor, pre?)", "rgb, a number and a 256-entry table (or null)");
  op_saturation(d.data, d.len, factor, pre);
  return NULL;
}

static napi_value clahe_js(napi_env env, napi_callback_info info) {
  const char *fn = "opClahe(rgb, w, h, clip, tiles)";
  napi_value argv[ARGS], out;
  arr d;
  int w, h, tiles;
  double clip;
  if (args(env, info, argv) != 5 || !image_of(env, argv, &d, &w, &h)) return fail(env, fn, "rgb must be w x h x 3 bytes");
  if (!num_of(env, argv[3], &clip) || !int_of(env, argv[4], 1, 256, &tiles)) return fail(env, fn, "clip: a number, tiles: 1..256");
  int rc = op_clahe_rgb(d.data, w, h, clip, tiles);
  if (rc == -1) return fail(env, fn, "out of memory");
  napi_get_boolean(env, rc == 0, &out);
  return out;
}

static napi_value hsv_pairs_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS], out;
  arr d, l;
  if (args(env, info, argv) != 2 || !rgb_of(env, argv[0], &d) || !typed(env, argv[1], napi_uint16_array, &l) || l.len != 65536)
    return fail(env, "opHsvPairs(rgb, list)", "rgb and a 65536-entry Uint16Array");
  int k = op_hsv_pairs(d.data, d.len, l.data);
  if (k < 0) return fail(env, "opHsvPairs(rgb, list)", "out of memory");
  napi_create_int32(env, k, &out);
  return out;
}

static napi_value hsv_power_q_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d, a, u, w;
  if (args(env, info, argv) != 4 || !rgb_of(env, argv[0], &d) || !typed(env, argv[1], napi_int32_array, &a) || a.len != 256 || !typed(env, argv[2], napi_float64_array, &u) || u.len != 256 ||
      !typed(env, argv[3], napi_float64_array, &w) || w.len != 256)
    return fail(env, "opHsvPowerQ(rgb, a, u, w)", "rgb, a 256-entry Int32Array and two 256-entry Float64Arrays");
  op_hsv_power_q(d.data, d.len, a.data, u.data, w.data);
  return NULL;
}

static napi_value hue_q_js(napi_env env, napi_callback_info info) {
  napi_value argv[ARGS];
  arr d;
  int sq;
  const uint8_t *pre = NULL;
  size_t argc = args(env, info, argv);
  if ((argc != 2 && argc != 3) || !rgb_of(env, argv[0], &d) || !int_of(env, argv[1], 0, 6 * (1 << 20) - 1, &sq) || (argc == 3 && !lut_or_null(env, argv[2], &pre)))
    return fail(env, "opHueQ(rgb, sq, pre?)", "rgb bytes, the turn in 2^-20 sectors (0 <= sq < 6 * 2^20) and a 256-entry table (or null)");
  op_hue_q(d.data, d.len, sq, pre);
  return NULL;
}

static void register_colour_ops(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } COLOUR[] = {
      {"opLut3", lut3_js}, {"opMinMax", minmax_js}, {"opHist3", hist3_js}, {"opGrey", grey_js}, {"opGreySum", grey_sum_js}, {"opSaturation", saturation_js}, {"opClahe", clahe_js},
      {"opHsvPairs", hsv_pairs_js}, {"opHsvPowerQ", hsv_power_q_js}, {"opHueQ", hue_q_js},
  };
  napi_value fn;
  for (size_t i = 0; i < sizeof COLOUR / sizeof COLOUR[0]; i++) {
    napi_create_function(env, COLOUR[i].name, NAPI_AUTO_LENGTH, COLOUR[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, COLOUR[i].name, fn);
  }
}

// ---- filters, kernels 3 (ops_filter.c; ops/filter-q.ts) ---------------------------------------------------
//   opBlurQ(rgb, w, h, taps)   opSharpenQ(rgb, w, h, c, a)   opLineMeanQ(rgb, w, h, offsets, q, shift)

static napi_value blur_q_js(napi_env env, napi_callback_info info) {
  const char *fn = "opBlurQ(rgb, w, h, taps)";
  napi_value argv[ARGS];
  arr d, k;
  int w, h;
  if (args(env, info, argv) != 4 || !image_of(env, argv, &d, &w, &h)) return fail(env, fn, "rgb must be w x h x 3 bytes");
  if (!typed(env, argv[3], napi_int32_array, &k) || k.len % 2 != 1 || k.len > 4001) return fail(env, fn, "taps: an odd number (at most 4001) of Int32");
  const int32_t *q = k.data;
  int64_t sum = 0;
  for (size_t i = 0; i < k.len; i++) {
    if (q[i] < 0 || q[i] > 16384 || q[i] != q[k.len - 1 - i]) return fail(env, fn, "taps must be symmetric, each 0..16384");
    sum += q[i];
  }
  if (sum != 16384) return fail(env, fn, "taps must sum to 16384");
  return op_blur_q(d.data, w, h, q, (int)(k.len / 2), -1) ? fail(env, fn, "out of memory") : NULL;
}

static napi_value sharpen_q_js(napi_env env, napi_callback_info info) {
  const char *fn = "opSharpenQ(rgb, w, h, c, a)";
  napi_value argv[ARGS];
  arr d;
  int w, h, c, a;
  if (args(env, info, argv) != 5 || !image_of(env, argv, &d, &w, &h)) return fail(env, fn, "rgb must be w x h x 3 bytes");
  if (!int_of(env, argv[3], 0, 1 << 19, &c) || !int_of(env, argv[4], 0, 16384, &a)) return fail(env, fn, "c must be an integer 0..2^19, a 0..16384");
  return op_sharpen_q(d.data, w, h, c, a, -1) ? fail(env, fn, "out of memory") : NULL;
}

static napi_value line_mean_q_js(napi_env env, napi_callback_info info) {
  const char *fn = "opLineMeanQ(rgb, w, h, offsets, q, shift)";
  napi_value argv[ARGS];
  arr d, o;
  int w, h, q, shift;
  if (args(env, info, argv) != 6 || !image_of(env, argv, &d, &w, &h)) return fail(env, fn, "rgb must be w x h x 3 bytes");
  if (!typed(env, argv[3], napi_int32_array, &o) || o.len % 2 != 0 || o.len < 2 || o.len > 256) return fail(env, fn, "offsets: 1 to 128 (dx, dy) Int32 pairs");
  const int32_t *p = o.data;
  for (size_t i = 0; i < o.len; i++)
    if (p[i] < -1000 || p[i] > 1000) return fail(env, fn, "offsets must be within -1000..1000");
  if (!int_of(env, argv[4], 0, 32767, &q) || !int_of(env, argv[5], 1, 30, &shift)) return fail(env, fn, "q must be an integer 0..32767, shift 1..30");
  return op_line_mean_q(d.data, w, h, p, (int)(o.len / 2), q, shift, -1) ? fail(env, fn, "out of memory") : NULL;
}

static void register_filter_q_ops(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } list[] = {{"opBlurQ", blur_q_js}, {"opSharpenQ", sharpen_q_js}, {"opLineMeanQ", line_mean_q_js}};
  napi_value fn;
  for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
    napi_create_function(env, list[i].name, NAPI_AUTO_LENGTH, list[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, list[i].name, fn);
  }
}

// ---- noise, kernels 3 (ops_q.c) ---------------------------------------------------------------------------
//   opGaussianNoiseQ3(rgb, key, perChannel, table)   table: Int16Array, 65536 entries within +-256

static napi_value gaussian_noise_q3_js(napi_env env, napi_callback_info info) {
  const char *fn = "opGaussianNoiseQ3(rgb, key, perChannel, table)";
  napi_value argv[ARGS];
  arr d, t;
  uint32_t key;
  int per;
  if (args(env, info, argv) != 4 || !rgb_of(env, argv[0], &d)) return fail(env, fn, "rgb must be RGB bytes (a multiple of 3)");
  if (!u32_of(env, argv[1], &key) || !bool_of(env, argv[2], &per)) return fail(env, fn, "key must be a uint32, perChannel a boolean");
  if (!typed(env, argv[3], napi_int16_array, &t) || t.len != 65536) return fail(env, fn, "table must be a 65536-entry Int16Array");
  const int16_t *q = t.data;
  for (size_t i = 0; i < 65536; i++)
    if (q[i] < -256 || q[i] > 256) return fail(env, fn, "table values must be within +-256");
  op_gaussian_noise_q3(d.data, d.len, key, per, q);
  return NULL;
}

static void register_noise_q3_ops(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "opGaussianNoiseQ3", NAPI_AUTO_LENGTH, gaussian_noise_q3_js, NULL, &fn);
  napi_set_named_property(env, exports, "opGaussianNoiseQ3", fn);
}

// ---- chain, kernels 3: a prefiltered axis-aligned chain (ops_field.c) ----------------------------------
//   opSampleAreaAxes(src, view, xi, xw, kx, yi, yw, ky, shift, even, out)
// (every tap inside the view, weights >= 0 summing to at most 2^12 per column and per row, shift 1..24:
// the kernel's sums stay below 2^32)
static bool area_taps_ok(const arr *at, const arr *w, int k, int lim) {
  if (at->len != w->len || at->len == 0 || at->len % (size_t)k || at->len / (size_t)k > MAX_SIDE) return false;
  const int32_t *a = at->data, *q = w->data;
  for (size_t i = 0; i < at->len; i += (size_t)k) {
    int64_t sum = 0;
    for (int j = 0; j < k; j++) {
      if (a[i + j] < 0 || a[i + j] >= lim || q[i + j] < 0) return false;
      sum += q[i + j];
    }
    if (sum > 4096) return false;
  }
  return true;
}
static napi_value sample_area_axes_js(napi_env env, napi_callback_info info) {
  const char *fn = "opSampleAreaAxes(src, view, xi, xw, kx, yi, yw, ky, shift, even, out)";
  napi_value argv[11];
  size_t argc = 11;
  arr src, xi, xw, yi, yw, out;
  view vw;
  int kx, ky, shift, even;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 11) return fail(env, fn, "11 arguments");
  if (!rgb_of(env, argv[0], &src) || !view_of(env, argv[1], &src, 3, &vw)) return fail(env, fn, "src and view do not match");
  if (!int_of(env, argv[4], 1, 4096, &kx) || !int_of(env, argv[7], 1, 4096, &ky)) return fail(env, fn, "kx and ky must be 1..4096");
  if (!typed(env, argv[2], napi_int32_array, &xi) || !typed(env, argv[3], napi_int32_array, &xw) || !area_taps_ok(&xi, &xw, kx, vw.width))
    return fail(env, fn, "xi, xw: kx taps per column inside the view, weights >= 0 summing to at most 4096");
  if (!typed(env, argv[5], napi_int32_array, &yi) || !typed(env, argv[6], napi_int32_array, &yw) || !area_taps_ok(&yi, &yw, ky, vw.height))
    return fail(env, fn, "yi, yw: ky taps per row inside the view, weights >= 0 summing to at most 4096");
  if (!int_of(env, argv[8], 1, 24, &shift)) return fail(env, fn, "shift must be 1..24");
  if (!bool_of(env, argv[9], &even)) return fail(env, fn, "even must be a boolean");
  const int W = (int)(xi.len / (size_t)kx), H = (int)(yi.len / (size_t)ky);
  if (!rgb_of(env, argv[10], &out) || out.len != (uint64_t)W * H * 3) return fail(env, fn, "out must be W x H x 3 bytes");
  return op_sample_area_axes(&vw, xi.data, xw.data, W, kx, yi.data, yw.data, H, ky, shift, even, out.data) ? fail(env, fn, "out of memory") : NULL;
}

static void register_area_ops(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "opSampleAreaAxes", NAPI_AUTO_LENGTH, sample_area_axes_js, NULL, &fn);
  napi_set_named_property(env, exports, "opSampleAreaAxes", fn);
}
