// Lockstep's native decoders (and the JPEG encoder): kernels that run on the libuv thread pool
// (decoders.c is the Node-API glue). Each returns DONE, NOT_TAKEN (the input is outside what it
// handles: do it another way) or FAILED (with `message`: the caller's own decoder then reports
// the problem).
#ifndef LOCKSTEP_DECODERS_H
#define LOCKSTEP_DECODERS_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { DONE = 0, NOT_TAKEN = 1, FAILED = -1 };
#define MESSAGE_MAX 200

// Writes `what` into a kernel's message buffer (MESSAGE_MAX bytes) and returns FAILED.
static inline int fail_with(char *message, const char *what) {
  size_t n = 0;
  while (n < MESSAGE_MAX - 1 && what[n]) n++;
  memmove(message, what, n);
  message[n] = 0;
  return FAILED;
}

extern const char *const libjpeg_turbo_version;

// JPEG region (jpeg.c): h x w x 3 RGB of the region at (x, y); rows mirrored when `flop`,
// values mapped through `lut` (256 entries) when not NULL.
int jpeg_region(const uint8_t *src, size_t n, int x, int y, int w, int h, int flop, const uint8_t *lut, uint8_t *out, char *message);

// One row of w RGB pixels from p to q, mirrored when `flop`, mapped through `lut` when not NULL
// (jpeg.c; also what mapRegion does to each row of a decoded image).
void put_row(const uint8_t *p, int w, int flop, const uint8_t *lut, uint8_t *q);

// JPEG encode of h x w x 3 RGB (jpeg.c), as sharp's jpeg({ quality, optimiseCoding: false }):
// writes the file into dst (cap bytes) and its length into *written; NOT_TAKEN when it does not fit.
// flags: JPEG_444 (no chroma subsampling), JPEG_PROGRESSIVE (libjpeg's simple progression),
// JPEG_RESTARTS (a restart marker every MCU row); the start-up check and the tests use them to
// make test files without sharp (which cannot write restart markers).
enum { JPEG_444 = 1, JPEG_PROGRESSIVE = 2, JPEG_RESTARTS = 4 };
int jpeg_encode(const uint8_t *rgb, int w, int h, int quality, int flags, uint8_t *dst, size_t cap, size_t *written, char *message);

// 8-bit single-channel PNG region (png_labels.c): `z` is the zlib stream of the IDAT chunks of a
// width x height image; writes h x w bytes of the region at (x, y).
int png_labels(const uint8_t *z, size_t n, int width, int height, int x, int y, int w, int h, uint8_t *out, char *message);

// Whole-file checks (check_jpeg.c, png_labels.c): the verdict, and in `message` what is wrong.
enum { CHECK_OK = 0, CHECK_CORRUPT = 1, CHECK_TOO_LARGE = 2, CHECK_UNSUPPORTED = 3 };

// Every marker segment and every scan's entropy-coded data of a JPEG (src/main/io/check-jpeg.ts,
// the reference, in the same words). Frames over max_pixels are CHECK_TOO_LARGE (message: WxH).
int check_jpeg(const uint8_t *src, size_t n, uint64_t max_pixels, char *message);
// A JPEG marker's name as messages write it (SOF0, DHT, RST3, APP1, 0xFFC8, ...): 8 bytes.
void jpeg_marker_name(int m, char *out);

// A PNG's zlib stream inflated to its end, as src/main/io/check-png.ts does it through node's
// inflateSync (chunks of PNG_CHUNK bytes, Z_FINISH, at most `expected` bytes out): the first of a
// zlib error, output past `expected`, output short of it, input after the stream's end, or a row
// whose filter type is over 4 (rows: `npasses` passes of rows[i] rows of stride[i] bytes each).
// The first `capture_n` bytes of output are copied to `capture` (NULL: none).
#define PNG_CHUNK 65536
// PNG_INTERNAL: the check could not run (out of memory): no verdict on the data.
enum { PNG_INTERNAL = -1, PNG_OK = 0, PNG_ZLIB = 1, PNG_EXCESS = 2, PNG_SHORT = 3, PNG_TRAILING = 4, PNG_FILTER = 5 };
typedef struct {
  int kind;
  uint64_t total, consumed;
  uint32_t pass, row, filter;
  char zmsg[MESSAGE_MAX];
} png_check_result;
int check_png_data(const uint8_t *z, size_t n, int npasses, const uint32_t *rows, const uint64_t *stride, uint8_t *capture, size_t capture_n, png_check_result *res);

// png_labels with the whole stream checked first (check_png_data; rows of width + 1 bytes): DONE
// with `out` written, or FAILED with res->kind saying what is wrong (out untouched).
int png_labels_checked(const uint8_t *z, size_t n, int width, int height, int x, int y, int w, int h, uint8_t *out, png_check_result *res, char *message);

// Durable whole files (files.c): writes each data[i] to tmp[i], fsyncs all, renames each onto
// final[i]. FAILED: `fail` says which file, which step ("writing", "flushing", "closing",
// "renaming") and the errno; no temporary file of the batch is left.
typedef struct {
  size_t index;
  const char *step;
  int err;
} file_failure;
int write_files(size_t count, char *const *tmp, char *const *final, const uint8_t *const *data, const size_t *len, file_failure *fail);

#endif
