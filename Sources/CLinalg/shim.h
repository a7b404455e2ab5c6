// OpenBLAS's CBLAS and the reference LAPACKE, as shipped by Debian's
// libopenblas-dev and liblapacke-dev.
#include <cblas.h>
#include <lapacke.h>
