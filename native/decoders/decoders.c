// Node-API glue for Lockstep's native decoders (decoders.h). Node-API only (no V8 or libuv
// symbols), so one build loads in Node, in worker threads and in Electron. Each call queues its
// kernel on the libuv thread pool and returns a promise.
//
//   jpegRegion(src, left, top, width, height, out, flop, lut | null) -> Promise<boolean>
//   pngLabels(zlibStream, imageWidth, imageHeight, left, top, width, height, out) -> Promise<boolean>
//   pngLabelsChecked(zlibStream, imageWidth, imageHeight, left, top, width, height, out) -> Promise<PngCheck>
//   checkPng(zlibStream, rows: number[], strides: number[]) -> Promise<PngCheck>
//     PngCheck = { kind, total, consumed, pass, row, filter, zmsg } (decoders.h PNG_*)
//   checkJpeg(src, maxPixels) -> Promise<{ verdict, message }> (decoders.h CHECK_*)
//   jpegEncode(rgb, width, height, quality, out, flags = 0) -> Promise<number>
//   writeFiles(tmpPaths, finalPaths, datas) -> Promise<null | { index, step, errno }>
//   mapRegion(src, srcWidth, left, top, width, height, out, flop, lut | null) -> undefined
//     (synchronous: a region of decoded RGB pixels copied, mirrored and/or mapped, as jpegRegion
//     writes a decoded one; well under a millisecond for 512x512)
//
// true: `out` holds the result; false: not taken (decode another way); rejected: the kernel's
// message (corrupt data; the caller's own decoder then reports the file in its words).
// jpegEncode resolves to the file's length in `out`, or -1 when it did not fit.
//
// Safe for any caller (test/io/native-api.test.ts has a case for each misuse): every argument is
// validated (integers in range, Uint8Arrays, sizes that fit, arithmetic checked); a job never
// touches the caller's memory off the main thread: its inputs are copied when it is queued and its
// output is written to memory of its own, copied into `out` on completion only if `out` is still
// attached and large enough (else the promise rejects). So a caller that changes, transfers or
// detaches a buffer while a job runs, and collects garbage, changes nothing the job reads or
// writes. The copies cost well under a millisecond for the sizes exports pass.
#include <node_api.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include "decoders.h"
#include "ops.h"

#define MAX_ARGS 10
/** The largest image (width x height) a kernel is asked to hold: src/main/io/decode-errors.ts MAX_INPUT_PIXELS. */
#define MAX_PIXELS 200000000ull

typedef struct job job;
struct job {
  napi_async_work work;
  napi_deferred deferred;
  int (*run)(job *);
  napi_value (*result)(napi_env, job *);
  // job-owned copies of the inputs
  uint8_t *src, *lut;
  size_t n;
  // job-owned output, copied into the caller's `out` (out_ref) when done
  uint8_t *out;
  size_t out_n, out_copy;
  napi_ref out_ref;
  int iw, ih, x, y, w, h, flop, quality, flags, status;
  uint64_t max_pixels;
  size_t written;
  char message[MESSAGE_MAX];
  png_check_result png;
  uint32_t rows[7];
  uint64_t strides[7];
  int npasses;
  // writeFiles
  size_t count;
  char **tmp, **final;
  uint8_t **data;
  size_t *len;
  file_failure failure;
};

static void free_job(job *j) {
  for (size_t i = 0; i < j->count; i++) {
    if (j->tmp) free(j->tmp[i]);
    if (j->final) free(j->final[i]);
    if (j->data) free(j->data[i]);
  }
  free(j->tmp);
  free(j->final);
  free(j->data);
  free(j->len);
  free(j->src);
  free(j->lut);
  free(j->out);
  free(j);
}

