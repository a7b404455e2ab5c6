// The row gather of the feature cache (Sources/Models/Training/FeatureCache.swift): a batch
// of rows at random places in hundreds of MB. In C for its software prefetch (Swift has no
// prefetch intrinsic): the hardware prefetcher follows a row once it has started, but each
// row's start is a fresh miss to memory, so the rows a few ahead are requested while the
// current one is copied.
#ifndef REPRO_GATHER_ROWS_H
#define REPRO_GATHER_ROWS_H

/// dst[i·row_floats ..< (i + 1)·row_floats] ← src[rows[i]·row_floats ...], for i < count.
void repro_gather_rows(const float *src, long row_floats, const long *rows, long count, float *dst);

#endif
