/* A numeric table too large to hold as cells (a data set of 10^7 rows),
 * written as an iteration (core/iter.h): each step formats a bounded block
 * of rows, so a front end can show progress and stop it between blocks.
 * The output is exactly what tbl_print prints for the same numbers: rows
 * are fetched one at a time by row(ctx, i, vals), so memory does not grow
 * with the row count. CSV takes one pass; aligned text two (the column
 * widths, then the lines). */
#ifndef SS_TBLSTREAM_H
#define SS_TBLSTREAM_H

#include "core/iter.h"
#include "core/sink.h"

#include <stddef.h>

typedef void (*tbl_row_fn)(void *ctx, size_t row, double *vals);

/* Rows handled per step. */
#define TBL_STREAM_STEP 16384

typedef struct tbl_stream tbl_stream;

/* head may be NULL (no header line); head, ctx and the sink must outlive
 * the stream. NULL when out of memory. */
tbl_stream *tbl_stream_alloc(const ss_sink *out, const char *const *head,
                             size_t ncols, size_t nrows, tbl_row_fn row,
                             void *ctx, int csv, int indent);
void tbl_stream_free(tbl_stream *t);
extern const ss_iter_type tbl_stream_type;

#endif
