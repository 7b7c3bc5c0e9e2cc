#include "tui/text.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

void tui_text_init(tui_text *t, size_t max, int sticky)
{
    memset(t, 0, sizeof *t);
    t->max = max ? max : 10000;
    t->follow = t->sticky = sticky;
}

void tui_text_clear(tui_text *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].s);
    t->n = 0;
    t->partial = 0;
    t->total = 0;
    t->top = 0;
}

void tui_text_free(tui_text *t)
{
    tui_text_clear(t);
    free(t->v);
    t->v = NULL;
    t->cap = 0;
}

size_t tui_text_fit(const char *s, int width, int *cols)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t pos = 0;
    int used = 0;
    while (s[pos]) {
        wchar_t wc;
        size_t k = mbrtowc(&wc, s + pos, strlen(s + pos), &st);
        int w = 1;
        if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
            k = 1; /* sanitised on input; be safe anyway */
            memset(&st, 0, sizeof st);
        } else {
            w = wcwidth(wc);
            if (w < 0)
                w = 1;
        }
        if (used + w > width && pos > 0)
            break;
        used += w;
        pos += k;
        if (used >= width)
            break;
    }
    if (cols)
        *cols = used;
    return pos;
}

int tui_text_width(const char *s)
{
    int cols;
    tui_text_fit(s, 1 << 30, &cols);
    return cols;
}

/* Columns of the line's leading blanks. */
static int lead_cols(const char *s)
{
    int n = 0;
    while (s[n] == ' ')
        n++;
    return n;
}

int tui_text_hang(const char *s, int width)
{
    /* Prose (unindented) continues at the left edge; an indented line
     * (a table row, an example) continues under its own indentation and
     * two further columns, so it stays in its column and reads as one
     * line. Never more than half the width. */
    int lead = lead_cols(s);
    int ind = lead ? lead + 2 : 0;
    if (ind > width / 2)
        ind = width / 2;
    return ind > 0 ? ind : 0;
}

int tui_text_row(const char *s, int width, size_t *pos, tui_row *row)
{
    size_t p = *pos;
    if (p == (size_t)-1 || (p > 0 && !s[p]))
        return 0; /* no more rows */
    if (!s[0]) { /* an empty line is one empty row */
        row->start = row->len = 0;
        row->indent = 0;
        *pos = (size_t)-1;
        return 1;
    }
    int indent = p > 0 ? tui_text_hang(s, width) : 0;
    int avail = width - indent;
    if (avail < 1)
        avail = 1;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t q = p, brk = 0, after = 0;
    int used = 0, seen_word = 0;
    while (s[q]) {
        if (s[q] == ' ') {
            /* A break opportunity once a word is on the row: end the row
             * before the blanks, start the next after them. */
            size_t b = q;
            while (s[q] == ' ')
                q++;
            if (seen_word) {
                brk = b;
                after = q;
            }
            used += (int)(q - b);
            if (used > avail) { /* the blanks run past the edge */
                if (seen_word) {
                    row->start = p;
                    row->len = b - p;
                    row->indent = indent;
                    *pos = q;
                    return 1;
                }
                /* leading blanks alone wider than the row: cut them */
                q = b + (size_t)(avail - (used - (int)(q - b)));
                if (q <= p)
                    q = p + 1;
                row->start = p;
                row->len = q - p;
                row->indent = indent;
                *pos = q;
                return 1;
            }
            continue;
        }
        wchar_t wc;
        size_t lim = 0;
        while (lim < MB_LEN_MAX && s[q + lim])
            lim++;
        size_t k = mbrtowc(&wc, s + q, lim, &st);
        int w = 1;
        if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
            k = 1;
            memset(&st, 0, sizeof st);
        } else {
            w = wcwidth(wc);
            if (w < 0)
                w = 1;
        }
        if (used + w > avail && q > p) {
            row->start = p;
            row->indent = indent;
            if (brk > p) { /* at the last blank */
                row->len = brk - p;
                *pos = after;
            } else { /* a word longer than the row: cut it */
                row->len = q - p;
                *pos = q;
            }
            return 1;
        }
        used += w;
        q += k;
        seen_word = 1;
    }
    /* the rest fits; trailing blanks are not a row of their own */
    row->start = p;
    row->len = q - p;
    row->indent = indent;
    *pos = q;
    return 1;
}

static int count_rows(const char *s, int width)
{
    if (width <= 0)
        return 1;
    int rows = 0;
    size_t pos = 0;
    tui_row r;
    while (tui_text_row(s, width, &pos, &r))
        rows++;
    return rows;
}

