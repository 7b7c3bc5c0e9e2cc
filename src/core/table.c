#include "core/table.h"
#include "core/interrupt.h"
#include "core/tblstream.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *text;
    int numeric;
    double num;
} cell;

struct tbl {
    size_t ncols, nrows, cap;
    char **head;
    cell *cells; /* nrows * ncols */
};

tbl *tbl_alloc(size_t ncols)
{
    tbl *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    t->head = calloc(ncols, sizeof *t->head);
    if (!t->head) {
        free(t);
        return NULL;
    }
    return t;
}

void tbl_free(tbl *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ncols; i++)
        free(t->head[i]);
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i].text);
    free(t->head);
    free(t->cells);
    free(t);
}

void tbl_header(tbl *t, size_t col, const char *name)
{
    if (col >= t->ncols)
        return;
    free(t->head[col]);
    t->head[col] = strdup(name);
}

void tbl_row(tbl *t)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 8;
        cell *nc = realloc(t->cells, cap * t->ncols * sizeof *nc);
        if (!nc)
            return;
        t->cells = nc;
        t->cap = cap;
    }
    memset(t->cells + t->nrows * t->ncols, 0, t->ncols * sizeof(cell));
    t->nrows++;
}

static cell *cur(tbl *t, size_t col)
{
    if (t->nrows == 0 || col >= t->ncols)
        return NULL;
    return &t->cells[(t->nrows - 1) * t->ncols + col];
}

void tbl_str(tbl *t, size_t col, const char *s)
{
    cell *c = cur(t, col);
    if (!c)
        return;
    free(c->text);
    c->text = strdup(s ? s : "");
    c->numeric = 0;
}

/* The significant digits of a formatted number, leading zeros dropped. */
static void digits_of(const char *s, char *d, size_t n)
{
    size_t k = 0;
    for (; *s && *s != 'e' && k + 1 < n; s++)
        if (*s >= '0' && *s <= '9' && (k > 0 || *s != '0'))
            d[k++] = *s;
    d[k] = 0;
}

/* Whether "%.*g" with p digits reads back as v. */
static int round_trips(double v, int p, char *a, size_t n)
{
    snprintf(a, n, "%.*g", p, v);
    return strtod(a, NULL) == v;
}

/* Fewest significant digits that read back as the same double; whole
 * numbers below 1e17 in plain notation ("10", not "1e+01") when that adds
 * only zeros. Round-tripping is monotone in the digit count (the p-digit
 * decimal is also a (p+1)-digit one, so the nearest (p+1)-digit decimal is
 * no farther from v), so the fewest digits are found by bisection. */
static void csv_number(char *buf, size_t n, double v)
{
    char a[40], b[40];
    int lo = 1, hi = 17; /* 17 digits always read back */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (round_trips(v, mid, a, sizeof a))
            hi = mid;
        else
            lo = mid + 1;
    }
    int p = lo;
    snprintf(a, sizeof a, "%.*g", p, v);
    snprintf(buf, n, "%s", a);
    /* Only a nonzero finite v in exponent form can be rewritten; the
     * decimal exponent is read from the text, never from log10(0) = -inf
     * (converting that to int is undefined behaviour). */
    const char *ep = strchr(a, 'e');
    if (!ep || v == 0.0 || !isfinite(v))
        return;
    int e = atoi(ep + 1);
    if (e < p || e >= 17)
        return;
    snprintf(b, sizeof b, "%.*g", e + 1, v);
    char da[40], db[40];
    digits_of(a, da, sizeof da);
    digits_of(b, db, sizeof db);
    size_t la = strlen(da);
    if (strncmp(da, db, la) == 0 && strspn(db + la, "0") == strlen(db + la))
        snprintf(buf, n, "%s", b);
}

void tbl_format_num(char *buf, size_t n, double v, int csv)
{
    if (isnan(v)) /* "not available": an empty CSV field, "n/a" in text */
        snprintf(buf, n, "%s", csv ? "" : "n/a");
    else if (isinf(v))
        snprintf(buf, n, v > 0 ? "inf" : "-inf");
    else if (!csv)
        snprintf(buf, n, "%.12g", v == 0.0 ? 0.0 : v);
    else
        csv_number(buf, n, v == 0.0 ? 0.0 : v);
}

void tbl_num(tbl *t, size_t col, double v)
{
    cell *c = cur(t, col);
    if (!c)
        return;
    free(c->text);
    c->text = NULL;
    c->numeric = 1;
    c->num = v;
}

size_t tbl_rows(const tbl *t) { return t->nrows; }

