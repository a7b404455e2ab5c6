// The optimisers' per-parameter updates (Sources/Models/Training/Optimizer.swift), in C so
// that they run in the CPU's widest vectors: Swift cannot tell that the four arrays do not
// overlap and keeps the loop scalar, which made Adam a tenth of a DMN run's classifier
// training. Each element gets the same Float operations in the same order in every
// instruction set (no fused multiply-add; division and square root are correctly rounded),
// so the bits do not depend on the CPU.
#ifndef REPRO_OPTIMIZER_STEP_H
#define REPRO_OPTIMIZER_STEP_H

/// The gradient a step applies, g[i]: with g1 NULL, g0[i] (one shard's gradient, used as it
/// is); otherwise s0·g0[i] + s1·g1[i], two data-parallel shards' gradients (each its shard's
/// mean) weighted by their shares of the batch, each product rounded to Float, then the sum.
///
/// Adam, for i < n:
///   m[i] ← b1·m[i] + (1 − b1)·g[i]
///   v[i] ← b2·v[i] + ((1 − b2)·g[i])·g[i]
///   w[i] ← w[i] − (lr_t·m[i]) / (√v[i] + eps)
/// with 1 − b1 and 1 − b2 rounded to Float. `isa` (enum repro_isa of conv_block.h) above
/// repro_best_isa() is lowered to it.
void repro_adam_step(int isa, float *w, float *m, float *v, const float *g0, float s0, const float *g1, float s1,
                     long n, float b1, float b2, float lr_t, float eps);

/// SGD with heavy-ball momentum, for i < n: v[i] ← mu·v[i] − lr·g[i]; w[i] ← w[i] + v[i],
/// g as for repro_adam_step.
void repro_momentum_step(int isa, float *w, float *v, const float *g0, float s0, const float *g1, float s1, long n,
                         float mu, float lr);

#endif
