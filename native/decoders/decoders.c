// Node-API glue for Lockstep's native decoders (decoders.h). Node-API only (no V8 or libuv
// symbols), so one build loads in Node, in worker threads and in Electron. Each call queues its
// kernel on the libuv thread pool and returns a promise; every buffer comes from JS (Electron
// forbids external buffers) and is held by a reference until the kernel is done.
//
//   jpegRegion(src, left, top, width, height, out, flop, lut | null) -> Promise<boolean>
//   pngLabels(zlibStream, imageWidth, imageHeight, left, top, width, height, out) -> Promise<boolean>
//   jpegEncode(rgb, width, height, quality, out, flags = 0) -> Promise<number>
//   writeFiles(tmpPaths, finalPaths, datas) -> Promise<null | { index, step, errno }>
//   mapRegion(src, srcWidth, left, top, width, height, out, flop, lut | null) -> undefined
//     (synchronous: a region of decoded RGB pixels copied, mirrored and/or mapped, as jpegRegion
//     writes a decoded one; well under a millisecond for 512x512)
//
// true: `out` holds the result; false: not taken (decode another way); rejected: the kernel's
// message (corrupt data; the caller's own decoder then reports the file in its words).
// jpegEncode resolves to the file's length in `out`, or -1 when it did not fit.
#include <node_api.h>
#include <stdbool.h>
#include <stdlib.h>
#include "decoders.h"

#define MAX_ARGS 8
#define MAX_REFS 3

typedef struct job job;
struct job {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[MAX_REFS];
  int nrefs;
  int (*run)(job *);
  const uint8_t *src, *lut;
  size_t n;
  uint8_t *out;
  int iw, ih, x, y, w, h, flop, quality, flags, status;
  size_t cap, written;
  bool returns_length;
  char message[MESSAGE_MAX];
  // writeFiles
  size_t count;
  char **tmp, **final;
  const uint8_t **data;
  size_t *len;
  file_failure failure;
  bool files;
};

static int run_jpeg(job *j) { return jpeg_region(j->src, j->n, j->x, j->y, j->w, j->h, j->flop, j->lut, j->out, j->message); }
static int run_png(job *j) { return png_labels(j->src, j->n, j->iw, j->ih, j->x, j->y, j->w, j->h, j->out, j->message); }
static int run_files(job *j) { return write_files(j->count, j->tmp, j->final, j->data, j->len, &j->failure); }
static int run_encode(job *j) { return jpeg_encode(j->src, j->w, j->h, j->quality, j->flags, j->out, j->cap, &j->written, j->message); }

static void execute(napi_env env, void *data) {
  (void)env;
  job *j = data;
  j->status = j->run(j);
}

static void free_files(job *j) {
  for (size_t i = 0; i < j->count; i++) {
    if (j->tmp) free(j->tmp[i]);
    if (j->final) free(j->final[i]);
  }
  free(j->tmp);
  free(j->final);
  free(j->data);
  free(j->len);
}

