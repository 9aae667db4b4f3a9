// The class indices of one region of an 8-bit grey or palette PNG (non-interlaced): inflates only
// down to the region's last row, unfilters only the rows and columns the region reads (from the
// last row at or above it whose filter reads no row above: None or Sub), and copies the region.
// The same steps as src/main/io/png.ts (decodeLabelRegion), which takes everything else and is
// the reference this is tested against.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <zlib.h>
#include "decoders.h"

static inline uint8_t paeth(int a, int b, int c) {
  int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
  return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

// Row `cur` (after its filter byte) given the unfiltered row above (`up`, NULL on row 0), bytes [0, limit).
static int unfilter(uint8_t f, uint8_t *cur, const uint8_t *up, size_t limit) {
  size_t i;
  switch (f) {
  case 0: break;
  case 1: for (i = 1; i < limit; i++) cur[i] = (uint8_t)(cur[i] + cur[i - 1]); break;
  case 2: if (up) for (i = 0; i < limit; i++) cur[i] = (uint8_t)(cur[i] + up[i]); break;
  case 3:
    if (limit) cur[0] = (uint8_t)(cur[0] + (up ? up[0] >> 1 : 0));
    for (i = 1; i < limit; i++) cur[i] = (uint8_t)(cur[i] + ((cur[i - 1] + (up ? up[i] : 0)) >> 1));
    break;
  case 4:
    if (!up) {
      for (i = 1; i < limit; i++) cur[i] = (uint8_t)(cur[i] + cur[i - 1]);
      break;
    }
    if (limit) cur[0] = (uint8_t)(cur[0] + up[0]);
    for (i = 1; i < limit; i++) cur[i] = (uint8_t)(cur[i] + paeth(cur[i - 1], up[i], up[i - 1]));
    break;
  default: return 0;
  }
  return 1;
}

// Unfilters rows [from, y + h) of `raw` (from: the last row at or above y whose filter reads no row
// above it) in the columns the region reads, and copies the region; 0 on a filter type over 4.
static int unfilter_region(uint8_t *raw, size_t stride, int x, int y, int w, int h, uint8_t *out) {
  const size_t rows = (size_t)(y + h);
  size_t from = (size_t)y;
  while (from > 0 && raw[from * stride] > 1) from--;
  const size_t limit = (size_t)(x + w);
  for (size_t r = from; r < rows; r++) {
    uint8_t *row = raw + r * stride;
    if (!unfilter(row[0], row + 1, r == 0 ? NULL : row + 1 - stride, limit)) return 0;
  }
  for (int r = 0; r < h; r++) memcpy(out + (size_t)r * w, raw + (size_t)(y + r) * stride + 1 + x, (size_t)w);
  return 1;
}

int png_labels(const uint8_t *z, size_t n, int width, int height, int x, int y, int w, int h, uint8_t *out, char *message) {
  if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > width || y + h > height) return fail_with(message, "region outside the image");
  const size_t stride = (size_t)width + 1, rows = (size_t)(y + h), need = stride * rows;
  if (need > 0xffffffffu || n > 0xffffffffu) return fail_with(message, "image too large for one zlib call");
  uint8_t *raw = malloc(need);
  if (!raw) return fail_with(message, "out of memory");
  z_stream s;
  memset(&s, 0, sizeof s);
  if (inflateInit(&s) != Z_OK) {
    free(raw);
    return fail_with(message, "zlib init failed");
  }
  s.next_in = (Bytef *)z;
  s.avail_in = (uInt)n;
  s.next_out = raw;
  s.avail_out = (uInt)need;
  int zr = Z_OK;
  while (s.avail_out > 0 && zr == Z_OK) zr = inflate(&s, Z_SYNC_FLUSH);
  inflateEnd(&s);
  if (s.avail_out > 0) {
    free(raw);
    return fail_with(message, zr == Z_STREAM_END || zr == Z_BUF_ERROR ? "image data ends early (truncated)" : "bad zlib data");
  }
  if (!unfilter_region(raw, stride, x, y, w, h, out)) {
    free(raw);
    return fail_with(message, "invalid row filter");
  }
  free(raw);
  return DONE;
}

// ---- the whole stream, checked --------------------------------------------------------------
// node's inflateSync(z, { chunkSize: PNG_CHUNK, maxOutputLength: expected }) call for call (its
// processChunkSync and ZlibContext::GetErrorInfo): every inflate(Z_FINISH) gets PNG_CHUNK bytes of
// output space; an error in a call is reported before that call's output is counted; output over
// `expected` after a call is PNG_EXCESS. So the JS check (check-png.ts) and this one reach the same
// verdict on every stream, whatever is wrong with it.

