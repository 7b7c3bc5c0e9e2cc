/* The CSV reader (csvread.h). */
#include "core/csvread.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    size_t start, end; /* the field's text (inside the quotes if quoted) */
    int quoted;
} span;

struct csv_reader {
    FILE *f;
    char *path;
    char *line;   /* getline's buffer */
    size_t cap;
    size_t lineno; /* lines read */
    uint64_t bytes, size;
    char sep;
    int header, eof;
    size_t file_cols; /* fields a row has */
    size_t ncols;     /* kept columns */
    size_t *keep;     /* their 0-based positions in the file */
    char **names;     /* their names */
    span *sp;         /* file_cols + 1 spans of the current line */
    double *v;        /* rows x ncols, grown by doubling */
    size_t rows, vcap; /* rows held, capacity in values */
    uint64_t max_values;
    size_t first;     /* the line of the header or first row */
    int pending;      /* the first row of a file without a header is
                         still in line (not yet stored) */
};

/* ---- lines and fields ----------------------------------------------- */

/* The next line without its end (LF, CRLF), the BOM removed from the
 * first. 0 at the end of the file; -1 on a read error (recorded). */
static int next_line(csv_reader *r, size_t *len)
{
    errno = 0;
    ssize_t n = getline(&r->line, &r->cap, r->f);
    if (n < 0) {
        if (ferror(r->f))
            return SS_FAIL(SS_ERR_IO, "%s:%zu: read error: %s", r->path,
                           r->lineno + 1, strerror(errno ? errno : EIO)),
                   -1;
        r->eof = 1;
        return 0;
    }
    r->bytes += (uint64_t)n;
    r->lineno++;
    if (n > 0 && r->line[n - 1] == '\n')
        n--;
    if (n > 0 && r->line[n - 1] == '\r')
        n--;
    r->line[n] = 0;
    if (r->lineno == 1 && n >= 3 && memcmp(r->line, "\xEF\xBB\xBF", 3) == 0) {
        memmove(r->line, r->line + 3, (size_t)n - 2);
        n -= 3;
    }
    if (memchr(r->line, 0, (size_t)n))
        return SS_FAIL(SS_ERR_IO, "%s:%zu: a NUL byte: this is not a text "
                                  "file",
                       r->path, r->lineno),
               -1;
    *len = (size_t)n;
    return 1;
}

/* Blank or a comment: skipped. */
static int skip_line(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == 0 || *s == '#';
}

/* Separators outside quotes. */
static size_t count_sep(const char *s, char sep)
{
    size_t k = 0;
    int q = 0;
    for (; *s; s++)
        if (*s == '"')
            q = !q;
        else if (!q && *s == sep)
            k++;
    return k;
}

static char detect_sep(const char *s)
{
    size_t c = count_sep(s, ','), sc = count_sep(s, ';'),
           t = count_sep(s, '\t');
    if (c >= sc && c >= t)
        return ',';
    return sc >= t ? ';' : '\t';
}

/* Split the current line into fields: up to max spans are stored; the
 * count is returned in *nf (also beyond max). -1 for a bad quote
 * (recorded). */
static int split(csv_reader *r, size_t len, span *sp, size_t max, size_t *nf)
{
    const char *s = r->line;
    size_t i = 0, k = 0;
    for (;;) {
        size_t b = i;
        while (i < len && (s[i] == ' ' || (s[i] == '\t' && r->sep != '\t')))
            i++;
        span f = {b, 0, 0};
        if (i < len && s[i] == '"') {
            size_t q = i++;
            f.start = i;
            f.quoted = 1;
            for (;;) {
                if (i >= len)
                    return SS_FAIL(SS_ERR_SYNTAX,
                                   "%s:%zu:%zu: field %zu: unclosed quote "
                                   "(a quoted field must end on its line)",
                                   r->path, r->lineno, q + 1, k + 1),
                           -1;
                if (s[i] == '"' && i + 1 < len && s[i + 1] == '"')
                    i += 2;
                else if (s[i] == '"')
                    break;
                else
                    i++;
            }
            f.end = i++;
            while (i < len && (s[i] == ' ' || (s[i] == '\t' && r->sep != '\t')))
                i++;
            if (i < len && s[i] != r->sep)
                return SS_FAIL(SS_ERR_SYNTAX,
                               "%s:%zu:%zu: field %zu: text after the closing "
                               "quote",
                               r->path, r->lineno, i + 1, k + 1),
                       -1;
        } else {
            while (i < len && s[i] != r->sep)
                i++;
            f.end = i;
        }
        if (k < max)
            sp[k] = f;
        k++;
        if (i >= len)
            break;
        i++; /* the separator */
    }
    *nf = k;
    return 0;
}