// ---- arguments --------------------------------------------------------------------------------

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static napi_value throw_range(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

/** The Uint8Array's bytes (NULL when v is not a Uint8Array; *n is 0 for a detached one). */
static bool bytes_of(napi_env env, napi_value v, uint8_t **data, size_t *n) {
  bool is;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  if (napi_get_typedarray_info(env, v, &type, n, (void **)data, NULL, NULL) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  if (*n == 0) *data = NULL;
  return true;
}

/** A copy the job owns (malloc; at least one byte so an empty input is not NULL). */
static uint8_t *copy_of(const uint8_t *p, size_t n) {
  uint8_t *c = malloc(n ? n : 1);
  if (c && n) memcpy(c, p, n);
  return c;
}

/** A number that is an integer in [lo, hi] (no NaN, no fraction, no silent truncation). */
static bool int_of(napi_env env, napi_value v, int64_t lo, int64_t hi, int64_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  if (napi_get_value_double(env, v, &d) != napi_ok || !isfinite(d) || d != floor(d) || d < (double)lo || d > (double)hi) return false;
  *out = (int64_t)d;
  return true;
}

static bool ints_of(napi_env env, napi_value *argv, int count, int64_t lo, int64_t hi, int64_t *out) {
  for (int i = 0; i < count; i++)
    if (!int_of(env, argv[i], lo, hi, &out[i])) return false;
  return true;
}

static bool bool_of(napi_env env, napi_value v, bool *out) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == napi_boolean && napi_get_value_bool(env, v, out) == napi_ok;
}

/** null, or a Uint8Array of exactly 256 values (copied into *lut). */
static bool lut_of(napi_env env, napi_value v, uint8_t **lut) {
  napi_valuetype t;
  uint8_t *p;
  size_t n;
  *lut = NULL;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_null) return true;
  if (!bytes_of(env, v, &p, &n) || n != 256) return false;
  *lut = copy_of(p, 256);
  return *lut != NULL;
}

static bool get_args(napi_env env, napi_callback_info info, size_t min, size_t max, napi_value *argv, size_t *argc) {
  *argc = MAX_ARGS;
  return napi_get_cb_info(env, info, argc, argv, NULL, NULL) == napi_ok && *argc >= min && *argc <= max;
}

// ---- jobs ---------------------------------------------------------------------------------------

static void execute(napi_env env, void *data) {
  (void)env;
  job *j = data;
  j->status = j->run(j);
}

/** Copies the job's output into the caller's `out`, if it is still there and large enough. */
static bool copy_back(napi_env env, job *j) {
  if (!j->out_ref || !j->out_copy) return true;
  napi_value out;
  uint8_t *p;
  size_t n;
  if (napi_get_reference_value(env, j->out_ref, &out) != napi_ok || !out || !bytes_of(env, out, &p, &n) || n < j->out_copy) return false;
  memcpy(p, j->out, j->out_copy);
  return true;
}

static void complete(napi_env env, napi_status status, void *data) {
  job *j = data;
  napi_value v = NULL, msg;
  const char *reject = NULL;
  if (status != napi_ok) reject = "decode cancelled";
  else if (j->status == FAILED && !j->result) reject = j->message;
  else if (j->status == DONE && !copy_back(env, j)) reject = "the output buffer was detached or shrunk while the job ran";
  if (reject) {
    napi_create_string_utf8(env, reject, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &v);
    napi_reject_deferred(env, j->deferred, v);
  } else {
    if (j->result) v = j->result(env, j);
    else napi_get_boolean(env, j->status == DONE, &v);
    napi_resolve_deferred(env, j->deferred, v);
  }
  if (j->out_ref) napi_delete_reference(env, j->out_ref);
  napi_delete_async_work(env, j->work);
  free_job(j);
}

/**
 * Queues the job; `out` (may be NULL) receives j->out_copy bytes of j->out when it is done. On a
 * failure to queue, the job is freed and an error thrown.
 */
static napi_value queue(napi_env env, job *j, napi_value out) {
  napi_value promise, name;
  if ((out && napi_create_reference(env, out, 1, &j->out_ref) != napi_ok) || napi_create_promise(env, &j->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "lockstep:decode", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, j, &j->work) != napi_ok || napi_queue_async_work(env, j->work) != napi_ok) {
    if (j->out_ref) napi_delete_reference(env, j->out_ref);
    free_job(j);
    napi_throw_error(env, NULL, "lockstep: could not queue the job");
    return NULL;
  }
  return promise;
}

