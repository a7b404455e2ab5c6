// Subnormal handling of the calling thread's floating-point unit. Swift has no access to
// MXCSR (x86-64) or FPCR (arm64), so these few lines are C.
#ifndef REPRO_FLOAT_ENVIRONMENT_H
#define REPRO_FLOAT_ENVIRONMENT_H

/// on = 1: results that would be subnormal become zero (flush to zero) and subnormal inputs
/// read as zero (denormals are zero), on the calling thread; on = 0: IEEE behaviour. Threads
/// created afterwards by this thread inherit the setting (POSIX: the floating-point
/// environment is inherited). Returns the previous setting (1 or 0), or -1 when this CPU
/// family is not handled (then nothing is changed).
int repro_set_flush_subnormals(int on);

/// 1 when the calling thread flushes subnormals, 0 when it keeps them, -1 when this CPU
/// family is not handled.
int repro_flushes_subnormals(void);

#endif
