// JPEG with libjpeg-turbo: region decode, and encode with sharp's settings.
//
// Region decode: only the iMCU columns and rows a crop needs
// (jpeg_crop_scanline + jpeg_skip_scanlines), with one iMCU (16 px) of margin left, right and
// above so that fancy upsampling sees the neighbours a full decode sees. The pixels are
// byte-identical to libvips' (sharp's) decode of the same region: both are libjpeg-turbo with its
// defaults (islow IDCT, fancy upsampling). The JS side checks that once per process on generated
// files before trusting it, and falls back to sharp for anything this does not handle.
//
// decodeRegion(src: Uint8Array, left, top, width, height, out: Uint8Array, flop: boolean,
//              lut: Uint8Array(256) | null) -> Promise<boolean>
//   true: `out` holds height x width x 3 RGB, each row mirrored when `flop`, each value mapped
//   through `lut` when given (so a crop + flip + brightness/contrast output is done in the decode
//   loop). false: not a plain 8-bit 3-component YCbCr JPEG (decode it another way). Rejects with
//   libjpeg's message on any error or warning (corrupt data), so the caller's own decoder reports
//   it in its words.
#include <stdio.h> // before jpeglib.h, which uses FILE
#include "decoders.h"
#include "ops.h"
#include <jpeglib.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef LIBJPEG_TURBO_VERSION_NUMBER
#error "libjpeg-turbo is required (jpeg_crop_scanline, jpeg_skip_scanlines)"
#endif

#define STR2(x) #x
#define STR(x) STR2(x)
#define MARGIN 16

const char *const libjpeg_turbo_version = STR(LIBJPEG_TURBO_VERSION);

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
} error_mgr;

static void on_error(j_common_ptr c) {
  error_mgr *e = (error_mgr *)c->err;
  (*c->err->format_message)(c, e->message);
  longjmp(e->jump, 1);
}

// Warnings (level < 0) mean corrupt data that libjpeg would paper over: treat them as errors.
static void on_message(j_common_ptr c, int level) {
  if (level < 0) on_error(c);
}

// libjpeg's error manager with errors and warnings ending in longjmp(e->jump) (the caller's setjmp).
static struct jpeg_error_mgr *errors(error_mgr *e) {
  jpeg_std_error(&e->pub);
  e->pub.error_exit = on_error;
  e->pub.emit_message = on_message;
  e->message[0] = 0;
  return &e->pub;
}

// One output row from the decoded pixels `p` (w RGB pixels): copied, mirrored and/or mapped.
void put_row(const uint8_t *p, int w, int flop, const uint8_t *lut, uint8_t *q) {
  if (!flop && !lut) {
    memcpy(q, p, (size_t)w * 3);
  } else if (!flop) {
    for (size_t i = 0; i < (size_t)w * 3; i++) q[i] = lut[p[i]];
  } else {
    const uint8_t *s = p + (size_t)(w - 1) * 3;
    if (lut)
      for (int i = 0; i < w; i++, s -= 3, q += 3) q[0] = lut[s[0]], q[1] = lut[s[1]], q[2] = lut[s[2]];
    else
      mirror_rgb(s, (size_t)w, q);
  }
}

