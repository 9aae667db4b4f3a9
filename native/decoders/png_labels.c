// The class indices of one region of an 8-bit grey or palette PNG (non-interlaced): inflates only
// down to the region's last row, unfilters only the rows and columns the region reads (from the
// last row at or above it whose filter reads no row above: None or Sub), and copies the region.
// The same steps as src/main/io/png.ts (decodeLabelRegion), which takes everything else and is
// the reference this is tested against.
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
  // start at the last row at or above y whose filter reads no row above it
  size_t from = (size_t)y;
  while (from > 0 && raw[from * stride] > 1) from--;
  const size_t limit = (size_t)(x + w);
  for (size_t r = from; r < rows; r++) {
    uint8_t *row = raw + r * stride;
    if (!unfilter(row[0], row + 1, r == 0 ? NULL : row + 1 - stride, limit)) {
      free(raw);
      return fail_with(message, "invalid row filter");
    }
  }
  for (int r = 0; r < h; r++) memcpy(out + (size_t)r * w, raw + (size_t)(y + r) * stride + 1 + x, (size_t)w);
  free(raw);
  return DONE;
}