/* A cell's text: its string, or its number formatted into numbuf. */
static const char *cell_text(const cell *c, int csv, char *numbuf, size_t n)
{
    if (c->numeric) {
        tbl_format_num(numbuf, n, c->num, csv);
        return numbuf;
    }
    return c->text ? c->text : "";
}

void tbl_csv_field(const ss_sink *out, const char *s)
{
    if (strpbrk(s, ",\"\n\r") == NULL) {
        ss_sink_puts(out, s);
        return;
    }
    ss_sink_puts(out, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            ss_sink_puts(out, "\"\"");
        else
            out->write(out->ctx, p, 1);
    }
    ss_sink_puts(out, "\"");
}

size_t tbl_text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

/* Whether cells j.. of a text row are all empty strings. */
static int rest_empty(const tbl *t, int header, size_t row, size_t j)
{
    for (size_t k = j; k < t->ncols; k++) {
        if (header) {
            if (t->head[k] && *t->head[k])
                return 0;
            continue;
        }
        const cell *c = &t->cells[row * t->ncols + k];
        if (c->numeric || (c->text && *c->text))
            return 0;
    }
    return 1;
}

void tbl_print(const tbl *t, const ss_sink *out, int csv, int indent)
{
    char buf[64];
    int has_head = 0;
    for (size_t j = 0; j < t->ncols; j++)
        if (t->head[j])
            has_head = 1;
    if (csv) {
        if (has_head) {
            for (size_t j = 0; j < t->ncols; j++) {
                if (j)
                    ss_sink_puts(out, ",");
                tbl_csv_field(out, t->head[j] ? t->head[j] : "");
            }
            ss_sink_puts(out, "\n");
        }
        for (size_t i = 0; i < t->nrows; i++) {
            for (size_t j = 0; j < t->ncols; j++) {
                if (j)
                    ss_sink_puts(out, ",");
                tbl_csv_field(out, cell_text(&t->cells[i * t->ncols + j], 1, buf,
                                         sizeof buf));
            }
            ss_sink_puts(out, "\n");
        }
        return;
    }
    size_t *w = calloc(t->ncols, sizeof *w);
    int *numcol = calloc(t->ncols, sizeof *numcol);
    if (!w || !numcol) {
        free(w);
        free(numcol);
        return;
    }
    for (size_t j = 0; j < t->ncols; j++) {
        if (t->head[j])
            w[j] = tbl_text_width(t->head[j]);
        for (size_t i = 0; i < t->nrows; i++) {
            const cell *c = &t->cells[i * t->ncols + j];
            size_t l = tbl_text_width(cell_text(c, 0, buf, sizeof buf));
            if (l > w[j])
                w[j] = l;
            if (c->numeric)
                numcol[j] = 1;
        }
    }
    for (size_t i = 0; i < t->nrows + (size_t)has_head; i++) {
        ss_sink_printf(out, "%*s", indent, "");
        int header = has_head && i == 0;
        size_t row = i - (size_t)has_head;
        for (size_t j = 0; j < t->ncols; j++) {
            const char *s;
            if (header)
                s = t->head[j] ? t->head[j] : "";
            else
                s = cell_text(&t->cells[row * t->ncols + j], 0, buf,
                              sizeof buf);
            if (!*s && rest_empty(t, header, row, j))
                break; /* no trailing blanks */
            size_t pad = w[j] - tbl_text_width(s);
            int last = j + 1 == t->ncols;
            if (j)
                ss_sink_puts(out, "  ");
            if (numcol[j]) {
                ss_sink_printf(out, "%*s%s", (int)pad, "", s);
            } else {
                ss_sink_puts(out, s);
                if (!last)
                    ss_sink_printf(out, "%*s", (int)pad, "");
            }
        }
        ss_sink_puts(out, "\n");
    }
    free(w);
    free(numcol);
}

int tbl_print_numeric(const ss_sink *out, const char *const *head,
                      size_t ncols, size_t nrows, tbl_row_fn row, void *ctx,
                      int csv, int indent)
{
    tbl_stream *t =
        tbl_stream_alloc(out, head, ncols, nrows, row, ctx, csv, indent);
    if (!t)
        return 0;
    int stopped = 0;
    while (!tbl_stream_type.test(t)) {
        if (ss_interrupted()) {
            stopped = 1;
            break;
        }
        tbl_stream_type.iterate(t);
    }
    tbl_stream_free(t);
    return stopped;
}

void tbl_field(tbl *t, const char *name, double v)
{
    tbl_row(t);
    tbl_str(t, 0, name);
    tbl_num(t, 1, v);
}
