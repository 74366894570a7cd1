/* A JPEG decoded by libjpeg-turbo's scanline interface into rows the caller
 * hands out as decoding goes on (fileconv's jpeg_rows.rs), so that the rows
 * decoded so far can be used while the rest are still being decoded.
 *
 * Compiled against the headers of the libjpeg-turbo that turbojpeg-sys
 * builds, and linked with it. libjpeg reports errors by calling
 * error_exit, which here jumps back into fileconv_jpeg_rows: the jump never
 * crosses a Rust frame, because the callback is called only between
 * jpeg_read_scanlines calls, from this function's own frame. */

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "jpeglib.h"

/* Returned by fileconv_jpeg_rows. */
enum {
  FILECONV_JPEG_DECODED = 0,
  FILECONV_JPEG_STOPPED = 1, /* the callback gave no rows */
  FILECONV_JPEG_ERROR = 2,   /* libjpeg failed, or the picture is not the one expected */
  FILECONV_JPEG_DAMAGED = 3, /* every row decoded, but libjpeg warned (corrupt or missing data) */
  FILECONV_JPEG_CUT = 4,     /* libjpeg failed after decoding `*rows_decoded` rows (0 < n) */
};

/* Given how many rows are decoded (they may be read), points up to `max`
 * of `rows` at where the next rows go, blocking until there is room, and
 * returns how many it gave: 0 to stop. */
typedef unsigned (*fileconv_next_rows)(void *state, unsigned decoded, unsigned char **rows, unsigned max);

struct fileconv_error {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  /* The first warning's text, empty while there is none. */
  char warning[JMSG_LENGTH_MAX];
};

static void fileconv_error_exit(j_common_ptr cinfo) {
  struct fileconv_error *error = (struct fileconv_error *)cinfo->err;
  longjmp(error->jump, 1);
}

/* Warnings (level -1: corrupt data, which libjpeg decodes past as viewers
 * show it) are counted and the first kept; trace messages are ignored. */
static void fileconv_emit_message(j_common_ptr cinfo, int level) {
  struct fileconv_error *error = (struct fileconv_error *)cinfo->err;
  if (level < 0) {
    if (error->warning[0] == '\0') (*cinfo->err->format_message)(cinfo, error->warning);
    cinfo->err->num_warnings++;
  }
}

static void fileconv_output_message(j_common_ptr cinfo) { (void)cinfo; }

#define FILECONV_BATCH 32

/* Decodes `jpeg` as `components` 8-bit samples per pixel (1: grey, 3: RGB,
 * as TurboJPEG's default decompression writes them), expecting a picture of
 * `width` x `height`, into the rows `next` gives. On FILECONV_JPEG_ERROR and
 * FILECONV_JPEG_CUT, libjpeg's message is in `message`, on
 * FILECONV_JPEG_DAMAGED its first warning (`message_len` at least 1);
 * `*rows_decoded` is how many rows from the top are whole. */
int fileconv_jpeg_rows(const unsigned char *jpeg, unsigned long len, unsigned width, unsigned height, int components,
                       fileconv_next_rows next, void *state, char *message, size_t message_len, unsigned *rows_decoded) {
  struct jpeg_decompress_struct cinfo;
  struct fileconv_error error;
  unsigned char *rows[FILECONV_BATCH];

  memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&error.pub);
  error.pub.error_exit = fileconv_error_exit;
  error.pub.emit_message = fileconv_emit_message;
  error.pub.output_message = fileconv_output_message;
  error.warning[0] = '\0';
  message[0] = '\0';
  *rows_decoded = 0;

  if (setjmp(error.jump)) {
    char text[JMSG_LENGTH_MAX];
    (*cinfo.err->format_message)((j_common_ptr)&cinfo, text);
    snprintf(message, message_len, "%s", text);
    *rows_decoded = cinfo.output_scanline;
    jpeg_destroy_decompress(&cinfo);
    return *rows_decoded > 0 ? FILECONV_JPEG_CUT : FILECONV_JPEG_ERROR;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, jpeg, len);
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = components == 1 ? JCS_GRAYSCALE : JCS_EXT_RGB;
  cinfo.dct_method = JDCT_ISLOW;
  cinfo.do_fancy_upsampling = TRUE;
  jpeg_start_decompress(&cinfo);
  if (cinfo.output_width != width || cinfo.output_height != height || cinfo.output_components != components) {
    snprintf(message, message_len, "decoded as %ux%u with %d components, not %ux%u with %d", cinfo.output_width,
             cinfo.output_height, cinfo.output_components, width, height, components);
    jpeg_destroy_decompress(&cinfo);
    return FILECONV_JPEG_ERROR;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    unsigned wanted = next(state, cinfo.output_scanline, rows, FILECONV_BATCH);
    unsigned read = 0;
    if (wanted == 0 || wanted > FILECONV_BATCH) {
      jpeg_destroy_decompress(&cinfo);
      return FILECONV_JPEG_STOPPED;
    }
    while (read < wanted && cinfo.output_scanline < cinfo.output_height)
      read += jpeg_read_scanlines(&cinfo, rows + read, wanted - read);
  }
  *rows_decoded = cinfo.output_scanline;
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (error.warning[0] != '\0') {
    snprintf(message, message_len, "%s", error.warning);
    return FILECONV_JPEG_DAMAGED;
  }
  return FILECONV_JPEG_DECODED;
}