/* The field's text, unquoted, in a new string. */
static char *field_text(const csv_reader *r, const span *f)
{
    const char *s = r->line;
    size_t a = f->start, b = f->end;
    if (!f->quoted) {
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
            a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
            b--;
    }
    char *t = malloc(b - a + 1), *o = t;
    if (!t)
        return NULL;
    for (size_t i = a; i < b; i++) {
        *o++ = s[i];
        if (f->quoted && s[i] == '"')
            i++; /* "" -> " */
    }
    *o = 0;
    return t;
}

/* 1 when the field is a number as a whole (blanks around it allowed),
 * its value in *x (possibly not finite). */
static int field_number(const csv_reader *r, const span *f, double *x)
{
    const char *s = r->line;
    size_t a = f->start, b = f->end;
    while (a < b && (s[a] == ' ' || s[a] == '\t'))
        a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
        b--;
    if (a == b)
        return 0;
    char buf[128];
    const char *p = s + a;
    char *heap = NULL;
    size_t n = b - a;
    if (n < sizeof buf) { /* strtod needs the field's end: a copy */
        memcpy(buf, p, n);
        buf[n] = 0;
        p = buf;
    } else {
        heap = malloc(n + 1);
        if (!heap)
            return 0;
        memcpy(heap, p, n);
        heap[n] = 0;
        p = heap;
    }
    char *end;
    errno = 0;
    *x = strtod(p, &end);
    int ok = end == p + n;
    free(heap);
    return ok;
}

/* The value of a kept field of a data row, or an error naming it. */
static ss_status row_value(csv_reader *r, size_t pos, double *x)
{
    const span *f = &r->sp[pos];
    size_t col = f->start + 1 - (size_t)f->quoted;
    if (!field_number(r, f, x)) {
        char *t = field_text(r, f);
        ss_status rc;
        if (t && !*t)
            rc = SS_FAIL(SS_ERR_SYNTAX,
                         "%s:%zu:%zu: field %zu is empty (a missing value): "
                         "every kept field must hold a number",
                         r->path, r->lineno, col, pos + 1);
        else
            rc = SS_FAIL(SS_ERR_SYNTAX,
                         "%s:%zu:%zu: field %zu is not a number: '%.40s%s'",
                         r->path, r->lineno, col, pos + 1, t ? t : "",
                         t && strlen(t) > 40 ? "..." : "");
        free(t);
        return rc;
    }
    if (!isfinite(*x)) {
        /* "nan", "inf", "infinity" spelled out, or a number too large */
        char *t = field_text(r, f);
        int spelled = t && strpbrk(t, "nN") != NULL;
        ss_status rc =
            spelled ? SS_FAIL(SS_ERR_RANGE,
                              "%s:%zu:%zu: field %zu is %s: NaN and "
                              "infinite values are not data",
                              r->path, r->lineno, col, pos + 1,
                              isnan(*x) ? "NaN" : "infinite")
                    : SS_FAIL(SS_ERR_RANGE,
                              "%s:%zu:%zu: field %zu ('%.40s') is beyond "
                              "the range of doubles (about 1.8e308)",
                              r->path, r->lineno, col, pos + 1,
                              t ? t : "");
        free(t);
        return rc;
    }
    return SS_OK;
}

