/* Per-kernel cost of the conv → ReLU → 2×2 max-pool block on the paper's layer shapes, one
 * thread, batch 32: the measurement behind PROFILING.md §10 and ConvBlockAlgorithm.preferred.
 *
 * direct: repro's C kernels (Sources/CNumerics), forward, weight gradient, input gradient.
 * gemm:   the GEMM form (patches of the pooling windows + cblas_sgemm + max of four rows;
 *         backward: gradients scattered to the winners' rows, then dense sgemms for dW and the
 *         patch gradients, added back into dx), written here as repro's Swift had it.
 *
 * Usage: conv_kernels [ISA]  (ISA 0 baseline, 1 AVX2, 2 AVX-512; default the best; lowered to
 * what the CPU runs). Prints µs per image, the minimum of 20 runs of process CPU time, so that
 * other tenants' steal on a shared machine does not count. */
#include "conv_block.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char *openblas_get_corename(void);

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float uniform(void) { return (float)rand() / (float)RAND_MAX * 2.0f - 1.0f; }

/* cols[(b, py, px, q)][k·k·C] ← the patch at each of a window's four positions of x, or, with
 * add_back, x += the scatter of cols (the adjoint). */
static void pool_window_patches(float *x, int batch, int h, int w, int c, int k, float *cols, int add_back) {
    const int ph = (h - k + 1) / 2, pw = (w - k + 1) / 2, run = k * c;
    const size_t row_stride = (size_t)w * c;
    for (int b = 0; b < batch; b++)
        for (int py = 0; py < ph; py++)
            for (int px = 0; px < pw; px++)
                for (int q = 0; q < 4; q++) {
                    float *corner = x + ((size_t)b * h + 2 * py + q / 2) * row_stride + (size_t)(2 * px + q % 2) * c;
                    for (int ky = 0; ky < k; ky++) {
                        if (!add_back) memcpy(cols + ky * run, corner + ky * row_stride, run * sizeof(float));
                        else for (int i = 0; i < run; i++) corner[ky * row_stride + i] += cols[ky * run + i];
                    }
                    cols += k * run;
                }
}

int main(int argc, char **argv) {
    const int isa = argc > 1 ? atoi(argv[1]) : repro_best_isa();
    /* H, W, C, F: layer 1 and 2 of "4", "8", "16", "4,15", "8,16", "16,32" on 28×28×1 and 32×32×3. */
    const int shapes[][4] = {{28, 28, 1, 4}, {28, 28, 1, 8}, {28, 28, 1, 16}, {13, 13, 4, 15}, {13, 13, 8, 16},
                             {13, 13, 16, 32}, {32, 32, 3, 4}, {32, 32, 3, 16}, {15, 15, 4, 15}, {15, 15, 16, 32}};
    const int batch = 32, k = 3, runs = 20;
    printf("isa %d (0 baseline, 1 avx2, 2 avx512), OpenBLAS %s, batch %d, µs per image (min of %d, CPU time)\n", isa,
           openblas_get_corename(), batch, runs);
    printf("%-14s %9s %9s %9s | %9s %9s %9s\n", "H×W×C → F", "direct fw", "dW", "dx", "gemm fw", "dW", "dx");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int h = shapes[s][0], w = shapes[s][1], c = shapes[s][2], f = shapes[s][3];
        const int ph = (h - k + 1) / 2, pw = (w - k + 1) / 2, n = k * k * c;
        const size_t nx = (size_t)batch * h * w * c, windows = (size_t)batch * ph * pw, rows = 4 * windows;
        float *x = malloc(nx * sizeof(float)), *dx = malloc(nx * sizeof(float));
        float *wt = malloc((size_t)n * f * sizeof(float)), *bias = calloc(f, sizeof(float));
        float *y = malloc(windows * f * sizeof(float)), *dy = malloc(windows * f * sizeof(float));
        float *dw = calloc((size_t)n * f, sizeof(float)), *db = calloc(f, sizeof(float));
        float *cols = malloc(rows * n * sizeof(float)), *z = malloc(rows * f * sizeof(float));
        uint8_t *winners = malloc(windows * f);
        if (!x || !dx || !wt || !bias || !y || !dy || !dw || !db || !cols || !z || !winners) return 1;
        for (size_t i = 0; i < nx; i++) x[i] = uniform();
        for (int i = 0; i < n * f; i++) wt[i] = 0.3f * uniform();
        for (size_t i = 0; i < windows * f; i++) dy[i] = uniform();
        double t[6] = {1e9, 1e9, 1e9, 1e9, 1e9, 1e9};
        for (int r = 0; r < runs; r++) {
            double t0 = cpu_seconds(), dt;
            repro_conv_relu_pool2_forward(isa, x, batch, h, w, c, k, wt, bias, f, y, winners);
            if ((dt = cpu_seconds() - t0) < t[0]) t[0] = dt;
            t0 = cpu_seconds();
            repro_conv_relu_pool2_backward_weights(isa, x, dy, winners, batch, h, w, c, k, f, dw, db);
            if ((dt = cpu_seconds() - t0) < t[1]) t[1] = dt;
            t0 = cpu_seconds();
            repro_conv_relu_pool2_backward_input(isa, dy, winners, batch, h, w, c, k, wt, f, dx);
            if ((dt = cpu_seconds() - t0) < t[2]) t[2] = dt;

            t0 = cpu_seconds();
            pool_window_patches(x, batch, h, w, c, k, cols, 0);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, f, n, 1, cols, n, wt, f, 0, z, f);
            for (size_t wi = 0; wi < windows; wi++)
                for (int o = 0; o < f; o++) {
                    const float *z0 = z + 4 * wi * f;
                    float best = z0[o];
                    int at = 0;
                    for (int q = 1; q < 4; q++)
                        if (z0[q * f + o] > best) { best = z0[q * f + o]; at = q; }
                    y[wi * f + o] = best > 0 ? best : 0;
                    winners[wi * f + o] = best > 0 ? (uint8_t)at : 255;
                }
            if ((dt = cpu_seconds() - t0) < t[3]) t[3] = dt;
            t0 = cpu_seconds();
            memset(z, 0, rows * f * sizeof(float));
            for (size_t wi = 0; wi < windows; wi++)
                for (int o = 0; o < f; o++)
                    if (winners[wi * f + o] != 255) {
                        z[(4 * wi + winners[wi * f + o]) * f + o] = dy[wi * f + o];
                        db[o] += dy[wi * f + o];
                    }
            pool_window_patches(x, batch, h, w, c, k, cols, 0);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, f, rows, 1, cols, n, z, f, 1, dw, f);
            if ((dt = cpu_seconds() - t0) < t[4]) t[4] = dt;
            t0 = cpu_seconds();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, f, 1, z, f, wt, f, 0, cols, n);
            memset(dx, 0, nx * sizeof(float));
            pool_window_patches(dx, batch, h, w, c, k, cols, 1);
            if ((dt = cpu_seconds() - t0) < t[5]) t[5] = dt;
        }
        char name[32];
        snprintf(name, sizeof name, "%d×%d×%d → %d", h, w, c, f);
        printf("%-16s", name);
        for (int i = 0; i < 6; i++) printf(" %9.2f%s", 1e6 * t[i] / batch, i == 2 ? " |" : "");
        printf("\n");
        free(x); free(dx); free(wt); free(bias); free(y); free(dy); free(dw); free(db); free(cols); free(z); free(winners);
    }
    return 0;
}