int jpeg_region(const uint8_t *src, size_t n, int x, int y, int w, int h, int flop, const uint8_t *lut, uint8_t *out, char *message) {
  struct jpeg_decompress_struct c;
  error_mgr e;
  uint8_t *volatile row = NULL;
  memset(&c, 0, sizeof c);
  c.err = errors(&e);
  if (setjmp(e.jump)) {
    jpeg_destroy_decompress(&c);
    free(row);
    return fail_with(message, e.message);
  }
  jpeg_create_decompress(&c);
  jpeg_mem_src(&c, src, (unsigned long)n);
  jpeg_read_header(&c, TRUE);
  // 8-bit YCbCr with the chroma subsamplings tested against libvips (4:4:4, 4:2:2, 4:2:0)
  const jpeg_component_info *k = c.comp_info;
  int y_ok = (k[0].h_samp_factor == 1 && k[0].v_samp_factor == 1) || (k[0].h_samp_factor == 2 && k[0].v_samp_factor <= 2);
  int c_ok = c.num_components == 3 && k[1].h_samp_factor == 1 && k[1].v_samp_factor == 1 && k[2].h_samp_factor == 1 && k[2].v_samp_factor == 1;
  if (c.num_components != 3 || c.jpeg_color_space != JCS_YCbCr || c.data_precision != 8 || !y_ok || !c_ok) {
    jpeg_destroy_decompress(&c);
    return NOT_TAKEN;
  }
  if ((unsigned)x + (unsigned)w > c.image_width || (unsigned)y + (unsigned)h > c.image_height) {
    jpeg_destroy_decompress(&c);
    return fail_with(message, "region lies outside the image");
  }
  c.out_color_space = JCS_RGB;
  jpeg_start_decompress(&c);
  int mx = x >= MARGIN ? MARGIN : x, my = y >= MARGIN ? MARGIN : y;
  unsigned right = c.output_width - (unsigned)(x + w);
  JDIMENSION xo = (JDIMENSION)(x - mx), cw = (JDIMENSION)(w + mx) + (right >= MARGIN ? MARGIN : right);
  jpeg_crop_scanline(&c, &xo, &cw); // widens to iMCU boundaries; output_width becomes cw
  if (y - my > 0) jpeg_skip_scanlines(&c, (JDIMENSION)(y - my));
  row = malloc((size_t)c.output_width * 3);
  if (!row) {
    jpeg_destroy_decompress(&c);
    return fail_with(message, "out of memory");
  }
  const size_t off = (size_t)(x - (int)xo) * 3, stride = (size_t)w * 3;
  for (int r = y - my; r < y + h; r++) {
    JSAMPROW rows[1] = {row};
    if (jpeg_read_scanlines(&c, rows, 1) != 1) {
      jpeg_destroy_decompress(&c);
      free(row);
      return fail_with(message, "JPEG data ended early");
    }
    if (r >= y) put_row(row + off, w, flop, lut, out + (size_t)(r - y) * stride);
  }
  free(row);
  row = NULL;
  jpeg_abort_decompress(&c);
  jpeg_destroy_decompress(&c);
  return DONE;
}


// ---- encode ---------------------------------------------------------------------------------
// sharp's jpeg({ quality, optimiseCoding: false }) written by libjpeg directly: libjpeg's defaults
// (islow DCT, 4:2:0, the standard Huffman tables, force-baseline quality scaling) and no JFIF
// header, as libvips writes it when sharp strips metadata. The JS side compares the bytes with
// sharp's before it uses this at all.

typedef struct {
  struct jpeg_destination_mgr pub;
  uint8_t *buf;
  size_t cap;
  int overflow;
} fixed_dest;

static void dest_init(j_compress_ptr c) {
  fixed_dest *d = (fixed_dest *)c->dest;
  d->pub.next_output_byte = d->buf;
  d->pub.free_in_buffer = d->cap;
}

// The output outgrew the caller's buffer: note it and keep writing over the start (the caller
// then encodes another way).
static boolean dest_full(j_compress_ptr c) {
  fixed_dest *d = (fixed_dest *)c->dest;
  d->overflow = 1;
  d->pub.next_output_byte = d->buf;
  d->pub.free_in_buffer = d->cap;
  return TRUE;
}

static void dest_term(j_compress_ptr c) { (void)c; }

int jpeg_encode(const uint8_t *rgb, int w, int h, int quality, int flags, uint8_t *dst, size_t cap, size_t *written, char *message) {
  struct jpeg_compress_struct c;
  error_mgr e;
  fixed_dest d = {.pub = {.init_destination = dest_init, .empty_output_buffer = dest_full, .term_destination = dest_term}, .buf = dst, .cap = cap};
  memset(&c, 0, sizeof c);
  c.err = errors(&e);
  if (setjmp(e.jump)) {
    jpeg_destroy_compress(&c);
    return fail_with(message, e.message);
  }
  jpeg_create_compress(&c);
  c.dest = &d.pub;
  c.image_width = (JDIMENSION)w;
  c.image_height = (JDIMENSION)h;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  c.write_JFIF_header = FALSE;
  c.optimize_coding = FALSE;
  c.dct_method = JDCT_ISLOW;
  if (flags & JPEG_444) c.comp_info[0].h_samp_factor = c.comp_info[0].v_samp_factor = 1;
  if (flags & JPEG_PROGRESSIVE) jpeg_simple_progression(&c);
  if (flags & JPEG_RESTARTS) c.restart_in_rows = 1;
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = (JSAMPROW)(rgb + (size_t)c.next_scanline * (size_t)w * 3);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  *written = d.cap - d.pub.free_in_buffer;
  jpeg_destroy_compress(&c);
  return d.overflow ? NOT_TAKEN : DONE;
}
