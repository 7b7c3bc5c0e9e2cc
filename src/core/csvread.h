/* Reading a numeric table from a CSV file, streamed: the file is read a
 * line at a time and only the selected columns are kept, in one buffer of
 * doubles that becomes the result matrix (no copy of the file's text).
 *
 * The format it accepts:
 *   - separators ',' ';' or a tab, one per file, detected on the first
 *     line of the table: the one that occurs most often there outside
 *     quotes (ties: ',' then ';' then tab; none: one column). Decimal
 *     commas are not read (1,5 is two fields);
 *   - an optional header: the first line of the table is a header when
 *     one of its fields is not a number (strtod, whole field); header
 *     names may be quoted ("a,b" with "" for a quote);
 *   - numbers as C's strtod reads them in the C locale whatever the
 *     user's locale (so 17 significant digits read back to the same
 *     double), blanks around a field allowed; NaN, Inf, a number out of
 *     the double range and an empty field are refused;
 *   - a UTF-8 byte-order mark, CRLF or LF line ends, blank lines and
 *     lines whose first non-blank character is '#' (comments) anywhere;
 *   - every row the same number of fields as the first.
 * Errors name the file, the line and, for a field, its column (1-based
 * bytes from the start of the line) and which field it is.
 *
 * It is an iteration (core/iter.h): each step reads CSV_STEP_LINES lines,
 * so a front end shows progress (bytes read) and Ctrl-C stops it between
 * steps. */
#ifndef SS_CSVREAD_H
#define SS_CSVREAD_H

#include "core/iter.h"
#include "core/status.h"

#include <gsl/gsl_matrix.h>
#include <stddef.h>
#include <stdint.h>

#define CSV_STEP_LINES 65536

/* Which columns to keep, in which order: by header name (names), or by
 * 1-based position in the file (index); neither: every column. */
typedef struct {
    const char *const *names;
    size_t nnames;
    const size_t *index;
    size_t nindex;
    /* at most this many values (rows x kept columns); 0: no bound */
    uint64_t max_values;
} csv_select;

typedef struct csv_reader csv_reader;

/* Opens path and reads up to the first line of the table (the header or
 * the first row), checking the selection against it. On failure nothing
 * is left open and the error slot holds "path[:line[:col]]: ..." (the
 * slot's own column stays 0: the caller sets the command's). sel's arrays
 * are copied. */
ss_status csv_reader_open(const char *path, const csv_select *sel,
                          csv_reader **out);
void csv_reader_free(csv_reader *r);

/* The iteration that reads the rest (state: the reader). */
extern const ss_iter_type csv_reader_iter;

/* After the iteration finished: the table, rows x kept columns (owned by
 * the caller), and the kept columns' names (the header's, or "cK" for
 * column K of a file without a header; owned by the reader, valid until
 * csv_reader_free). Fails for a table without rows. */
ss_status csv_reader_take(csv_reader *r, gsl_matrix **X);
size_t csv_reader_ncols(const csv_reader *r);
const char *csv_reader_colname(const csv_reader *r, size_t j);
/* What was detected: 1 when the file has a header; the separator. */
int csv_reader_has_header(const csv_reader *r);
char csv_reader_separator(const csv_reader *r);
/* Lines read so far (including comments and blanks). */
size_t csv_reader_lines(const csv_reader *r);

/* Read a whole file in one call (the iteration driven to its end without
 * Ctrl-C checks): for tests and small files. names: NULL or where to put
 * a malloc'ed array of malloc'ed names (free with csv_names_free). */
ss_status csv_read_file(const char *path, const csv_select *sel,
                        gsl_matrix **X, char ***names);
void csv_names_free(char **names, size_t n);

#endif