/* Store the current line as a row (already split into r->sp). */
static ss_status store_row(csv_reader *r, size_t nf)
{
    if (nf != r->file_cols)
        return SS_FAIL(SS_ERR_SYNTAX,
                       "%s:%zu: this row has %zu field%s, the %s %zu (every "
                       "row needs the same number)",
                       r->path, r->lineno, nf, nf == 1 ? "" : "s",
                       r->header ? "header has" : "first row has",
                       r->file_cols);
    if (r->max_values &&
        (uint64_t)(r->rows + 1) * r->ncols > r->max_values)
        return SS_FAIL(SS_ERR_LIMIT,
                       "%s:%zu: more than %llu values (%zu rows of %zu "
                       "column%s) would pass the memory bound of data sets "
                       "(%.3g GB)",
                       r->path, r->lineno,
                       (unsigned long long)r->max_values, r->rows + 1,
                       r->ncols, r->ncols == 1 ? "" : "s",
                       (double)r->max_values * 8 / 1e9);
    size_t need = (r->rows + 1) * r->ncols;
    if (need > r->vcap) {
        size_t nc = r->vcap ? 2 * r->vcap : 1024 * r->ncols;
        if (r->max_values && nc > r->max_values)
            nc = (size_t)r->max_values;
        if (nc < need)
            nc = need;
        double *nv = realloc(r->v, nc * sizeof *nv);
        if (!nv)
            return SS_FAIL(SS_ERR_NOMEM, "%s:%zu: out of memory for %zu rows",
                           r->path, r->lineno, r->rows + 1);
        r->v = nv;
        r->vcap = nc;
    }
    double *row = r->v + r->rows * r->ncols;
    for (size_t j = 0; j < r->ncols; j++) {
        ss_status rc = row_value(r, r->keep[j], &row[j]);
        if (rc != SS_OK)
            return rc;
    }
    r->rows++;
    return SS_OK;
}

/* ---- opening: the first line, the header, the selection ------------- */

void csv_reader_free(csv_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    csv_names_free(r->names, r->ncols);
    free(r->path);
    free(r->line);
    free(r->keep);
    free(r->sp);
    free(r->v);
    free(r);
}

void csv_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

static ss_status nomem(void)
{
    return SS_FAIL(SS_ERR_NOMEM, "out of memory");
}

/* The kept columns from the selection, against the first line (split
 * into r->sp, file_cols fields; names are the header's when it has one). */
static ss_status select_cols(csv_reader *r, const csv_select *sel,
                             char **hnames)
{
    size_t n = sel && sel->nnames   ? sel->nnames
               : sel && sel->nindex ? sel->nindex
                                    : r->file_cols;
    r->keep = calloc(n, sizeof *r->keep);
    r->names = calloc(n, sizeof *r->names);
    if (!r->keep || !r->names)
        return nomem();
    r->ncols = n;
    for (size_t j = 0; j < n; j++) {
        size_t pos = j;
        if (sel && sel->nnames) {
            const char *want = sel->names[j];
            if (!r->header)
                return SS_FAIL(SS_ERR_USAGE,
                               "%s:%zu: the file has no header (its first "
                               "row is all numbers), so columns cannot be "
                               "chosen by name ('%s'): give their positions, "
                               "cols=[1, 2]",
                               r->path, r->lineno, want);
            for (pos = 0; pos < r->file_cols; pos++)
                if (strcmp(hnames[pos], want) == 0)
                    break;
            if (pos == r->file_cols) {
                char list[512];
                size_t l = 0;
                list[0] = 0;
                for (size_t k = 0; k < r->file_cols && l + 1 < sizeof list;
                     k++) {
                    int w = snprintf(list + l, sizeof list - l, "%s%s",
                                     k ? ", " : "", hnames[k]);
                    if (w < 0)
                        break;
                    l += (size_t)w;
                }
                if (l >= sizeof list)
                    strcpy(list + sizeof list - 4, "...");
                return SS_FAIL(SS_ERR_NAME,
                               "%s:%zu: no column '%s' in the header "
                               "(columns: %s)",
                               r->path, r->lineno, want, list);
            }
        } else if (sel && sel->nindex) {
            size_t k = sel->index[j];
            if (k < 1 || k > r->file_cols)
                return SS_FAIL(SS_ERR_RANGE,
                               "%s:%zu: no column %zu: the file has %zu "
                               "column%s (cols= counts from 1)",
                               r->path, r->lineno, k, r->file_cols,
                               r->file_cols == 1 ? "" : "s");
            pos = k - 1;
        }
        for (size_t i = 0; i < j; i++)
            if (r->keep[i] == pos)
                return SS_FAIL(SS_ERR_USAGE,
                               "%s: column %zu (%s) is chosen twice in cols=",
                               r->path, pos + 1,
                               r->header ? hnames[pos] : "no header");
        r->keep[j] = pos;
        if (r->header) {
            r->names[j] = strdup(hnames[pos]);
        } else {
            char buf[32];
            snprintf(buf, sizeof buf, "c%zu", pos + 1);
            r->names[j] = strdup(buf);
        }
        if (!r->names[j])
            return nomem();
    }
    return SS_OK;
}

