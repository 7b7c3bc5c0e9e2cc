/* A table of strings and numbers printed either aligned (text) or as CSV.
 * Every tabular result goes through here so --format applies everywhere and
 * numbers always carry enough digits (12 significant in text; in CSV the
 * shortest form that reads back as the same double, at most 17). */
#ifndef SS_TABLE_H
#define SS_TABLE_H

#include "core/sink.h"
#include "core/tblstream.h"
#include <stddef.h>

typedef struct tbl tbl;

tbl *tbl_alloc(size_t ncols);
void tbl_free(tbl *t);
void tbl_header(tbl *t, size_t col, const char *name);
/* Start a new row; cells default to empty. */
void tbl_row(tbl *t);
void tbl_str(tbl *t, size_t col, const char *s);
void tbl_num(tbl *t, size_t col, double v);
size_t tbl_rows(const tbl *t);
/* A row of a two-column name/value table: "field,value" exports. */
void tbl_field(tbl *t, const char *name, double v);
/* Write the table; in text mode each line is prefixed by indent spaces. */
void tbl_print(const tbl *t, const ss_sink *out, int csv, int indent);

/* A table of numbers too large to hold as cells, written in one go
 * through a tbl_stream (core/tblstream.h), exactly as tbl_print prints the
 * same numbers. Ctrl-C (ss_interrupted()) is checked between the stream's
 * blocks: output then stops part-way and 1 is returned; 0 when every row
 * was written. */
int tbl_print_numeric(const ss_sink *out, const char *const *head,
                      size_t ncols, size_t nrows, tbl_row_fn row, void *ctx,
                      int csv, int indent);

/* A CSV field, quoted when it holds a comma, quote or newline. */
void tbl_csv_field(const ss_sink *out, const char *s);
/* Display width of UTF-8 text: code points, not bytes. */
size_t tbl_text_width(const char *s);

/* Format one number as the table does (text: %.12g; csv: round-trip).
 * NaN means "not available": "n/a" in text, an empty field in CSV. */
void tbl_format_num(char *buf, size_t n, double v, int csv);

#endif
