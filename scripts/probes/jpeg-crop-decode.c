// Probe that led to native/decoders/jpeg.c (kept for its measurements; not built by npm): decode only a 512x512 crop of each JPEG
// with libjpeg-turbo (jpeg_crop_scanline + jpeg_skip_scanlines, with one iMCU of margin left, right
// and above so fancy upsampling sees the same neighbours), time it against a full-width decode down
// to the crop's last row (what libvips does), check both give the same bytes, and write the first
// full-width crop as raw RGB (to compare with sharp's extract()).
//
//   gcc -O2 -o /tmp/cropdec scripts/probes/jpeg-crop-decode.c -ljpeg     (Debian: libjpeg62-turbo-dev)
//   python3 -c "import json;d='/tmp/bench-data/1024x768-n200';p=json.load(open(d+'/params.json'));\
//     print(''.join('%s/images/%s.jpg %d %d\n'%(d,q['name'],q['x'],q['y']) for q in p['pairs']),end='')" > /tmp/list.txt
//   /tmp/cropdec /tmp/list.txt /tmp/first.rgb
//
// Measured 2026-11-29 (2 cores): 1024x768 3.59 ms full-width vs 2.94 ms crop-aware per image,
// 4000x3000 32.5 vs 18.9 ms; crops identical 200/200 and 30/30, and equal to sharp's extract().
// libvips takes about 8 and 42 ms for the same region decodes.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jpeglib.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static unsigned char *readall(const char *p, long *n) { FILE *f = fopen(p, "rb"); fseek(f, 0, SEEK_END); *n = ftell(f); fseek(f, 0, SEEK_SET); unsigned char *b = malloc(*n); fread(b, 1, *n, f); fclose(f); return b; }
// mode 0: full width rows [0, y+h) (libvips-like), mode 1: crop-aware
static void decode(unsigned char *buf, long n, int x, int y, int w, int h, int mode, unsigned char *out) {
  struct jpeg_decompress_struct c; struct jpeg_error_mgr e; c.err = jpeg_std_error(&e); jpeg_create_decompress(&c);
  jpeg_mem_src(&c, buf, n); jpeg_read_header(&c, TRUE); c.out_color_space = JCS_RGB; jpeg_start_decompress(&c);
  int mx = mode == 1 ? (x >= 16 ? 16 : x) : 0, my = mode == 1 ? (y >= 16 ? 16 : y) : 0;
  JDIMENSION xo = x - mx, cw = w + mx + ((unsigned)(x + w + 16) <= c.output_width ? 16 : c.output_width - x - w);
  if (mode == 1) { jpeg_crop_scanline(&c, &xo, &cw); jpeg_skip_scanlines(&c, y - my); }
  unsigned char *row = malloc((size_t)c.output_width * 3);
  int start = mode == 1 ? y - my : 0;
  for (int r = start; r < y + h; r++) {
    jpeg_read_scanlines(&c, &row, 1);
    if (r >= y) { int off = mode == 1 ? (x - (int)xo) : x; memcpy(out + (size_t)(r - y) * w * 3, row + (size_t)off * 3, (size_t)w * 3); }
  }
  free(row); jpeg_abort_decompress(&c); jpeg_destroy_decompress(&c);
}
int main(int argc, char **argv) {
  // argv: params file lines "path x y" ; crop 512
  FILE *pf = fopen(argv[1], "r"); char path[512]; int x, y; double t0 = 0, t1 = 0; int k = 0, same = 0;
  unsigned char *a = malloc(512 * 512 * 3), *b = malloc(512 * 512 * 3);
  while (fscanf(pf, "%511s %d %d", path, &x, &y) == 3) {
    long n; unsigned char *buf = readall(path, &n);
    double s = now(); decode(buf, n, x, y, 512, 512, 0, a); t0 += now() - s;
    s = now(); decode(buf, n, x, y, 512, 512, 1, b); t1 += now() - s;
    same += memcmp(a, b, 512 * 512 * 3) == 0;
    if (k == 0 && argc > 2) { FILE *o = fopen(argv[2], "wb"); fwrite(a, 1, 512 * 512 * 3, o); fclose(o); }
    free(buf); k++;
  }
  printf("%d images: rows-to-crop full width %.2f ms, crop-aware %.2f ms per image; identical crops %d/%d\n", k, t0 / k, t1 / k, same, k);
  return 0;
}
