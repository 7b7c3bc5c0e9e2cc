#include "tui/draw.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>

/* Colour pairs: 1..STY_COUNT canvas styles, then the chrome, then the heat
 * grid (hi, lo) with "no level" as index 0 of each axis. */
#define PAIR_STYLE(s) ((short)(1 + (s)))
#define PAIR_CHROME(c) ((short)(1 + STY_COUNT + (c)))
#define PAIR_HEAT0 (1 + STY_COUNT + TUI_C_COUNT)

static int depth;       /* 256, 8, 0 */
static int nheat;       /* distinct heat colours in use */
static short ramp[CANVAS_LEVELS];
static attr_t style_attr[STY_COUNT];
static attr_t chrome_attr[TUI_C_COUNT];

/* A perceptual ramp (viridis: dark purple, blue, teal, green, yellow)
 * matched to the xterm 6x6x6 cube, lightness increasing. */
static const short ramp256[16] = {53, 54, 55, 61, 25, 31, 30, 36,
                                  35, 71, 77, 113, 149, 185, 220, 226};
/* Eight colours: dark to light. */
static const short ramp8[5] = {COLOR_BLUE, COLOR_MAGENTA, COLOR_RED,
                               COLOR_YELLOW, COLOR_WHITE};

static const short series256[8] = {33, 208, 40, 163, 44, 220, 203, 141};
static const short series8[8] = {COLOR_CYAN, COLOR_YELLOW, COLOR_GREEN,
                                  COLOR_MAGENTA, COLOR_BLUE, COLOR_RED,
                                  COLOR_WHITE, -1};

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
    depth = COLORS >= 256 ? 256 : COLORS >= 8 ? 8 : 0;
    if (!depth)
        return depth;
    int big = depth == 256;
    short sty[STY_COUNT];
    for (int i = 0; i < STY_COUNT; i++)
        sty[i] = fg;
    sty[STY_AXIS] = big ? 245 : fg;
    sty[STY_SINGULAR] = big ? 197 : COLOR_RED;
    sty[STY_FIT] = big ? 252 : COLOR_WHITE;
    sty[STY_HIGHLIGHT] = big ? 226 : COLOR_YELLOW;
    for (int i = 0; i < 8; i++) {
        short c = big ? series256[i] : series8[i];
        sty[STY_SERIES1 + i] = c < 0 ? fg : c;
    }
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

    /* Heat pairs: as many levels as the pair table allows. */
    const short *r = big ? ramp256 : ramp8;
    int avail = big ? 16 : 5;
    int want = avail;
    while (want > 2 && PAIR_HEAT0 + (want + 1) * (want + 1) > COLOR_PAIRS)
        want = want > 8 ? 8 : want - 1;
    if (PAIR_HEAT0 + (want + 1) * (want + 1) > COLOR_PAIRS)
        return depth; /* text shades */
    for (int i = 0; i < want; i++)
        ramp[i] = r[want == avail ? i : i * (avail - 1) / (want - 1)];
    for (int hi = -1; hi < want; hi++)
        for (int lo = -1; lo < want; lo++) {
            short p = (short)(PAIR_HEAT0 + (hi + 1) * (want + 1) + lo + 1);
            init_pair(p, hi < 0 ? fg : ramp[hi], lo < 0 ? bg : ramp[lo]);
        }
    nheat = want;
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

static short heat_pair(int hi, int lo)
{
    /* canvas level 0..CANVAS_LEVELS-1 to a ramp index; -1: none */
    int h = hi == CANVAS_NO_LEVEL ? -1 : hi * nheat / CANVAS_LEVELS;
    int l = lo == CANVAS_NO_LEVEL ? -1 : lo * nheat / CANVAS_LEVELS;
    return (short)(PAIR_HEAT0 + (h + 1) * (nheat + 1) + l + 1);
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
                    pair = heat_pair(CANVAS_NO_LEVEL,
                                     lo != CANVAS_NO_LEVEL ? lo : hi);
                } else if (hi != CANVAS_NO_LEVEL) {
                    wc[0] = 0x2580; /* ▀: fg = hi, bg = lo */
                    pair = heat_pair(hi, lo);
                } else {
                    wc[0] = 0x2584; /* ▄: fg = lo */
                    pair = heat_pair(lo, CANVAS_NO_LEVEL);
                }
            } else {
                uint32_t g = canvas_glyph(c, cell);
                wc[0] = g ? (wchar_t)g : L' ';
                int st = cell->style < STY_COUNT ? cell->style : 0;
                a = style_attr[st] & ~A_COLOR;
                pair = (short)PAIR_NUMBER(style_attr[st]);
                if (heat && nheat) /* dots over a heat cell */
                    pair = heat_pair(CANVAS_NO_LEVEL,
                                     lo != CANVAS_NO_LEVEL ? lo : hi);
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
