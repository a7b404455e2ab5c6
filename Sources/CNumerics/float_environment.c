#include "float_environment.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>

// MXCSR bit 15 is FTZ (flush to zero), bit 6 is DAZ (denormals are zero).
static const unsigned int ftz_daz = 0x8040;

void repro_flush_subnormals(void) { _mm_setcsr(_mm_getcsr() | ftz_daz); }
int repro_flushes_subnormals(void) { return (_mm_getcsr() & ftz_daz) == ftz_daz; }

#elif defined(__aarch64__)
#include <stdint.h>

// FPCR bit 24 is FZ: subnormal inputs and results are flushed to zero.
static const uint64_t fz = (uint64_t)1 << 24;

static uint64_t read_fpcr(void) { uint64_t v; __asm__ volatile("mrs %0, fpcr" : "=r"(v)); return v; }
void repro_flush_subnormals(void) { uint64_t v = read_fpcr() | fz; __asm__ volatile("msr fpcr, %0" : : "r"(v)); }
int repro_flushes_subnormals(void) { return (read_fpcr() & fz) != 0; }

#else
void repro_flush_subnormals(void) {}
int repro_flushes_subnormals(void) { return -1; }
#endif
