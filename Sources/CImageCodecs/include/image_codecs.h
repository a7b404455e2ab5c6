#ifndef REPRO_IMAGE_CODECS_H
#define REPRO_IMAGE_CODECS_H
// PNG and JPEG decoding for image-folder datasets, through the system's libpng (simplified
// API) and libjpeg (libjpeg-turbo on Debian). In C because libjpeg reports errors by
// longjmp, which Swift cannot catch. Every function returns 0 on success, or nonzero with a
// message in `error` (NUL-terminated, at most error_len bytes).
#include <stddef.h>
#include <stdint.h>

/// Width, height and channels (1 grayscale, 3 colour; alpha is not counted) of a PNG or JPEG
/// file, from its header alone.
int ic_probe(const char *path, int *width, int *height, int *channels, char *error, size_t error_len);

/// Decodes a PNG or JPEG file to 8-bit pixels, `channels` (1 or 3) interleaved per pixel,
/// row-major, into `out` (exactly width × height × channels bytes). Grayscale becomes RGB by
/// repetition; colour becomes grayscale by the codec's luma conversion; alpha is dropped
/// (composited on black).
int ic_decode(const char *path, int width, int height, int channels, uint8_t *out, char *error, size_t error_len);

/// Fixture writers for tests: 8-bit grayscale (channels 1) or RGB (3) pixels as PNG, or as
/// JPEG at `quality` (1…100).
int ic_write_png(const char *path, int width, int height, int channels, const uint8_t *pixels, char *error, size_t error_len);
int ic_write_jpeg(const char *path, int width, int height, int channels, const uint8_t *pixels, int quality, char *error, size_t error_len);

#endif