static void complete(napi_env env, napi_status status, void *data) {
  job *j = data;
  napi_value v;
  if (j->files && status == napi_ok) {
    if (j->status == DONE) napi_get_null(env, &v);
    else {
      napi_value index, step, err;
      napi_create_object(env, &v);
      napi_create_double(env, (double)j->failure.index, &index);
      napi_create_string_utf8(env, j->failure.step, NAPI_AUTO_LENGTH, &step);
      napi_create_int32(env, j->failure.err, &err);
      napi_set_named_property(env, v, "index", index);
      napi_set_named_property(env, v, "step", step);
      napi_set_named_property(env, v, "errno", err);
    }
    napi_resolve_deferred(env, j->deferred, v);
  } else if (status != napi_ok || j->status == FAILED) {
    napi_value msg;
    napi_create_string_utf8(env, status != napi_ok ? "decode cancelled" : j->message, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &v);
    napi_reject_deferred(env, j->deferred, v);
  } else {
    if (j->returns_length) napi_create_double(env, j->status == DONE ? (double)j->written : -1, &v);
    else napi_get_boolean(env, j->status == DONE, &v);
    napi_resolve_deferred(env, j->deferred, v);
  }
  for (int i = 0; i < j->nrefs; i++) napi_delete_reference(env, j->refs[i]);
  napi_delete_async_work(env, j->work);
  if (j->files) free_files(j);
  free(j);
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static bool bytes_of(napi_env env, napi_value v, uint8_t **data, size_t *n) {
  bool is;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  if (napi_get_typedarray_info(env, v, &type, n, (void **)data, NULL, NULL) != napi_ok) return false;
  return type == napi_uint8_array;
}

static bool ints_of(napi_env env, napi_value *argv, int count, int32_t *out) {
  for (int i = 0; i < count; i++)
    if (napi_get_value_int32(env, argv[i], &out[i]) != napi_ok) return false;
  return true;
}

static napi_value queue(napi_env env, job *j, napi_value *held, int nheld) {
  napi_value promise, name;
  for (int i = 0; i < nheld; i++) napi_create_reference(env, held[i], 1, &j->refs[j->nrefs++]);
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "lockstep:decode", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

static napi_value jpeg_region_js(napi_env env, napi_callback_info info) {
  size_t argc = MAX_ARGS;
  napi_value argv[MAX_ARGS];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 8) return throw_type(env, "jpegRegion(src, left, top, width, height, out, flop, lut)");
  uint8_t *src, *out, *lut = NULL;
  size_t n, outn, lutn;
  int32_t r[4];
  bool flop;
  napi_valuetype lut_type;
  if (!bytes_of(env, argv[0], &src, &n) || !bytes_of(env, argv[5], &out, &outn)) return throw_type(env, "jpegRegion: src and out must be Uint8Arrays");
  if (!ints_of(env, argv + 1, 4, r)) return throw_type(env, "jpegRegion: left, top, width, height must be integers");
  if (napi_get_value_bool(env, argv[6], &flop) != napi_ok) return throw_type(env, "jpegRegion: flop must be a boolean");
  if (napi_typeof(env, argv[7], &lut_type) != napi_ok) return throw_type(env, "jpegRegion: bad lut");
  if (lut_type != napi_null && (!bytes_of(env, argv[7], &lut, &lutn) || lutn != 256)) return throw_type(env, "jpegRegion: lut must be null or a Uint8Array of 256 values");
  if (r[0] < 0 || r[1] < 0 || r[2] <= 0 || r[3] <= 0) return throw_type(env, "jpegRegion: empty or negative region");
  if ((uint64_t)r[2] * (uint64_t)r[3] * 3 > outn) return throw_type(env, "jpegRegion: out is smaller than width x height x 3");
  job *j = calloc(1, sizeof *j);
  if (!j) return throw_type(env, "jpegRegion: out of memory");
  *j = (job){.run = run_jpeg, .src = src, .n = n, .out = out, .lut = lut, .x = r[0], .y = r[1], .w = r[2], .h = r[3], .flop = flop};
  napi_value held[3] = {argv[0], argv[5], argv[7]};
  return queue(env, j, held, lut ? 3 : 2);
}

static napi_value png_labels_js(napi_env env, napi_callback_info info) {
  size_t argc = MAX_ARGS;
  napi_value argv[MAX_ARGS];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 8) return throw_type(env, "pngLabels(zlib, imageWidth, imageHeight, left, top, width, height, out)");
  uint8_t *z, *out;
  size_t n, outn;
  int32_t r[6];
  if (!bytes_of(env, argv[0], &z, &n) || !bytes_of(env, argv[7], &out, &outn)) return throw_type(env, "pngLabels: zlib and out must be Uint8Arrays");
  if (!ints_of(env, argv + 1, 6, r)) return throw_type(env, "pngLabels: sizes must be integers");
  if (r[0] <= 0 || r[1] <= 0 || r[2] < 0 || r[3] < 0 || r[4] <= 0 || r[5] <= 0) return throw_type(env, "pngLabels: empty or negative size");
  if ((uint64_t)r[4] * (uint64_t)r[5] > outn) return throw_type(env, "pngLabels: out is smaller than width x height");
  job *j = calloc(1, sizeof *j);
  if (!j) return throw_type(env, "pngLabels: out of memory");
  *j = (job){.run = run_png, .src = z, .n = n, .out = out, .iw = r[0], .ih = r[1], .x = r[2], .y = r[3], .w = r[4], .h = r[5]};
  napi_value held[2] = {argv[0], argv[7]};
  return queue(env, j, held, 2);
}

static napi_value jpeg_encode_js(napi_env env, napi_callback_info info) {
  size_t argc = MAX_ARGS;
  napi_value argv[MAX_ARGS];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 || argc > 6) return throw_type(env, "jpegEncode(rgb, width, height, quality, out, flags)");
  uint8_t *rgb, *out;
  size_t n, outn;
  int32_t r[3], flags = 0;
  if (argc == 6 && napi_get_value_int32(env, argv[5], &flags) != napi_ok) return throw_type(env, "jpegEncode: flags must be an integer");
  if (!bytes_of(env, argv[0], &rgb, &n) || !bytes_of(env, argv[4], &out, &outn)) return throw_type(env, "jpegEncode: rgb and out must be Uint8Arrays");
  if (!ints_of(env, argv + 1, 3, r)) return throw_type(env, "jpegEncode: width, height, quality must be integers");
  if (r[0] <= 0 || r[1] <= 0 || r[2] < 1 || r[2] > 100) return throw_type(env, "jpegEncode: bad size or quality");
  if ((uint64_t)r[0] * (uint64_t)r[1] * 3 > n) return throw_type(env, "jpegEncode: rgb is smaller than width x height x 3");
  job *j = calloc(1, sizeof *j);
  if (!j) return throw_type(env, "jpegEncode: out of memory");
  *j = (job){.run = run_encode, .src = rgb, .n = n, .out = out, .cap = outn, .w = r[0], .h = r[1], .quality = r[2], .flags = flags, .returns_length = true};
  napi_value held[2] = {argv[0], argv[4]};
  return queue(env, j, held, 2);
}

