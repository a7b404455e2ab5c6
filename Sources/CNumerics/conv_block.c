// Contraction of a·b + c into a fused multiply-add would round differently per instruction
// set (and from the Swift kernel); the build passes -ffp-contract=off as well.
#pragma STDC FP_CONTRACT OFF

#include "conv_block.h"

#include <stdlib.h>
#include <string.h>

#define KERNEL_FILE "conv_block_forward.inc"
#define KERNEL_PREFIX forward
#include "for_each_isa.inc"

#define KERNEL_FILE "conv_block_backward.inc"
#define KERNEL_PREFIX backward
#include "for_each_isa.inc"

#define KERNEL_FILE "conv_block_input_gradient.inc"
#define KERNEL_PREFIX input_gradient
#include "for_each_isa.inc"

int repro_best_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return REPRO_ISA_AVX512;
    if (__builtin_cpu_supports("avx2")) return REPRO_ISA_AVX2;
#endif
    return REPRO_ISA_BASELINE;
}

int repro_conv_relu_pool2_forward(int isa, const float *x, int batch, int height, int width, int channels, int k,
                                  const float *weights, const float *bias, int filters, float *y, uint8_t *winners) {
    const int best = repro_best_isa();
    if (isa > best) isa = best;
    const int lanes = isa == REPRO_ISA_AVX512 ? 16 : isa == REPRO_ISA_AVX2 ? 8 : 4;
    const int pw = (width - k + 1) / 2;
    // A plane row holds every window block's loads: LANES floats from offset (dx + kx) / 2 ≤ k / 2.
    const int stride = (pw + lanes - 1) / lanes * lanes + k / 2 + 1;
    // Filters padded to a multiple of 4 (every GROUP divides it) with zero filters.
    const int fp = (filters + 3) & ~3;
    const int rows = k * k * channels;
    float *wp = calloc((size_t)rows * fp + fp, sizeof(float));
    float *planes = malloc((size_t)2 * channels * height * stride * sizeof(float) + 64);
    float *tile = malloc((size_t)2 * fp * lanes * sizeof(float));
    if (!wp || !planes || !tile) { free(wp); free(planes); free(tile); return -1; }
    int32_t *tile_at = (int32_t *)(tile + (size_t)fp * lanes);
    float *bp = wp + (size_t)rows * fp;
    for (int r = 0; r < rows; r++) memcpy(wp + (size_t)r * fp, weights + (size_t)r * filters, filters * sizeof(float));
    memcpy(bp, bias, filters * sizeof(float));
    switch (isa) {
#if defined(__x86_64__)
    case REPRO_ISA_AVX512:
        forward_avx512(x, batch, height, width, channels, k, wp, bp, filters, fp, y, winners, planes, stride, tile,
                       tile_at);
        break;
    case REPRO_ISA_AVX2:
        forward_avx2(x, batch, height, width, channels, k, wp, bp, filters, fp, y, winners, planes, stride, tile,
                     tile_at);
        break;
#endif
    default:
        forward_baseline(x, batch, height, width, channels, k, wp, bp, filters, fp, y, winners, planes, stride, tile,
                         tile_at);
    }
    free(wp);
    free(planes);
    free(tile);
    return 0;
}

int repro_conv_relu_pool2_backward_weights(int isa, const float *x, const float *dy, const uint8_t *winners,
                                           int batch, int height, int width, int channels, int k, int filters,
                                           float *d_weights, float *d_bias) {
    const int best = repro_best_isa();
    if (isa > best) isa = best;
    const int rows = k * k * channels, rows_p = (rows + 15) / 16 * 16;
    // Windows per chunk: their patches (4 · rows_p floats each) fill about 16 KiB, within L1.
    int chunk = 16384 / (int)(4 * rows_p * sizeof(float));
    if (chunk < 1) chunk = 1;
    if (chunk > 64) chunk = 64;
    float *dwt = calloc((size_t)filters * rows_p + (size_t)chunk * 4 * rows_p + filters, sizeof(float));
    if (!dwt) return -1;
    float *patches = dwt + (size_t)filters * rows_p, *dbias = patches + (size_t)chunk * 4 * rows_p;
    switch (isa) {
#if defined(__x86_64__)
    case REPRO_ISA_AVX512:
        backward_avx512(x, dy, winners, batch, height, width, channels, k, filters, dwt, rows_p, patches, chunk, dbias);
        break;
    case REPRO_ISA_AVX2:
        backward_avx2(x, dy, winners, batch, height, width, channels, k, filters, dwt, rows_p, patches, chunk, dbias);
        break;
#endif
    default:
        backward_baseline(x, dy, winners, batch, height, width, channels, k, filters, dwt, rows_p, patches, chunk, dbias);
    }
    for (int r = 0; r < rows; r++)
        for (int o = 0; o < filters; o++) d_weights[(size_t)r * filters + o] += dwt[(size_t)o * rows_p + r];
    for (int o = 0; o < filters; o++) d_bias[o] += dbias[o];
    free(dwt);
    return 0;
}

int repro_conv_relu_pool2_backward_input(int isa, const float *dy, const uint8_t *winners, int batch, int height,
                                         int width, int channels, int k, const float *weights, int filters,
                                         float *dx) {
    const int best = repro_best_isa();
    if (isa > best) isa = best;
    const int rows = k * k * channels, rows_p = (rows + 15) / 16 * 16;
    float *wt = calloc((size_t)filters * rows_p + 4 * (size_t)rows_p, sizeof(float));
    if (!wt) return -1;
    float *grads = wt + (size_t)filters * rows_p;
    for (int r = 0; r < rows; r++)
        for (int o = 0; o < filters; o++) wt[(size_t)o * rows_p + r] = weights[(size_t)r * filters + o];
    memset(dx, 0, (size_t)batch * height * width * channels * sizeof(float));
    switch (isa) {
#if defined(__x86_64__)
    case REPRO_ISA_AVX512:
        input_gradient_avx512(dy, winners, batch, height, width, channels, k, filters, wt, rows_p, grads, dx);
        break;
    case REPRO_ISA_AVX2:
        input_gradient_avx2(dy, winners, batch, height, width, channels, k, filters, wt, rows_p, grads, dx);
        break;
#endif
    default:
        input_gradient_baseline(dy, winners, batch, height, width, channels, k, filters, wt, rows_p, grads, dx);
    }
    free(wt);
    return 0;
}