/** A new job with a copy of `src` and an output of out_n bytes (NULL, with an error thrown, when memory runs out). */
static job *new_job(napi_env env, const uint8_t *src, size_t n, size_t out_n) {
  job *j = calloc(1, sizeof *j);
  if (j && src) j->src = copy_of(src, n), j->n = n;
  if (j && out_n) j->out = malloc(out_n), j->out_n = j->out_copy = out_n;
  if (!j || (src && !j->src) || (out_n && !j->out)) {
    if (j) free_job(j);
    napi_throw_error(env, NULL, "lockstep: out of memory");
    return NULL;
  }
  return j;
}

// ---- the kernels' entry points --------------------------------------------------------------

static int run_jpeg(job *j) { return jpeg_region(j->src, j->n, j->x, j->y, j->w, j->h, j->flop, j->lut, j->out, j->message); }

static napi_value jpeg_region_js(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  size_t argc;
  uint8_t *src, *out, *lut;
  size_t n, outn;
  int64_t r[4];
  bool flop;
  if (!get_args(env, info, 8, 8, argv, &argc)) return throw_type(env, "jpegRegion(src, left, top, width, height, out, flop, lut)");
  if (!bytes_of(env, argv[0], &src, &n) || !bytes_of(env, argv[5], &out, &outn)) return throw_type(env, "jpegRegion: src and out must be Uint8Arrays");
  if (!ints_of(env, argv + 1, 2, 0, INT32_MAX, r) || !ints_of(env, argv + 3, 2, 1, INT32_MAX, r + 2)) return throw_range(env, "jpegRegion: left and top must be integers >= 0, width and height integers >= 1");
  if (!bool_of(env, argv[6], &flop)) return throw_type(env, "jpegRegion: flop must be a boolean");
  if ((uint64_t)r[2] * (uint64_t)r[3] > MAX_PIXELS) return throw_range(env, "jpegRegion: region larger than the pixel limit");
  const size_t need = (size_t)r[2] * (size_t)r[3] * 3;
  if (need > outn) return throw_range(env, "jpegRegion: out is smaller than width x height x 3");
  if (!lut_of(env, argv[7], &lut)) return throw_type(env, "jpegRegion: lut must be null or a Uint8Array of 256 values");
  job *j = new_job(env, src, n, need);
  if (!j) return free(lut), NULL;
  j->run = run_jpeg, j->lut = lut, j->x = (int)r[0], j->y = (int)r[1], j->w = (int)r[2], j->h = (int)r[3], j->flop = flop;
  return queue(env, j, argv[5]);
}

/** zlib, imageWidth, imageHeight, left, top, width, height, out: checked; the job, or NULL with an error thrown. */
static job *png_region_job(napi_env env, napi_value *argv) {
  uint8_t *z, *out;
  size_t n, outn;
  int64_t r[6];
  if (!bytes_of(env, argv[0], &z, &n) || !bytes_of(env, argv[7], &out, &outn)) return throw_type(env, "pngLabels: zlib and out must be Uint8Arrays"), NULL;
  if (!ints_of(env, argv + 1, 2, 1, INT32_MAX - 1, r) || !ints_of(env, argv + 3, 2, 0, INT32_MAX, r + 2) || !ints_of(env, argv + 5, 2, 1, INT32_MAX, r + 4))
    return throw_range(env, "pngLabels: image sizes and region sizes must be integers >= 1, left and top integers >= 0"), NULL;
  if ((uint64_t)r[0] * (uint64_t)r[1] > MAX_PIXELS) return throw_range(env, "pngLabels: image larger than the pixel limit"), NULL;
  if (r[2] + r[4] > r[0] || r[3] + r[5] > r[1]) return throw_range(env, "pngLabels: region outside the image"), NULL;
  if ((uint64_t)r[4] * (uint64_t)r[5] > outn) return throw_range(env, "pngLabels: out is smaller than width x height"), NULL;
  job *j = new_job(env, z, n, (size_t)r[4] * (size_t)r[5]);
  if (!j) return NULL;
  j->iw = (int)r[0], j->ih = (int)r[1], j->x = (int)r[2], j->y = (int)r[3], j->w = (int)r[4], j->h = (int)r[5];
  return j;
}

