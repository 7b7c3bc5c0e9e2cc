#include "tui/draw.h"

#include "plot/palette.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>

/* Colour pairs: 1..STY_COUNT canvas styles, then the chrome; heat cells
 * (a palette's level colours, the floor colour, the singular set over a
 * heat cell) take pairs from ncurses' alloc_pair as they are drawn. The
 * colours themselves are in src/plot/palette.c, shared with the line
 * REPL's coloured text. */
#define PAIR_STYLE(s) ((short)(1 + (s)))
#define PAIR_CHROME(c) ((short)(1 + STY_COUNT + (c)))
#define PAIR_FIRST_FREE (1 + STY_COUNT + TUI_C_COUNT)

static int depth;       /* 256, 8, 0 */
static int nheat;       /* distinct heat colours in use */
static short def_fg = -1, def_bg = -1;
static attr_t style_attr[STY_COUNT];
static attr_t chrome_attr[TUI_C_COUNT];

int tui_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

static void mono(void)
{
    memset(style_attr, 0, sizeof style_attr);
    style_attr[STY_TITLE] = A_BOLD;
    style_attr[STY_SINGULAR] = A_BOLD;
    style_attr[STY_HIGHLIGHT] = A_BOLD | A_REVERSE;
    memset(chrome_attr, 0, sizeof chrome_attr);
    chrome_attr[TUI_C_FOCUS] = A_BOLD;
    chrome_attr[TUI_C_TITLE] = A_BOLD;
    chrome_attr[TUI_C_STATUS] = A_REVERSE;
    chrome_attr[TUI_C_PROGRESS] = A_REVERSE | A_BOLD;
    chrome_attr[TUI_C_ERROR] = A_BOLD;
    chrome_attr[TUI_C_ECHO] = A_BOLD;
}

int tui_palette_init(void)
{
    const char *nc = getenv("NO_COLOR");
    depth = 0;
    nheat = 0;
    mono();
    if ((nc && *nc) || !has_colors() || start_color() != OK)
        return depth;
    short fg = -1, bg = -1;
    if (use_default_colors() != OK) {
        fg = COLOR_WHITE;
        bg = COLOR_BLACK;
    }
    def_fg = fg;
    def_bg = bg;
    depth = COLORS >= 256 ? 256 : COLORS >= 8 ? 8 : 0;
    if (!depth)
        return depth;
    int big = depth == 256;
    short sty[STY_COUNT];
    for (int i = 0; i < STY_COUNT; i++)
        sty[i] = fg;
    for (int i = 1; i < STY_COUNT; i++) {
        int col = palette_style(i, depth);
        sty[i] = col < 0 ? fg : (short)col;
    }
    (void)big;
    for (int i = 1; i < STY_COUNT; i++)
        if (sty[i] != fg && init_pair(PAIR_STYLE(i), sty[i], bg) == OK)
            style_attr[i] |= (attr_t)COLOR_PAIR(PAIR_STYLE(i));
    style_attr[STY_HIGHLIGHT] &= ~(attr_t)A_REVERSE; /* colour is enough */
    short chr[TUI_C_COUNT];
    for (int i = 0; i < TUI_C_COUNT; i++)
        chr[i] = -2; /* no colour */
    chr[TUI_C_BORDER] = big ? 240 : -2;
    chr[TUI_C_FOCUS] = big ? 39 : COLOR_CYAN;
    chr[TUI_C_ERROR] = big ? 203 : COLOR_RED;
    chr[TUI_C_NOTE] = big ? 179 : COLOR_YELLOW;
    for (int i = 0; i < TUI_C_COUNT; i++)
        if (chr[i] != -2 && init_pair(PAIR_CHROME(i), chr[i], bg) == OK)
            chrome_attr[i] |= (attr_t)COLOR_PAIR(PAIR_CHROME(i));
    if (init_pair(PAIR_CHROME(TUI_C_PROGRESS), big ? 16 : COLOR_BLACK,
                  big ? 179 : COLOR_YELLOW) == OK)
        chrome_attr[TUI_C_PROGRESS] =
            (attr_t)COLOR_PAIR(PAIR_CHROME(TUI_C_PROGRESS)) | A_BOLD;

    /* Heat cells need a pair per (foreground, background) colour in use:
     * enough pairs left for one palette's levels crossed with itself. */
    nheat = COLOR_PAIRS - PAIR_FIRST_FREE >= 17 * 17 ? (big ? 16 : 5) : 0;
    return depth;
}