/* strtod in the C locale whatever the user's (thread-local switch). */
typedef struct {
    locale_t c, old;
} c_numeric;

static void c_numeric_enter(c_numeric *cn)
{
    cn->c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    cn->old = cn->c ? uselocale(cn->c) : (locale_t)0;
}

static void c_numeric_leave(c_numeric *cn)
{
    if (cn->c) {
        uselocale(cn->old);
        freelocale(cn->c);
    }
}

static ss_status open_table(csv_reader *r, const csv_select *sel)
{
    size_t len;
    int got;
    while ((got = next_line(r, &len)) == 1 && skip_line(r->line))
        ;
    if (got < 0)
        return ss_last_error()->code;
    if (got == 0)
        return SS_FAIL(SS_ERR_USAGE,
                       "%s: no data: the file is empty%s", r->path,
                       r->lineno ? " (only blank or comment lines)" : "");
    r->first = r->lineno;
    r->sep = detect_sep(r->line);
    size_t nf;
    if (split(r, len, NULL, 0, &nf) < 0)
        return ss_last_error()->code;
    r->file_cols = nf;
    r->sp = calloc(nf + 1, sizeof *r->sp);
    if (!r->sp)
        return nomem();
    split(r, len, r->sp, nf + 1, &nf);
    /* a header when a field is text: not empty and not a number (an
     * empty field in a row of numbers is a missing value, refused below) */
    r->header = 0;
    for (size_t k = 0; k < nf && !r->header; k++) {
        double x;
        char *t = field_text(r, &r->sp[k]);
        if (!t)
            return nomem();
        if (*t && !field_number(r, &r->sp[k], &x))
            r->header = 1;
        free(t);
    }
    char **hn = NULL;
    if (r->header) {
        hn = calloc(nf, sizeof *hn);
        if (!hn)
            return nomem();
        for (size_t k = 0; k < nf; k++)
            if (!(hn[k] = field_text(r, &r->sp[k]))) {
                csv_names_free(hn, nf);
                return nomem();
            }
    }
    ss_status rc = select_cols(r, sel, hn);
    csv_names_free(hn, nf);
    if (rc != SS_OK)
        return rc;
    r->pending = !r->header;
    return SS_OK;
}

