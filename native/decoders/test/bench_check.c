// The whole-file JPEG check (check_jpeg.c) timed in C, beside libjpeg-turbo reading the same
// file's coefficients (jpeg_read_coefficients: Huffman decode, no IDCT) and decoding it fully
// (RGB scanlines): CPU time per file (the thread's own clock, so a busy machine distorts it
// least), the best of REPS runs after one warm-up. Built and run by scripts/bench/checks.mjs.
//
//   bench_check REPS KINDS FILE...   -> one line per file and kind: "<file> <kind> <bytes> <ms>"
//   (KINDS: any of c (the check), k (coefficients), d (decode), e.g. "ckd")
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jpeglib.h>
#include <setjmp.h>
#include "../decoders.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
} err_mgr;
static void on_error(j_common_ptr cinfo) { longjmp(((err_mgr *)cinfo->err)->jump, 1); }
static void on_message(j_common_ptr cinfo, int level) { (void)cinfo, (void)level; }

// full: 1 decodes RGB scanlines, 0 reads the coefficients only. Returns 0 on success.
static int libjpeg(const uint8_t *b, size_t n, int full, uint8_t *row) {
  struct jpeg_decompress_struct d;
  err_mgr e;
  d.err = jpeg_std_error(&e.pub);
  e.pub.error_exit = on_error;
  e.pub.emit_message = on_message;
  if (setjmp(e.jump)) {
    jpeg_destroy_decompress(&d);
    return 1;
  }
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, b, (unsigned long)n);
  jpeg_read_header(&d, TRUE);
  if (full) {
    d.out_color_space = JCS_RGB;
    jpeg_start_decompress(&d);
    while (d.output_scanline < d.output_height) jpeg_read_scanlines(&d, &row, 1);
    jpeg_finish_decompress(&d);
  } else {
    jpeg_read_coefficients(&d);
    jpeg_finish_decompress(&d);
  }
  jpeg_destroy_decompress(&d);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: bench_check REPS KINDS FILE...\n");
    return 2;
  }
  const int reps = atoi(argv[1]);
  uint8_t *row = malloc(65536 * 3);
  char msg[MESSAGE_MAX];
  const char *kinds = argv[2];
  for (int f = 3; f < argc; f++) {
    FILE *fp = fopen(argv[f], "rb");
    if (!fp) return 1;
    fseek(fp, 0, SEEK_END);
    size_t n = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *b = malloc(n);
    if (fread(b, 1, n, fp) != n) return 1;
    fclose(fp);
    for (int kind = 0; kind < 3; kind++) {
      if (!strchr(kinds, "ckd"[kind])) continue;
      double best = 1e30;
      for (int r = 0; r <= reps; r++) {
        double t0 = now_ms();
        int bad = kind == 0 ? check_jpeg(b, n, 400000000ull, msg) != CHECK_OK : libjpeg(b, n, kind == 2, row);
        double t = now_ms() - t0;
        if (bad) {
          fprintf(stderr, "%s: %s\n", argv[f], kind == 0 ? msg : "libjpeg-turbo refuses it");
          return 1;
        }
        if (r && t < best) best = t;
      }
      printf("%s %s %zu %.4f\n", argv[f], kind == 0 ? "check" : kind == 1 ? "coefficients" : "decode", n, best);
    }
    free(b);
  }
  free(row);
  return 0;
}
