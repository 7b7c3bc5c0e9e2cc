#include "tui/layout.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAYOUT_HELP "use N (1-4), CxR such as 2x2, or rows such as 1+2"

static int fail(char *err, size_t errlen, const char *spec, const char *why)
{
    snprintf(err, errlen, "unknown layout '%s': %s", spec, why);
    return -1;
}

/* A whole number 1..9 at *p; advances p. */
static int digit(const char **p)
{
    if (!isdigit((unsigned char)**p) || **p == '0')
        return -1;
    int v = **p - '0';
    (*p)++;
    if (isdigit((unsigned char)**p))
        return -1;
    return v;
}

int tui_layout_parse(const char *spec, tui_layout *out, char *err,
                     size_t errlen)
{
    tui_layout l;
    memset(&l, 0, sizeof l);
    const char *p = spec;
    int a = digit(&p);
    if (a < 0)
        return fail(err, errlen, spec, LAYOUT_HELP);
    if (*p == 'x') { /* columns x rows */
        p++;
        int r = digit(&p);
        if (r < 0 || r > TUI_MAX_ROWS || a * r > TUI_MAX_SLOTS)
            return fail(err, errlen, spec,
                        "grids go up to 4 rows and 9 panes in all");
        l.nrows = r;
        for (int i = 0; i < r; i++) {
            l.cols[i] = a;
            l.weight[i] = 1;
        }
    } else {
        l.nrows = 1;
        l.cols[0] = a;
        while (*p == '+') {
            p++;
            int b = digit(&p);
            if (b < 0 || l.nrows == TUI_MAX_ROWS)
                return fail(err, errlen, spec, LAYOUT_HELP);
            l.cols[l.nrows++] = b;
        }
        if (l.nrows == 1 && a > 4)
            return fail(err, errlen, spec, "at most 4 panes side by side");
        for (int i = 0; i < l.nrows; i++)
            l.weight[i] = 2;
        /* "1+2": a single pane on top is the one to look at: make it
         * taller than the rows below. */
        if (l.nrows > 1 && l.cols[0] == 1)
            l.weight[0] = 3;
    }
    for (int i = 0; i < l.nrows; i++)
        l.nslots += l.cols[i];
    if (l.nslots > TUI_MAX_SLOTS)
        return fail(err, errlen, spec, "at most 9 panes");
    if (*p == ':') { /* explicit pane numbers */
        p++;
        for (int i = 0; i < l.nslots; i++) {
            int n = digit(&p);
            if (n < 0)
                return fail(err, errlen, spec,
                            "after ':' name one pane number (1-9) per slot");
            for (int j = 0; j < i; j++)
                if (l.panes[j] == n)
                    return fail(err, errlen, spec, "a pane is named twice");
            l.panes[i] = n;
            if (i + 1 < l.nslots && *p++ != ',')
                return fail(err, errlen, spec,
                            "after ':' name one pane number (1-9) per slot");
        }
    }
    if (*p)
        return fail(err, errlen, spec, LAYOUT_HELP);
    snprintf(l.spec, sizeof l.spec, "%s", spec);
    *out = l;
    return 0;
}

/* Split n cells into k parts by weights, exactly. */
static void split(int n, int k, const int *w, int *start, int *len)
{
    int tot = 0, acc = 0, pos = 0;
    for (int i = 0; i < k; i++)
        tot += w ? w[i] : 1;
    for (int i = 0; i < k; i++) {
        acc += w ? w[i] : 1;
        int end = (int)((long)n * acc / tot);
        start[i] = pos;
        len[i] = end - pos;
        pos = end;
    }
}

void tui_layout_rects(const tui_layout *l, tui_rect area, tui_rect *slots)
{
    int ry[TUI_MAX_ROWS], rh[TUI_MAX_ROWS];
    split(area.h, l->nrows, l->weight, ry, rh);
    int s = 0;
    for (int r = 0; r < l->nrows; r++) {
        int cx[TUI_MAX_SLOTS], cw[TUI_MAX_SLOTS];
        split(area.w, l->cols[r], NULL, cx, cw);
        for (int c = 0; c < l->cols[r]; c++, s++) {
            slots[s].x = area.x + cx[c];
            slots[s].y = area.y + ry[r];
            slots[s].w = cw[c];
            slots[s].h = rh[r];
        }
    }
}