int tui_palette_depth(void) { return depth; }
int tui_palette_heat_levels(void) { return nheat; }

void tui_chrome_attr(tui_chrome c, attr_t *a, short *pair)
{
    *a = chrome_attr[c] & ~A_COLOR;
    *pair = (short)PAIR_NUMBER(chrome_attr[c]);
}

void tui_chrome_set(WINDOW *w, tui_chrome c)
{
    wattrset(w, (int)chrome_attr[c]);
}

/* A pair for a foreground and background colour (-1: the defaults). */
static short pair_of(int fg, int bg)
{
    int p = alloc_pair(fg < 0 ? def_fg : fg, bg < 0 ? def_bg : bg);
    return p > 0 ? (short)p : 0;
}

static int heat_colour(const canvas *c, int level)
{
    return level == CANVAS_NO_LEVEL ? -1
                                    : palette_heat(c->palette, level, depth);
}

static cchar_t *rowbuf;
static int rowcap;

void tui_draw_canvas(WINDOW *w, int y0, int x0, const canvas *c)
{
    if (c->w > rowcap) {
        cchar_t *nb = realloc(rowbuf, (size_t)c->w * sizeof *nb);
        if (!nb)
            return;
        rowbuf = nb;
        rowcap = c->w;
    }
    int blocks = !c->ascii && tui_utf8();
    for (int y = 0; y < c->h; y++) {
        for (int x = 0; x < c->w; x++) {
            const canvas_cell *cell = canvas_at(c, x, y);
            wchar_t wc[2] = {0, 0};
            attr_t a = 0;
            short pair = 0;
            int hi = cell->hi, lo = cell->lo;
            int heat = hi != CANVAS_NO_LEVEL || lo != CANVAS_NO_LEVEL;
            if (heat && nheat && !cell->dots) {
                if (!blocks) { /* a space in the colour of the cell */
                    wc[0] = L' ';
                    pair = pair_of(-1, heat_colour(c, lo != CANVAS_NO_LEVEL
                                                          ? lo
                                                          : hi));
                } else if (hi != CANVAS_NO_LEVEL) {
                    wc[0] = 0x2580; /* ▀: fg = hi, bg = lo */
                    pair = pair_of(heat_colour(c, hi), heat_colour(c, lo));
                } else {
                    wc[0] = 0x2584; /* ▄: fg = lo */
                    pair = pair_of(heat_colour(c, lo), -1);
                }
            } else {
                uint32_t g = canvas_glyph(c, cell);
                wc[0] = g ? (wchar_t)g : L' ';
                int st = cell->style < STY_COUNT ? cell->style : 0;
                a = style_attr[st] & ~A_COLOR;
                pair = (short)PAIR_NUMBER(style_attr[st]);
                if (heat && nheat) { /* dots over a heat cell: their own
                                        colour on the cell's */
                    int sc = palette_style(st, depth);
                    pair = pair_of(sc, heat_colour(c, lo != CANVAS_NO_LEVEL
                                                          ? lo
                                                          : hi));
                }
            }
            setcchar(&rowbuf[x], wc, a, pair, NULL);
        }
        mvwadd_wchnstr(w, y0 + y, x0, rowbuf, c->w);
    }
}

void tui_box(WINDOW *w)
{
    if (!tui_utf8()) {
        box(w, 0, 0);
        return;
    }
    static const wchar_t g[6] = {0x2502, 0x2500, 0x250c, 0x2510, 0x2514,
                                 0x2518};
    cchar_t c[6];
    attr_t a;
    short pair;
    wattr_get(w, &a, &pair, NULL);
    for (int i = 0; i < 6; i++) {
        wchar_t wc[2] = {g[i], 0};
        setcchar(&c[i], wc, a, pair, NULL);
    }
    wborder_set(w, &c[0], &c[0], &c[1], &c[1], &c[2], &c[3], &c[4], &c[5]);
}
