// The inner pass of the DMN's patch density (Sources/Numerics/Kernels/Density.swift,
// `accumulatePatchDensity`): per lag, the elementwise product of an image row with a shifted
// row, summed over a chunk of images, added into Double accumulators. In C, like
// conv_block.h, so that it runs in the CPU's widest vectors. Each output element is the
// same sequence of Float multiplies and adds over the images in order, then one Double add,
// in every instruction set, so the bits do not depend on the CPU.
#ifndef REPRO_LAG_PRODUCTS_H
#define REPRO_LAG_PRODUCTS_H

/// A run of `count` (1…12) consecutive lags at row offset `ry` and flat offsets s0 …
/// s0 + count − 1; `lag` is the index of its first lag's product image.
struct repro_lag_run { int ry, s0, count, lag; };

/// For every run r, lag j < r.count and i < padded_row (a multiple of 16):
/// out[(r.lag + j)·lag_stride + i] += (double) Σ_{b < images} a[b·image_len + i]
///                                              · a[b·image_len + r.ry·row_len + r.s0 + j + i]
/// with the Float sum taken over b in order. Reads up to padded_row − row_len + 15 floats past
/// a row, and (ry·row_len + s0 + 12) past that for the shifted one: the caller pads.
/// `isa` (enum repro_isa of conv_block.h) above repro_best_isa() is lowered to it.
void repro_lag_products_row(int isa, const float *a, int images, int image_len, int row_len, int padded_row,
                            const struct repro_lag_run *runs, int run_count, double *out, int lag_stride);

#endif