static int run_png(job *j) { return png_labels(j->src, j->n, j->iw, j->ih, j->x, j->y, j->w, j->h, j->out, j->message); }

static napi_value png_labels_js(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  size_t argc;
  if (!get_args(env, info, 8, 8, argv, &argc)) return throw_type(env, "pngLabels(zlib, imageWidth, imageHeight, left, top, width, height, out)");
  job *j = png_region_job(env, argv);
  if (!j) return NULL;
  j->run = run_png;
  return queue(env, j, argv[7]);
}

static napi_value png_check_value(napi_env env, job *j) {
  napi_value v, x;
  napi_create_object(env, &v);
  const struct { const char *name; double value; } fields[] = {{"kind", j->png.kind}, {"total", (double)j->png.total}, {"consumed", (double)j->png.consumed},
                                                                {"pass", j->png.pass}, {"row", j->png.row}, {"filter", j->png.filter}};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    napi_create_double(env, fields[i].value, &x);
    napi_set_named_property(env, v, fields[i].name, x);
  }
  napi_create_string_utf8(env, j->png.zmsg, NAPI_AUTO_LENGTH, &x);
  napi_set_named_property(env, v, "zmsg", x);
  return v;
}

static int run_png_checked(job *j) {
  int r = png_labels_checked(j->src, j->n, j->iw, j->ih, j->x, j->y, j->w, j->h, j->out, &j->png, j->message);
  if (r != DONE) {
    j->out_copy = 0; // nothing to hand back
    if (j->png.kind == PNG_OK || j->png.kind == PNG_INTERNAL) j->result = NULL; // not a verdict on the data: reject with the message
  }
  return r;
}

static napi_value png_labels_checked_js(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  size_t argc;
  if (!get_args(env, info, 8, 8, argv, &argc)) return throw_type(env, "pngLabelsChecked(zlib, imageWidth, imageHeight, left, top, width, height, out)");
  job *j = png_region_job(env, argv);
  if (!j) return NULL;
  j->run = run_png_checked, j->result = png_check_value;
  return queue(env, j, argv[7]);
}

static int run_png_check(job *j) {
  int r = check_png_data(j->src, j->n, j->npasses, j->rows, j->strides, NULL, 0, &j->png);
  if (j->png.kind == PNG_INTERNAL) {
    fail_with(j->message, j->png.zmsg);
    j->result = NULL;
  }
  return r;
}

static napi_value check_png_js(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], e;
  size_t argc;
  uint8_t *z;
  size_t n;
  uint32_t nr, ns;
  bool a, b;
  if (!get_args(env, info, 3, 3, argv, &argc)) return throw_type(env, "checkPng(zlib, rows, strides)");
  if (!bytes_of(env, argv[0], &z, &n)) return throw_type(env, "checkPng: zlib must be a Uint8Array");
  if (napi_is_array(env, argv[1], &a) != napi_ok || napi_is_array(env, argv[2], &b) != napi_ok || !a || !b) return throw_type(env, "checkPng: rows and strides must be arrays");
  napi_get_array_length(env, argv[1], &nr);
  napi_get_array_length(env, argv[2], &ns);
  if (nr < 1 || nr > 7 || nr != ns) return throw_range(env, "checkPng: 1 to 7 passes, as many rows as strides");
  uint32_t rows[7];
  uint64_t strides[7], expected = 0;
  for (uint32_t i = 0; i < nr; i++) {
    int64_t rv, sv;
    if (napi_get_element(env, argv[1], i, &e) != napi_ok || !int_of(env, e, 0, INT32_MAX, &rv)) return throw_range(env, "checkPng: rows must be integers >= 0");
    if (napi_get_element(env, argv[2], i, &e) != napi_ok || !int_of(env, e, 2, (int64_t)1 << 34, &sv)) return throw_range(env, "checkPng: strides must be integers >= 2");
    rows[i] = (uint32_t)rv, strides[i] = (uint64_t)sv;
    expected += (uint64_t)rv * (uint64_t)sv;
  }
  if (expected > MAX_PIXELS * 8 + (1u << 28)) return throw_range(env, "checkPng: more image data than the pixel limit allows");
  job *j = new_job(env, z, n, 0);
  if (!j) return NULL;
  j->run = run_png_check, j->result = png_check_value, j->npasses = (int)nr;
  memcpy(j->rows, rows, sizeof rows);
  memcpy(j->strides, strides, sizeof strides);
  return queue(env, j, NULL);
}

