// No fused multiply-add: it would round differently per instruction set (see conv_block.c).
#pragma STDC FP_CONTRACT OFF

#include "lag_products.h"
#include "conv_block.h"

#include <stddef.h>

#define KERNEL_FILE "lag_products_row.inc"
#define KERNEL_PREFIX lag_products
#include "for_each_isa.inc"

void repro_lag_products_row(int isa, const float *a, int images, int image_len, int row_len, int padded_row,
                            const struct repro_lag_run *runs, int run_count, double *out, int lag_stride) {
    const int best = repro_best_isa();
    switch (isa > best ? best : isa) {
#if defined(__x86_64__)
    case REPRO_ISA_AVX512:
        lag_products_avx512(a, images, image_len, row_len, padded_row, runs, run_count, out, lag_stride);
        break;
    case REPRO_ISA_AVX2:
        lag_products_avx2(a, images, image_len, row_len, padded_row, runs, run_count, out, lag_stride);
        break;
#endif
    default:
        lag_products_baseline(a, images, image_len, row_len, padded_row, runs, run_count, out, lag_stride);
    }
}
