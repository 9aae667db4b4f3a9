// The native kernels under AddressSanitizer and UndefinedBehaviorSanitizer, without Node: built and
// run by test/io/native-sanitize.test.ts (gcc -fsanitize=address,undefined ... -ljpeg -lz). It
// encodes generated images (every flag), decodes every kind of region from them (edges, single
// pixels, mirrored, mapped), feeds both decoders corrupted and cut-short inputs, and writes files
// (also to a path that cannot be created). Any out-of-bounds access, leak or undefined behaviour
// aborts with a report; the checks here abort on a wrong result. Prints "ok <count>" at the end.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "../decoders.h"

static unsigned rng = 12345;
static int rnd(int lo, int hi) { rng = rng * 1103515245u + 12345u; return lo + (int)((rng >> 8) % (unsigned)(hi - lo + 1)); }
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  char msg[MESSAGE_MAX];
  long count = 0;
  const int W = 131, H = 97;
  uint8_t *px = malloc((size_t)W * H * 3);
  for (int i = 0; i < W * H * 3; i++) px[i] = (uint8_t)((i * 7) ^ (i / 3 / W * 5) ^ rnd(0, 31));
  uint8_t lut[256];
  for (int v = 0; v < 256; v++) lut[v] = (uint8_t)(255 - v);
  for (int flags = 0; flags < 8; flags++) {
    size_t cap = (size_t)W * H * 3 + 4096, n = 0;
    uint8_t *jpg = malloc(cap);
    CHECK(jpeg_encode(px, W, H, 5 + flags * 13, flags, jpg, cap, &n, msg) == DONE && n > 100);
    uint8_t *whole = malloc((size_t)W * H * 3);
    CHECK(jpeg_region(jpg, n, 0, 0, W, H, 0, NULL, whole, msg) == DONE);
    for (int k = 0; k < 60; k++) {
      int x = rnd(0, W - 1), y = rnd(0, H - 1), w = rnd(1, W - x), h = rnd(1, H - y), flop = k & 1;
      uint8_t *out = malloc((size_t)w * h * 3);
      CHECK(jpeg_region(jpg, n, x, y, w, h, flop, (k % 3) ? NULL : lut, out, msg) == DONE);
      for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++)
          for (int b = 0; b < 3; b++) {
            uint8_t v = whole[((size_t)(y + r) * W + x + (flop ? w - 1 - c : c)) * 3 + b];
            CHECK(out[((size_t)r * w + c) * 3 + b] == ((k % 3) ? v : lut[v]));
          }
      uint8_t *mapped = malloc((size_t)w * h * 3);
      for (int r = 0; r < h; r++) put_row(whole + ((size_t)(y + r) * W + x) * 3, w, flop, (k % 3) ? NULL : lut, mapped + (size_t)r * w * 3);
      CHECK(memcmp(mapped, out, (size_t)w * h * 3) == 0);
      free(mapped);
      free(out);
      count++;
    }
    CHECK(jpeg_region(jpg, n, W - 2, 0, 5, 5, 0, NULL, whole, msg) == FAILED); // outside
    for (int k = 0; k < 200; k++) { // corrupted and cut short: DONE, NOT_TAKEN or FAILED, never a fault
      uint8_t *bad = malloc(n);
      memcpy(bad, jpg, n);
      for (int j = 0; j < 1 + k % 5; j++) bad[rnd(2, (int)n - 1)] = (uint8_t)rnd(0, 255);
      size_t len = k % 7 == 0 ? (size_t)rnd(0, (int)n) : n;
      int x = rnd(0, W - 1), y = rnd(0, H - 1);
      jpeg_region(bad, len, x, y, rnd(1, W - x), rnd(1, H - y), k & 1, lut, whole, msg);
      free(bad);
      count++;
    }
    size_t small = 0;
    CHECK(jpeg_encode(px, W, H, 100, flags, jpg, 200, &small, msg) == NOT_TAKEN); // does not fit
    free(whole);
    free(jpg);
  }
  // PNG label regions: rows with every filter type, then regions, corruption, truncation
  const int PW = 77, PH = 53;
  size_t stride = PW + 1, rawn = stride * PH;
  uint8_t *labels = malloc((size_t)PW * PH), *raw = malloc(rawn);
  for (int i = 0; i < PW * PH; i++) labels[i] = (uint8_t)((i % PW) / 9 + (i / PW) / 7 + (rnd(0, 9) == 0 ? rnd(0, 255) : 0));
  for (int y = 0; y < PH; y++) {
    int f = y % 5;
    raw[y * stride] = (uint8_t)f;
    for (int x = 0; x < PW; x++) {
      int a = x ? labels[y * PW + x - 1] : 0, b = y ? labels[(y - 1) * PW + x] : 0, c = x && y ? labels[(y - 1) * PW + x - 1] : 0;
      int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
      int pred = f == 0 ? 0 : f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) >> 1 : (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      raw[y * stride + 1 + x] = (uint8_t)(labels[y * PW + x] - pred);
    }
  }
  uLongf zn = compressBound(rawn);
  uint8_t *z = malloc(zn);
  CHECK(compress(z, &zn, raw, rawn) == Z_OK);
  for (int k = 0; k < 150; k++) {
    int x = rnd(0, PW - 1), y = rnd(0, PH - 1), w = rnd(1, PW - x), h = rnd(1, PH - y);
    uint8_t *out = malloc((size_t)w * h);
    CHECK(png_labels(z, zn, PW, PH, x, y, w, h, out, msg) == DONE);
    for (int r = 0; r < h; r++) CHECK(memcmp(out + (size_t)r * w, labels + (size_t)(y + r) * PW + x, (size_t)w) == 0);
    uint8_t *bad = malloc(zn);
    memcpy(bad, z, zn);
    for (int j = 0; j < 1 + k % 4; j++) bad[rnd(0, (int)zn - 1)] = (uint8_t)rnd(0, 255);
    png_labels(bad, k % 3 ? zn : (size_t)rnd(0, (int)zn), PW, PH, x, y, w, h, out, msg);
    free(bad);
    free(out);
    count++;
  }
  uint8_t one;
  CHECK(png_labels(z, zn, PW, PH, PW - 1, 0, 2, 1, &one, msg) == FAILED); // outside
  // durable files: a batch, then one whose folder cannot exist
  char tmp[3][512], fin[3][512];
  char *tp[3], *fp[3];
  const uint8_t *data[3] = {px, labels, z};
  size_t lens[3] = {100, 200, 300};
  for (int i = 0; i < 3; i++) {
    snprintf(fin[i], sizeof fin[i], "%s/f%d.bin", dir, i);
    snprintf(tmp[i], sizeof tmp[i], "%s/f%d.bin.partial", dir, i);
    tp[i] = tmp[i];
    fp[i] = fin[i];
  }
  file_failure failure;
  CHECK(write_files(3, tp, fp, data, lens, &failure) == DONE);
  CHECK(access(fin[2], F_OK) == 0 && access(tmp[2], F_OK) != 0);
  snprintf(fin[1], sizeof fin[1], "%s/no/such/folder/f.bin", dir);
  snprintf(tmp[1], sizeof tmp[1], "%s/no/such/folder/f.bin.partial", dir);
  CHECK(write_files(3, tp, fp, data, lens, &failure) == FAILED && failure.index == 1);
  CHECK(access(tmp[0], F_OK) != 0); // the batch left nothing under a temporary name
  free(z);
  free(raw);
  free(labels);
  free(px);
  printf("ok %ld\n", count + 2);
  return 0;
}