static int run_check_jpeg(job *j) { return check_jpeg(j->src, j->n, j->max_pixels, j->message); }

static napi_value check_jpeg_value(napi_env env, job *j) {
  napi_value v, x;
  napi_create_object(env, &v);
  napi_create_int32(env, j->status, &x);
  napi_set_named_property(env, v, "verdict", x);
  napi_create_string_utf8(env, j->message, NAPI_AUTO_LENGTH, &x);
  napi_set_named_property(env, v, "message", x);
  return v;
}

static napi_value check_jpeg_js(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  size_t argc;
  uint8_t *src;
  size_t n;
  int64_t max;
  if (!get_args(env, info, 2, 2, argv, &argc)) return throw_type(env, "checkJpeg(src, maxPixels)");
  if (!bytes_of(env, argv[0], &src, &n)) return throw_type(env, "checkJpeg: src must be a Uint8Array");
  if (!int_of(env, argv[1], 1, (int64_t)MAX_PIXELS, &max)) return throw_range(env, "checkJpeg: maxPixels must be an integer from 1 to the pixel limit");
  job *j = new_job(env, src, n, 0);
  if (!j) return NULL;
  j->run = run_check_jpeg, j->result = check_jpeg_value, j->max_pixels = (uint64_t)max;
  return queue(env, j, NULL);
}

static int run_encode(job *j) {
  int r = jpeg_encode(j->src, j->w, j->h, j->quality, j->flags, j->out, j->out_n, &j->written, j->message);
  j->out_copy = r == DONE ? j->written : 0;
  return r;
}

static napi_value encode_value(napi_env env, job *j) {
  napi_value v;
  napi_create_double(env, j->status == DONE ? (double)j->written : -1, &v);
  return v;
}

static napi_value jpeg_encode_js(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  size_t argc;
  uint8_t *rgb, *out;
  size_t n, outn;
  int64_t r[3], flags = 0;
  if (!get_args(env, info, 5, 6, argv, &argc)) return throw_type(env, "jpegEncode(rgb, width, height, quality, out, flags)");
  if (!bytes_of(env, argv[0], &rgb, &n) || !bytes_of(env, argv[4], &out, &outn)) return throw_type(env, "jpegEncode: rgb and out must be Uint8Arrays");
  if (!ints_of(env, argv + 1, 2, 1, 65500, r) || !int_of(env, argv[3], 1, 100, &r[2])) return throw_range(env, "jpegEncode: width and height must be integers from 1 to 65500, quality from 1 to 100");
  if (argc == 6 && !int_of(env, argv[5], 0, JPEG_444 | JPEG_PROGRESSIVE | JPEG_RESTARTS, &flags)) return throw_range(env, "jpegEncode: flags must be an integer from 0 to 7");
  if ((uint64_t)r[0] * (uint64_t)r[1] > MAX_PIXELS) return throw_range(env, "jpegEncode: image larger than the pixel limit");
  const size_t need = (size_t)r[0] * (size_t)r[1] * 3;
  if (need > n) return throw_range(env, "jpegEncode: rgb is smaller than width x height x 3");
  if (outn == 0) return throw_range(env, "jpegEncode: out is empty");
  job *j = new_job(env, rgb, need, outn);
  if (!j) return NULL;
  j->run = run_encode, j->result = encode_value, j->w = (int)r[0], j->h = (int)r[1], j->quality = (int)r[2], j->flags = (int)flags;
  return queue(env, j, argv[4]);
}

