#include "core/tblstream.h"
#include "core/table.h"

#include <stdlib.h>
#include <string.h>

struct tbl_stream {
    ss_sink out;
    const char *const *head;
    size_t ncols, nrows;
    tbl_row_fn row;
    void *ctx;
    int csv, indent, has_head;
    int pass;    /* text: 0 the widths, 1 the lines; csv: 1 only */
    size_t next; /* next row of the current pass */
    int head_done;
    double *v;
    size_t *w;
};


tbl_stream *tbl_stream_alloc(const ss_sink *out, const char *const *head,
                             size_t ncols, size_t nrows, tbl_row_fn row,
                             void *ctx, int csv, int indent)
{
    tbl_stream *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->v = calloc(ncols ? ncols : 1, sizeof *t->v);
    t->w = calloc(ncols ? ncols : 1, sizeof *t->w);
    if (!t->v || !t->w) {
        tbl_stream_free(t);
        return NULL;
    }
    t->out = *out;
    t->head = head;
    t->ncols = ncols;
    t->nrows = nrows;
    t->row = row;
    t->ctx = ctx;
    t->csv = csv;
    t->indent = indent;
    for (size_t j = 0; head && j < ncols; j++)
        if (head[j])
            t->has_head = 1;
    t->pass = csv ? 1 : 0;
    for (size_t j = 0; !csv && t->has_head && j < ncols; j++)
        t->w[j] = head[j] ? tbl_text_width(head[j]) : 0;
    return t;
}

void tbl_stream_free(tbl_stream *t)
{
    if (!t)
        return;
    free(t->v);
    free(t->w);
    free(t);
}

static void csv_head(tbl_stream *t)
{
    for (size_t j = 0; j < t->ncols; j++) {
        if (j)
            ss_sink_puts(&t->out, ",");
        tbl_csv_field(&t->out, t->head[j] ? t->head[j] : "");
    }
    ss_sink_puts(&t->out, "\n");
}

/* One aligned text line: the header (v unused) or a row of numbers. */
static void text_line(tbl_stream *t, int header)
{
    char buf[64];
    ss_sink_printf(&t->out, "%*s", t->indent, "");
    for (size_t j = 0; j < t->ncols; j++) {
        const char *s = buf;
        if (header) {
            s = t->head[j] ? t->head[j] : "";
            size_t k = j;
            while (k < t->ncols && !(t->head[k] && *t->head[k]))
                k++;
            if (k == t->ncols)
                break; /* no trailing blanks */
        } else {
            tbl_format_num(buf, sizeof buf, t->v[j], 0);
        }
        if (j)
            ss_sink_puts(&t->out, "  ");
        ss_sink_printf(&t->out, "%*s%s", (int)(t->w[j] - tbl_text_width(s)), "",
                       s);
    }
    ss_sink_puts(&t->out, "\n");
}

static ss_status stream_iterate(void *state)
{
    tbl_stream *t = state;
    char buf[64];
    size_t end = t->next + TBL_STREAM_STEP;
    if (end > t->nrows)
        end = t->nrows;
    if (t->pass == 0) { /* widths: every column holds numbers */
        for (size_t i = t->next; i < end; i++) {
            t->row(t->ctx, i, t->v);
            for (size_t j = 0; j < t->ncols; j++) {
                tbl_format_num(buf, sizeof buf, t->v[j], 0);
                size_t l = strlen(buf);
                if (l > t->w[j])
                    t->w[j] = l;
            }
        }
        t->next = end;
        if (t->next == t->nrows) {
            t->pass = 1;
            t->next = 0;
        }
        return SS_OK;
    }
    if (!t->head_done) {
        if (t->has_head)
            t->csv ? csv_head(t) : text_line(t, 1);
        t->head_done = 1;
    }
    for (size_t i = t->next; i < end; i++) {
        t->row(t->ctx, i, t->v);
        if (!t->csv) {
            text_line(t, 0);
            continue;
        }
        for (size_t j = 0; j < t->ncols; j++) {
            if (j)
                ss_sink_puts(&t->out, ",");
            tbl_format_num(buf, sizeof buf, t->v[j], 1);
            ss_sink_puts(&t->out, buf);
        }
        ss_sink_puts(&t->out, "\n");
    }
    t->next = end;
    return SS_OK;
}

static int stream_test(const void *state)
{
    const tbl_stream *t = state;
    return t->pass == 1 && t->head_done && t->next == t->nrows;
}

static void stream_progress(const void *state, size_t *done, size_t *total)
{
    const tbl_stream *t = state;
    size_t passes = t->csv ? 1 : 2;
    *total = t->nrows * passes;
    *done = t->csv || t->pass == 0 ? t->next : t->nrows + t->next;
}

const ss_iter_type tbl_stream_type = {
    .name = "export",
    .iterate = stream_iterate,
    .test = stream_test,
    .progress = stream_progress,
};
