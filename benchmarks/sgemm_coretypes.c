/* sgemm throughput of the OpenBLAS kernel family this process got (see OPENBLAS_CORETYPE).
 * Usage: sgemm_coretypes M N K   (row-major C[M×N] = A[M×K]·B[K×N], median of 5 bursts of 20) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern char *openblas_get_corename(void);

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s M N K\n", argv[0]); return 2; }
    int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
    float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = malloc(sizeof(float) * m * n);
    for (long i = 0; i < (long)m * k; i++) a[i] = (float)(i % 7) * 1e-3f;
    for (long i = 0; i < (long)k * n; i++) b[i] = (float)(i % 5) * 1e-3f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);  /* warm-up */
    double rates[5];
    for (int r = 0; r < 5; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < 20; i++) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        rates[r] = 2.0 * m * n * k * 20 / s / 1e9;
    }
    qsort(rates, 5, sizeof(double), compare);
    printf("%-12s %5d x %5d x %5d  %6.1f GFLOP/s\n", openblas_get_corename(), m, n, k, rates[2]);
    free(a); free(b); free(c);
    return 0;
}
