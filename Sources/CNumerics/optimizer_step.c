// No fused multiply-add: it would round differently per instruction set (see conv_block.c).
#pragma STDC FP_CONTRACT OFF

#include "optimizer_step.h"
#include "conv_block.h"

#define KERNEL_FILE "optimizer_step_body.inc"
#define KERNEL_PREFIX optimizer_step
#include "for_each_isa.inc"

void repro_adam_step(int isa, float *w, float *m, float *v, const float *g0, float s0, const float *g1, float s1,
                     long n, float b1, float b2, float lr_t, float eps) {
    const int best = repro_best_isa();
    switch (isa > best ? best : isa) {
#if defined(__x86_64__)
    case REPRO_ISA_AVX512: optimizer_step_avx512_adam(w, m, v, g0, s0, g1, s1, n, b1, b2, lr_t, eps); break;
    case REPRO_ISA_AVX2: optimizer_step_avx2_adam(w, m, v, g0, s0, g1, s1, n, b1, b2, lr_t, eps); break;
#endif
    default: optimizer_step_baseline_adam(w, m, v, g0, s0, g1, s1, n, b1, b2, lr_t, eps);
    }
}

void repro_momentum_step(int isa, float *w, float *v, const float *g0, float s0, const float *g1, float s1, long n,
                         float mu, float lr) {
    const int best = repro_best_isa();
    switch (isa > best ? best : isa) {
#if defined(__x86_64__)
    case REPRO_ISA_AVX512: optimizer_step_avx512_momentum(w, v, g0, s0, g1, s1, n, mu, lr); break;
    case REPRO_ISA_AVX2: optimizer_step_avx2_momentum(w, v, g0, s0, g1, s1, n, mu, lr); break;
#endif
    default: optimizer_step_baseline_momentum(w, v, g0, s0, g1, s1, n, mu, lr);
    }
}
