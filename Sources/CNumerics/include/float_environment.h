// Subnormal handling of the calling thread's floating-point unit. Swift has no access to
// MXCSR (x86-64) or FPCR (arm64), so these few lines are C.
#ifndef REPRO_FLOAT_ENVIRONMENT_H
#define REPRO_FLOAT_ENVIRONMENT_H

/// Makes results that would be subnormal zero (flush to zero) and reads subnormal inputs as
/// zero (denormals are zero) on the calling thread. Threads created afterwards by this
/// thread inherit the setting (POSIX: the floating-point environment is inherited).
void repro_flush_subnormals(void);

/// 1 when the calling thread flushes subnormals, 0 when it keeps them, -1 when this CPU
/// family is not handled (then `repro_flush_subnormals` does nothing).
int repro_flushes_subnormals(void);

#endif
