// The C part of Numerics: what Swift cannot express (the FPU's subnormal mode, prefetching) and kernels
// compiled once per instruction set and chosen at run time.
#include "float_environment.h"
#include "conv_block.h"
#include "lag_products.h"
#include "optimizer_step.h"
#include "gather_rows.h"