int check_png_data(const uint8_t *z, size_t n, int npasses, const uint32_t *rows, const uint64_t *stride, uint8_t *capture, size_t capture_n, png_check_result *res) {
  memset(res, 0, sizeof *res);
  uint64_t expected = 0;
  for (int p = 0; p < npasses; p++) expected += (uint64_t)rows[p] * stride[p];
  if (n > 0xffffffffu) {
    res->kind = PNG_INTERNAL;
    snprintf(res->zmsg, sizeof res->zmsg, "stream too large for one zlib call");
    return FAILED;
  }
  uint8_t *buf = malloc(PNG_CHUNK);
  if (!buf) {
    res->kind = PNG_INTERNAL;
    snprintf(res->zmsg, sizeof res->zmsg, "out of memory");
    return FAILED;
  }
  z_stream s;
  memset(&s, 0, sizeof s);
  if (inflateInit(&s) != Z_OK) {
    free(buf);
    res->kind = PNG_INTERNAL;
    snprintf(res->zmsg, sizeof res->zmsg, "zlib init failed");
    return FAILED;
  }
  s.next_in = (Bytef *)z;
  s.avail_in = (uInt)n;
  uint64_t total = 0;
  // where the next row starts, and in which pass
  int pass = 0;
  uint32_t row = 0;
  uint64_t next_row = 0;
  while (pass < npasses && rows[pass] == 0) pass++;
  int bad_filter = 0;
  for (;;) {
    s.next_out = buf;
    s.avail_out = PNG_CHUNK;
    int ret = inflate(&s, Z_FINISH);
    const char *err = NULL;
    if (ret == Z_OK || ret == Z_BUF_ERROR) {
      if (s.avail_out != 0) err = "unexpected end of file";
    } else if (ret == Z_NEED_DICT) err = "Missing dictionary";
    else if (ret != Z_STREAM_END) err = "Zlib error";
    if (err) {
      res->kind = PNG_ZLIB;
      snprintf(res->zmsg, sizeof res->zmsg, "%s", s.msg ? s.msg : err);
      break;
    }
    uint64_t have = PNG_CHUNK - s.avail_out;
    if (capture && total < capture_n) memcpy(capture + total, buf, (size_t)(have < capture_n - total ? have : capture_n - total));
    // filter bytes of the rows that start in this output (the first bad one is remembered)
    while (pass < npasses && next_row < total + have) {
      uint8_t f = buf[next_row - total];
      if (f > 4 && !bad_filter) {
        bad_filter = 1;
        res->pass = (uint32_t)pass;
        res->row = row;
        res->filter = f;
      }
      next_row += stride[pass];
      if (++row == rows[pass]) {
        row = 0;
        do pass++;
        while (pass < npasses && rows[pass] == 0);
      }
    }
    total += have;
    if (total > expected) {
      res->kind = PNG_EXCESS;
      break;
    }
    if (s.avail_out != 0) break;
  }
  // (after a zlib error or past the limit, node's inflateSync tells neither: nor does this)
  res->total = res->kind == PNG_OK ? total : 0;
  res->consumed = res->kind == PNG_OK ? n - s.avail_in : 0;
  inflateEnd(&s);
  free(buf);
  if (res->kind == PNG_OK) {
    if (total < expected) res->kind = PNG_SHORT;
    else if (res->consumed < n) res->kind = PNG_TRAILING;
    else if (bad_filter) res->kind = PNG_FILTER;
  }
  if (res->kind != PNG_FILTER) res->pass = res->row = res->filter = 0; // (where a bad filter is, only when that is the verdict)
  return res->kind == PNG_OK ? DONE : FAILED;
}

int png_labels_checked(const uint8_t *z, size_t n, int width, int height, int x, int y, int w, int h, uint8_t *out, png_check_result *res, char *message) {
  memset(res, 0, sizeof *res);
  if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > width || y + h > height) return fail_with(message, "region outside the image");
  const size_t stride = (size_t)width + 1, need = stride * (size_t)(y + h);
  uint8_t *raw = malloc(need);
  if (!raw) {
    res->kind = PNG_INTERNAL;
    return fail_with(message, "out of memory");
  }
  const uint32_t rows = (uint32_t)height;
  const uint64_t st = stride;
  if (check_png_data(z, n, 1, &rows, &st, raw, need, res) != DONE) {
    free(raw);
    return fail_with(message, "the image data fails its check");
  }
  unfilter_region(raw, stride, x, y, w, h, out);
  free(raw);
  return DONE;
}
