#include "float_environment.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>

// MXCSR bit 15 is FTZ (flush to zero), bit 6 is DAZ (denormals are zero).
static const unsigned int ftz_daz = 0x8040;

int repro_flushes_subnormals(void) { return (_mm_getcsr() & ftz_daz) == ftz_daz; }
int repro_set_flush_subnormals(int on) {
    const int previous = repro_flushes_subnormals();
    _mm_setcsr(on ? (_mm_getcsr() | ftz_daz) : (_mm_getcsr() & ~ftz_daz));
    return previous;
}

#elif defined(__aarch64__)
#include <stdint.h>

// FPCR bit 24 is FZ: subnormal inputs and results are flushed to zero.
static const uint64_t fz = (uint64_t)1 << 24;

static uint64_t read_fpcr(void) { uint64_t v; __asm__ volatile("mrs %0, fpcr" : "=r"(v)); return v; }
int repro_flushes_subnormals(void) { return (read_fpcr() & fz) != 0; }
int repro_set_flush_subnormals(int on) {
    const int previous = repro_flushes_subnormals();
    const uint64_t v = on ? (read_fpcr() | fz) : (read_fpcr() & ~fz);
    __asm__ volatile("msr fpcr, %0" : : "r"(v));
    return previous;
}

#else
int repro_set_flush_subnormals(int on) { (void)on; return -1; }
int repro_flushes_subnormals(void) { return -1; }
#endif