ss_status csv_reader_open(const char *path, const csv_select *sel,
                          csv_reader **out)
{
    *out = NULL;
    csv_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return nomem();
    }
    r->max_values = sel ? sel->max_values : 0;
    r->f = fopen(path, "r");
    if (!r->f) {
        int e = errno;
        csv_reader_free(r);
        return SS_FAIL(SS_ERR_IO, "cannot open %s: %s", path, strerror(e));
    }
    struct stat sb;
    if (fstat(fileno(r->f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        csv_reader_free(r);
        return SS_FAIL(SS_ERR_IO, "cannot read %s: it is a directory", path);
    }
    if (fstat(fileno(r->f), &sb) == 0 && S_ISREG(sb.st_mode))
        r->size = (uint64_t)sb.st_size;
    c_numeric cn;
    c_numeric_enter(&cn);
    ss_status rc = open_table(r, sel);
    c_numeric_leave(&cn);
    if (rc != SS_OK) {
        csv_reader_free(r);
        return rc;
    }
    *out = r;
    return SS_OK;
}

/* ---- the iteration -------------------------------------------------- */

static ss_status reader_iterate(void *state)
{
    csv_reader *r = state;
    c_numeric cn;
    c_numeric_enter(&cn);
    ss_status rc = SS_OK;
    size_t nf;
    if (r->pending) {
        r->pending = 0;
        split(r, strlen(r->line), r->sp, r->file_cols + 1, &nf);
        rc = store_row(r, nf);
    }
    for (size_t i = 0; rc == SS_OK && i < CSV_STEP_LINES && !r->eof; i++) {
        size_t len;
        int got = next_line(r, &len);
        if (got < 0)
            rc = ss_last_error()->code;
        else if (got == 0 || skip_line(r->line))
            continue;
        else if (split(r, len, r->sp, r->file_cols + 1, &nf) < 0)
            rc = ss_last_error()->code;
        else
            rc = store_row(r, nf);
    }
    c_numeric_leave(&cn);
    return rc;
}

static int reader_test(const void *state)
{
    const csv_reader *r = state;
    return r->eof && !r->pending;
}

static void reader_progress(const void *state, size_t *done, size_t *total)
{
    const csv_reader *r = state;
    *done = (size_t)r->bytes;
    *total = (size_t)(r->size > r->bytes ? r->size : r->bytes);
}

const ss_iter_type csv_reader_iter = {
    .name = "load",
    .iterate = reader_iterate,
    .test = reader_test,
    .progress = reader_progress,
};

ss_status csv_reader_take(csv_reader *r, gsl_matrix **X)
{
    *X = NULL;
    if (r->rows == 0)
        return SS_FAIL(SS_ERR_USAGE, "%s:%zu: a header but no data rows",
                       r->path, r->first);
    /* the buffer becomes the matrix's block: no copy */
    double *v = realloc(r->v, r->rows * r->ncols * sizeof *v);
    if (v)
        r->v = v;
    gsl_block *b = malloc(sizeof *b);
    gsl_matrix *m = malloc(sizeof *m);
    if (!b || !m) {
        free(b), free(m);
        return nomem();
    }
    b->size = r->rows * r->ncols;
    b->data = r->v;
    m->size1 = r->rows;
    m->size2 = r->ncols;
    m->tda = r->ncols;
    m->data = r->v;
    m->block = b;
    m->owner = 1;
    r->v = NULL;
    r->vcap = 0;
    r->rows = 0;
    *X = m;
    return SS_OK;
}

size_t csv_reader_ncols(const csv_reader *r) { return r->ncols; }

const char *csv_reader_colname(const csv_reader *r, size_t j)
{
    return j < r->ncols ? r->names[j] : NULL;
}

int csv_reader_has_header(const csv_reader *r) { return r->header; }

char csv_reader_separator(const csv_reader *r) { return r->sep; }

size_t csv_reader_lines(const csv_reader *r) { return r->lineno; }

ss_status csv_read_file(const char *path, const csv_select *sel,
                        gsl_matrix **X, char ***names)
{
    *X = NULL;
    if (names)
        *names = NULL;
    csv_reader *r;
    ss_status rc = csv_reader_open(path, sel, &r);
    while (rc == SS_OK && !reader_test(r))
        rc = reader_iterate(r);
    if (rc == SS_OK)
        rc = csv_reader_take(r, X);
    if (rc == SS_OK && names) {
        *names = r->names;
        r->names = NULL;
    }
    csv_reader_free(r);
    return rc;
}
