// The fused conv k×k (valid, stride 1) → ReLU → 2×2 max-pool forward of
// Sources/Numerics/Kernels/ConvBlock.swift, vectorised over neighbouring pooling windows in
// the widest vectors the CPU has. Why C: Swift compiles its SIMD types for one instruction
// set per build (x86-64 baseline: 4-lane SSE), while C can compile a kernel per instruction
// set and choose at run time. The per-output arithmetic is the same sequence of Float
// multiplies and adds as the Swift kernel (bias first, then the patch in im2col order, no
// fused multiply-add), so every instruction set gives the same bits.
#ifndef REPRO_CONV_BLOCK_H
#define REPRO_CONV_BLOCK_H

#include <stdint.h>

/// Instruction sets the kernel is compiled for, widest last.
enum repro_isa { REPRO_ISA_BASELINE = 0, REPRO_ISA_AVX2 = 1, REPRO_ISA_AVX512 = 2 };

/// The widest instruction set of this CPU that the kernel has a version for.
int repro_best_isa(void);

/// x[B, H, W, C] NHWC; weights[k·k·C, F] (im2col row order: ky, kx, c); bias[F];
/// y[B, PH, PW, F] and winners[B, PH, PW, F] with PH = (H−k+1)/2, PW = (W−k+1)/2:
/// y = max(0, the largest of the window's four conv outputs), winners = its position
/// (0…3, row-major, the first wins ties) or 255 where the ReLU clipped to 0.
/// `isa` above `repro_best_isa()` is lowered to it. Returns 0, or -1 when out of memory.
int repro_conv_relu_pool2_forward(int isa, const float *x, int batch, int height, int width, int channels, int kernel,
                                  const float *weights, const float *bias, int filters, float *y, uint8_t *winners);

/// The weight and bias gradients of that block: dWeights[k·k·C, F] += Σ over windows of
/// dy · (the patch at the window's winner), dBias[F] += Σ dy over windows with a winner, for
/// x, dy[B, PH, PW, F] and the forward's winners. Each gradient entry is summed over the
/// windows in order in Float from 0, one multiply and one add per window, then added to
/// dWeights (dBias): the arithmetic of the Swift kernel it replaces (windows whose gradient is
/// 0 are skipped, which changes nothing for finite inputs). Returns 0, or -1 when out of memory.
int repro_conv_relu_pool2_backward_weights(int isa, const float *x, const float *dy, const uint8_t *winners,
                                           int batch, int height, int width, int channels, int kernel, int filters,
                                           float *d_weights, float *d_bias);

/// The input gradient of that block: dx[B, H, W, C] ← Σ over windows and their winning filters
/// of dy · W[:, filter] at the winner's patch, for dy[B, PH, PW, F], the forward's winners and
/// weights[k·k·C, F]. Per window the winners at each position are summed first (filters in
/// order, from 0), then the positions' patch gradients are added to dx in order 0…3, windows
/// in order; zero gradients are skipped. The same bits in every instruction set. Returns 0,
/// or -1 when out of memory.
int repro_conv_relu_pool2_backward_input(int isa, const float *dy, const uint8_t *winners, int batch, int height,
                                         int width, int channels, int kernel, const float *weights, int filters,
                                         float *dx);

#endif
