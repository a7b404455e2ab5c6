#include "image_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <png.h>
#include <jpeglib.h>

static int fail(char *error, size_t n, const char *message) {
    if (error && n > 0) { strncpy(error, message, n - 1); error[n - 1] = 0; }
    return 1;
}

enum kind { UNKNOWN, PNG, JPEG };

static enum kind sniff(const char *path, char *error, size_t n) {
    unsigned char b[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) { fail(error, n, "cannot open the file"); return UNKNOWN; }
    size_t got = fread(b, 1, 8, f);
    fclose(f);
    if (got >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) return PNG;
    if (got >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return JPEG;
    fail(error, n, "unreadable image: neither a PNG nor a JPEG file (by its first bytes)");
    return UNKNOWN;
}

/* libjpeg's errors: longjmp back to the caller with the library's message. */
struct jerr { struct jpeg_error_mgr pub; jmp_buf jump; char message[JMSG_LENGTH_MAX]; };

static void jerr_exit(j_common_ptr c) {
    struct jerr *e = (struct jerr *)c->err;
    (*c->err->format_message)(c, e->message);
    longjmp(e->jump, 1);
}

static void jerr_silent(j_common_ptr c, int level) { (void)c; (void)level; }

static int jpeg_read(const char *path, int *w, int *h, int *ch, int want, uint8_t *out, char *error, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) return fail(error, n, "cannot open the file");
    struct jpeg_decompress_struct c;
    struct jerr e;
    c.err = jpeg_std_error(&e.pub);
    e.pub.error_exit = jerr_exit;
    e.pub.emit_message = jerr_silent;
    if (setjmp(e.jump)) {
        char m[JMSG_LENGTH_MAX + 40];
        snprintf(m, sizeof m, "unreadable JPEG: %s", e.message);
        jpeg_destroy_decompress(&c);
        fclose(f);
        return fail(error, n, m);
    }
    jpeg_create_decompress(&c);
    jpeg_stdio_src(&c, f);
    jpeg_read_header(&c, TRUE);
    if (!out) {
        *w = (int)c.image_width; *h = (int)c.image_height;
        *ch = c.num_components == 1 ? 1 : 3;
        jpeg_destroy_decompress(&c);
        fclose(f);
        return 0;
    }
    c.out_color_space = want == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&c);
    if ((int)c.output_width != *w || (int)c.output_height != *h || c.output_components != want) {
        jpeg_destroy_decompress(&c);
        fclose(f);
        return fail(error, n, "unreadable JPEG: its size changed between reading the header and decoding");
    }
    size_t stride = (size_t)c.output_width * (size_t)want;
    while (c.output_scanline < c.output_height) {
        JSAMPROW row = out + (size_t)c.output_scanline * stride;
        jpeg_read_scanlines(&c, &row, 1);
    }
    int warnings = (int)e.pub.num_warnings;
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    fclose(f);
    /* A cut-short file only warns ("premature end of data") and pads with grey: refuse it. */
    if (warnings > 0) return fail(error, n, "unreadable JPEG: corrupt or truncated data (libjpeg warned while decoding)");
    return 0;
}

static int png_read(const char *path, int *w, int *h, int *ch, int want, uint8_t *out, char *error, size_t n) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) {
        char m[128];
        snprintf(m, sizeof m, "unreadable PNG: %s", img.message);
        return fail(error, n, m);
    }
    if (!out) {
        *w = (int)img.width; *h = (int)img.height;
        *ch = (img.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
        png_image_free(&img);
        return 0;
    }
    if ((int)img.width != *w || (int)img.height != *h) {
        png_image_free(&img);
        return fail(error, n, "unreadable PNG: its size changed between reading the header and decoding");
    }
    img.format = want == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    if (!png_image_finish_read(&img, NULL, out, 0, NULL)) {
        char m[128];
        snprintf(m, sizeof m, "unreadable PNG: %s", img.message);
        png_image_free(&img);
        return fail(error, n, m);
    }
    return 0;
}

int ic_probe(const char *path, int *width, int *height, int *channels, char *error, size_t error_len) {
    switch (sniff(path, error, error_len)) {
    case PNG: return png_read(path, width, height, channels, 0, NULL, error, error_len);
    case JPEG: return jpeg_read(path, width, height, channels, 0, NULL, error, error_len);
    default: return 1;
    }
}

int ic_decode(const char *path, int width, int height, int channels, uint8_t *out, char *error, size_t error_len) {
    if (channels != 1 && channels != 3) return fail(error, error_len, "channels must be 1 or 3");
    int w = width, h = height, c = channels;
    switch (sniff(path, error, error_len)) {
    case PNG: return png_read(path, &w, &h, &c, channels, out, error, error_len);
    case JPEG: return jpeg_read(path, &w, &h, &c, channels, out, error, error_len);
    default: return 1;
    }
}

int ic_write_png(const char *path, int width, int height, int channels, const uint8_t *pixels, char *error, size_t error_len) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)width;
    img.height = (png_uint_32)height;
    img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    if (!png_image_write_to_file(&img, path, 0, pixels, 0, NULL)) return fail(error, error_len, img.message);
    return 0;
}

int ic_write_jpeg(const char *path, int width, int height, int channels, const uint8_t *pixels, int quality, char *error, size_t error_len) {
    FILE *f = fopen(path, "wb");
    if (!f) return fail(error, error_len, "cannot create the file");
    struct jpeg_compress_struct c;
    struct jerr e;
    c.err = jpeg_std_error(&e.pub);
    e.pub.error_exit = jerr_exit;
    if (setjmp(e.jump)) {
        jpeg_destroy_compress(&c);
        fclose(f);
        return fail(error, error_len, e.message);
    }
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)width;
    c.image_height = (JDIMENSION)height;
    c.input_components = channels;
    c.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    size_t stride = (size_t)width * (size_t)channels;
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)c.next_scanline * stride);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
    return 0;
}