void tui_text_set_width(tui_text *t, int width)
{
    if (width == t->width)
        return;
    /* Keep the same text at the top of the view when not following. */
    size_t first = 0;
    long acc = 0;
    while (first < t->n && acc + t->v[first].rows <= t->top) {
        acc += t->v[first].rows;
        first++;
    }
    t->width = width;
    t->total = 0;
    t->top = 0;
    for (size_t i = 0; i < t->n; i++) {
        t->v[i].rows = count_rows(t->v[i].s, width);
        if (i < first)
            t->top += t->v[i].rows;
        t->total += t->v[i].rows;
    }
}

/* Copy text, dropping control characters and escape sequences and
 * replacing invalid UTF-8 with '?'. Tabs become spaces. */
static char *clean(const char *s, size_t len)
{
    char *o = malloc(len * 4 + 1);
    if (!o)
        return NULL;
    size_t n = 0;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0x1b) { /* ESC [ ... final byte, or ESC + one char */
            i++;
            if (i < len && s[i] == '[') {
                i++;
                while (i < len && !((unsigned char)s[i] >= 0x40 &&
                                    (unsigned char)s[i] <= 0x7e))
                    i++;
            }
            i++;
            continue;
        }
        if (c == '\t') {
            memcpy(o + n, "    ", 4);
            n += 4;
            i++;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            i++;
            continue;
        }
        if (c < 0x80) {
            o[n++] = (char)c;
            i++;
            continue;
        }
        wchar_t wc;
        size_t k = mbrtowc(&wc, s + i, len - i, &st);
        if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
            o[n++] = '?';
            i++;
            memset(&st, 0, sizeof st);
            continue;
        }
        memcpy(o + n, s + i, k);
        n += k;
        i += k;
    }
    o[n] = 0;
    return o;
}

static void drop_oldest(tui_text *t)
{
    size_t drop = t->max / 10 + 1;
    if (drop > t->n)
        drop = t->n;
    long rows = 0;
    for (size_t i = 0; i < drop; i++) {
        rows += t->v[i].rows;
        free(t->v[i].s);
    }
    memmove(t->v, t->v + drop, (t->n - drop) * sizeof *t->v);
    t->n -= drop;
    t->total -= rows;
    t->top = t->top > rows ? t->top - rows : 0;
}

/* Append one piece of a line (no newline inside). */
static void add_piece(tui_text *t, const char *s, size_t len, int style,
                      int ends)
{
    char *c = clean(s, len);
    if (!c)
        return;
    if (t->partial && t->n && t->v[t->n - 1].style != style)
        t->partial = 0; /* another stream: start a new line */
    if (t->partial && t->n) {
        tui_line *l = &t->v[t->n - 1];
        size_t a = strlen(l->s), b = strlen(c);
        char *j = realloc(l->s, a + b + 1);
        if (!j) {
            free(c);
            return;
        }
        memcpy(j + a, c, b + 1);
        free(c);
        l->s = j;
        t->total -= l->rows;
        l->rows = count_rows(l->s, t->width);
        t->total += l->rows;
    } else {
        if (t->n >= t->max)
            drop_oldest(t);
        if (t->n == t->cap) {
            size_t nc = t->cap ? 2 * t->cap : 64;
            tui_line *nv = realloc(t->v, nc * sizeof *nv);
            if (!nv) {
                free(c);
                return;
            }
            t->v = nv;
            t->cap = nc;
        }
        tui_line *l = &t->v[t->n++];
        t->serial++;
        l->s = c;
        l->style = (unsigned char)style;
        l->rows = count_rows(c, t->width);
        t->total += l->rows;
    }
    t->partial = !ends;
}

void tui_text_append(tui_text *t, const char *s, size_t len, int style)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t k = nl ? (size_t)(nl - (s + i)) : len - i;
        add_piece(t, s + i, k, style, nl != NULL);
        i += k + (nl != NULL);
    }
}

long tui_text_first_row(tui_text *t, int height)
{
    long maxtop = t->total - height;
    if (maxtop < 0)
        maxtop = 0;
    if (t->follow || t->top > maxtop)
        t->top = maxtop;
    if (t->top < 0)
        t->top = 0;
    return t->top;
}

int tui_text_scroll(tui_text *t, long delta, int height)
{
    long old = tui_text_first_row(t, height);
    long maxtop = t->total - height;
    if (maxtop < 0)
        maxtop = 0;
    long top = old + delta;
    if (top < 0)
        top = 0;
    if (top > maxtop)
        top = maxtop;
    t->top = top;
    /* The log sticks to the end again once scrolled back down to it. */
    t->follow = t->sticky && top == maxtop;
    return top != old;
}