static napi_value map_region_js(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  size_t argc;
  uint8_t *src, *out, *lut;
  size_t n, outn, lutn;
  int64_t r[5];
  bool flop;
  napi_valuetype lut_type;
  if (!get_args(env, info, 9, 9, argv, &argc)) return throw_type(env, "mapRegion(src, srcWidth, left, top, width, height, out, flop, lut)");
  if (!bytes_of(env, argv[0], &src, &n) || !bytes_of(env, argv[6], &out, &outn)) return throw_type(env, "mapRegion: src and out must be Uint8Arrays");
  if (!int_of(env, argv[1], 1, INT32_MAX, &r[0]) || !ints_of(env, argv + 2, 2, 0, INT32_MAX, r + 1) || !ints_of(env, argv + 4, 2, 1, INT32_MAX, r + 3))
    return throw_range(env, "mapRegion: srcWidth, width and height must be integers >= 1, left and top integers >= 0");
  if (!bool_of(env, argv[7], &flop)) return throw_type(env, "mapRegion: flop must be a boolean");
  if (napi_typeof(env, argv[8], &lut_type) != napi_ok) return throw_type(env, "mapRegion: bad lut");
  lut = NULL;
  if (lut_type != napi_null && (!bytes_of(env, argv[8], &lut, &lutn) || lutn != 256)) return throw_type(env, "mapRegion: lut must be null or a Uint8Array of 256 values");
  // every product checked against the buffers' sizes by division, so nothing can overflow
  const uint64_t sw = (uint64_t)r[0], x = (uint64_t)r[1], y = (uint64_t)r[2], w = (uint64_t)r[3], h = (uint64_t)r[4];
  if (x + w > sw || sw > n / 3 || y + h > n / (sw * 3)) return throw_range(env, "mapRegion: region outside the source");
  if (w > outn / 3 || h > outn / (w * 3)) return throw_range(env, "mapRegion: out is smaller than width x height x 3");
  for (uint64_t row = 0; row < h; row++) {
    const uint8_t *p = src + ((y + row) * sw + x) * 3;
    uint8_t *q = out + row * w * 3;
    // the row mirrored and/or through the table by the vector kernels (put_row's byte loops are 3-4x
    // slower, and twice that again when source and output fall at an unlucky distance)
    if (flop) op_mirror_rgb(p + (w - 1) * 3, (size_t)w, q);
    if (lut) op_lut_to(q, flop ? q : p, (size_t)w * 3, lut);
    else if (!flop) memcpy(q, p, (size_t)w * 3);
  }
  return NULL;
}

static char *string_of(napi_env env, napi_value v) {
  size_t n;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) return NULL;
  char *s = malloc(n + 1);
  if (s && napi_get_value_string_utf8(env, v, s, n + 1, &n) != napi_ok) {
    free(s);
    return NULL;
  }
  if (s && strlen(s) != n) { // a NUL inside the path would write another file than the caller named
    free(s);
    return NULL;
  }
  return s;
}

static int run_files(job *j) { return write_files(j->count, j->tmp, j->final, (const uint8_t *const *)j->data, j->len, &j->failure); }

static napi_value files_value(napi_env env, job *j) {
  napi_value v, index, step, err;
  if (j->status == DONE) {
    napi_get_null(env, &v);
    return v;
  }
  napi_create_object(env, &v);
  napi_create_double(env, (double)j->failure.index, &index);
  napi_create_string_utf8(env, j->failure.step, NAPI_AUTO_LENGTH, &step);
  napi_create_int32(env, j->failure.err, &err);
  napi_set_named_property(env, v, "index", index);
  napi_set_named_property(env, v, "step", step);
  napi_set_named_property(env, v, "errno", err);
  return v;
}