static napi_value map_region_js(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 9) return throw_type(env, "mapRegion(src, srcWidth, left, top, width, height, out, flop, lut)");
  uint8_t *src, *out, *lut = NULL;
  size_t n, outn, lutn;
  int32_t r[5];
  bool flop;
  napi_valuetype lut_type;
  if (!bytes_of(env, argv[0], &src, &n) || !bytes_of(env, argv[6], &out, &outn)) return throw_type(env, "mapRegion: src and out must be Uint8Arrays");
  if (!ints_of(env, argv + 1, 5, r)) return throw_type(env, "mapRegion: sizes must be integers");
  if (napi_get_value_bool(env, argv[7], &flop) != napi_ok) return throw_type(env, "mapRegion: flop must be a boolean");
  if (napi_typeof(env, argv[8], &lut_type) != napi_ok) return throw_type(env, "mapRegion: bad lut");
  if (lut_type != napi_null && (!bytes_of(env, argv[8], &lut, &lutn) || lutn != 256)) return throw_type(env, "mapRegion: lut must be null or a Uint8Array of 256 values");
  const int64_t sw = r[0], x = r[1], y = r[2], w = r[3], h = r[4];
  if (sw <= 0 || x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > sw || (uint64_t)((y + h) * sw * 3) > n) return throw_type(env, "mapRegion: region outside the source");
  if ((uint64_t)(w * h * 3) > outn) return throw_type(env, "mapRegion: out is smaller than width x height x 3");
  for (int64_t row = 0; row < h; row++) put_row(src + ((y + row) * sw + x) * 3, (int)w, flop, lut, out + row * w * 3);
  return NULL;
}

static char *string_of(napi_env env, napi_value v) {
  size_t n;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) return NULL;
  char *s = malloc(n + 1);
  if (s && napi_get_value_string_utf8(env, v, s, n + 1, &n) != napi_ok) {
    free(s);
    return NULL;
  }
  return s;
}

static napi_value write_files_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint32_t count, n1, n2;
  bool a0, a1, a2;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return throw_type(env, "writeFiles(tmpPaths, finalPaths, datas)");
  napi_is_array(env, argv[0], &a0);
  napi_is_array(env, argv[1], &a1);
  napi_is_array(env, argv[2], &a2);
  if (!a0 || !a1 || !a2) return throw_type(env, "writeFiles: three arrays");
  napi_get_array_length(env, argv[0], &count);
  napi_get_array_length(env, argv[1], &n1);
  napi_get_array_length(env, argv[2], &n2);
  if (count != n1 || count != n2) return throw_type(env, "writeFiles: the arrays differ in length");
  job *j = calloc(1, sizeof *j);
  if (!j) return throw_type(env, "writeFiles: out of memory");
  j->run = run_files;
  j->files = true;
  j->count = count;
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
    if (!j->tmp[i] || !j->final[i]) bad = "writeFiles: paths must be strings";
    else if (!bytes_of(env, d, &p, &j->len[i])) bad = "writeFiles: datas must be Uint8Arrays";
    else j->data[i] = p;
  }
  if (bad) {
    free_files(j);
    free(j);
    return throw_type(env, bad);
  }
  napi_value held[1] = {argv[2]}; // the array holds every data buffer until the job is done
  return queue(env, j, held, 1);
}

NAPI_MODULE_INIT() {
  napi_value fn, version;
  napi_create_function(env, "jpegRegion", NAPI_AUTO_LENGTH, jpeg_region_js, NULL, &fn);
  napi_set_named_property(env, exports, "jpegRegion", fn);
  napi_create_function(env, "pngLabels", NAPI_AUTO_LENGTH, png_labels_js, NULL, &fn);
  napi_set_named_property(env, exports, "pngLabels", fn);
  napi_create_function(env, "jpegEncode", NAPI_AUTO_LENGTH, jpeg_encode_js, NULL, &fn);
  napi_set_named_property(env, exports, "jpegEncode", fn);
  napi_create_function(env, "writeFiles", NAPI_AUTO_LENGTH, write_files_js, NULL, &fn);
  napi_set_named_property(env, exports, "writeFiles", fn);
  napi_create_function(env, "mapRegion", NAPI_AUTO_LENGTH, map_region_js, NULL, &fn);
  napi_set_named_property(env, exports, "mapRegion", fn);
  napi_create_string_utf8(env, libjpeg_turbo_version, NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "libjpegTurbo", version);
  return exports;
}