static napi_value write_files_js(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  size_t argc;
  uint32_t count, n1, n2;
  bool a0, a1, a2;
  if (!get_args(env, info, 3, 3, argv, &argc)) return throw_type(env, "writeFiles(tmpPaths, finalPaths, datas)");
  if (napi_is_array(env, argv[0], &a0) != napi_ok || napi_is_array(env, argv[1], &a1) != napi_ok || napi_is_array(env, argv[2], &a2) != napi_ok || !a0 || !a1 || !a2)
    return throw_type(env, "writeFiles: three arrays");
  napi_get_array_length(env, argv[0], &count);
  napi_get_array_length(env, argv[1], &n1);
  napi_get_array_length(env, argv[2], &n2);
  if (count != n1 || count != n2) return throw_range(env, "writeFiles: the arrays differ in length");
  if (count > 100000) return throw_range(env, "writeFiles: more than 100000 files in one batch");
  job *j = new_job(env, NULL, 0, 0);
  if (!j) return NULL;
  j->run = run_files, j->result = files_value, j->count = count;
  j->tmp = calloc(count ? count : 1, sizeof *j->tmp);
  j->final = calloc(count ? count : 1, sizeof *j->final);
  j->data = calloc(count ? count : 1, sizeof *j->data);
  j->len = calloc(count ? count : 1, sizeof *j->len);
  const char *bad = !j->tmp || !j->final || !j->data || !j->len ? "writeFiles: out of memory" : NULL;
  for (uint32_t i = 0; i < count && !bad; i++) {
    napi_value t, f, d;
    uint8_t *p;
    napi_get_element(env, argv[0], i, &t);
    napi_get_element(env, argv[1], i, &f);
    napi_get_element(env, argv[2], i, &d);
    j->tmp[i] = string_of(env, t);
    j->final[i] = string_of(env, f);
    if (!j->tmp[i] || !j->final[i]) bad = "writeFiles: paths must be strings without NUL";
    else if (!bytes_of(env, d, &p, &j->len[i])) bad = "writeFiles: datas must be Uint8Arrays";
    else if (!(j->data[i] = copy_of(p, j->len[i]))) bad = "writeFiles: out of memory";
  }
  if (bad) {
    free_job(j);
    return throw_type(env, bad);
  }
  return queue(env, j, NULL);
}

// One line per function: a new kernel adds its entry point above and a line here.
static const struct {
  const char *name;
  napi_callback fn;
} FUNCTIONS[] = {
    {"jpegRegion", jpeg_region_js},
    {"pngLabels", png_labels_js},
    {"pngLabelsChecked", png_labels_checked_js},
    {"checkPng", check_png_js},
    {"checkJpeg", check_jpeg_js},
    {"jpegEncode", jpeg_encode_js},
    {"writeFiles", write_files_js},
    {"mapRegion", map_region_js},
};

// The op kernels' functions (ops_napi.c), added to the exports.
void register_op_kernels(napi_env env, napi_value exports);

NAPI_MODULE_INIT() {
  napi_value fn, v;
  for (size_t i = 0; i < sizeof FUNCTIONS / sizeof FUNCTIONS[0]; i++) {
    napi_create_function(env, FUNCTIONS[i].name, NAPI_AUTO_LENGTH, FUNCTIONS[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, FUNCTIONS[i].name, fn);
  }
  napi_create_string_utf8(env, libjpeg_turbo_version, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, exports, "libjpegTurbo", v);
  napi_create_double(env, (double)MAX_PIXELS, &v);
  napi_set_named_property(env, exports, "maxPixels", v);
  napi_create_double(env, PNG_CHUNK, &v);
  napi_set_named_property(env, exports, "pngChunk", v);
  register_op_kernels(env, exports);
  return exports;
}
