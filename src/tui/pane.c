/* What every pane does: its window and panel, the border with the title
 * and the footer in their places; the rest is the pane's class. */
#include "tui/pane.h"

#include "tui/draw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pane *pane_new(int id, const pane_class *klass)
{
    pane *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->id = id;
    p->klass = klass;
    p->dirty = p->stale = 1;
    if (klass->init && klass->init(p) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

void pane_delete(pane *p)
{
    if (!p)
        return;
    pane_hide(p);
    if (p->klass->done)
        p->klass->done(p);
    free(p);
}

void pane_hide(pane *p)
{
    if (p->pan)
        del_panel(p->pan);
    if (p->win)
        delwin(p->win);
    p->pan = NULL;
    p->win = NULL;
}

int pane_place(pane *p, tui_rect r)
{
    pane_hide(p);
    p->r = r;
    p->dirty = 1;
    if (r.w < 3 || r.h < 3)
        return -1;
    p->win = newwin(r.h, r.w, r.y, r.x);
    if (!p->win)
        return -1;
    p->pan = new_panel(p->win);
    if (!p->pan) {
        delwin(p->win);
        p->win = NULL;
        return -1;
    }
    return 0;
}

ss_status pane_render(pane *p, session *s, int w, int h)
{
    return p->klass->render ? p->klass->render(p, s, w, h) : SS_OK;
}

int pane_check_outdated(pane *p, session *s)
{
    return p->klass->outdated ? p->klass->outdated(p, s) : 0;
}

int pane_needs_draw(const pane *p)
{
    return p->dirty || p->stale;
}

int pane_key(pane *p, int key)
{
    if (!p->klass->key || !p->win)
        return PANE_IGNORED;
    return p->klass->key(p, key);
}

/* The class's footer at the right end of the bottom border. */
static void draw_footer(pane *p)
{
    char note[64] = "";
    if (p->klass->footer)
        p->klass->footer(p, note, sizeof note);
    int len = (int)strlen(note);
    if (len && len + 4 <= p->r.w) {
        tui_chrome_set(p->win, TUI_C_NOTE);
        mvwaddstr(p->win, p->r.h - 1, p->r.w - len - 2, note);
        tui_chrome_set(p->win, TUI_C_NORMAL);
    }
}

static void draw_border(pane *p, int focused)
{
    tui_chrome_set(p->win, focused ? TUI_C_FOCUS : TUI_C_BORDER);
    tui_box(p->win);
    char title[OBJ_NAME_MAX + 200];
    p->klass->title(p, title, sizeof title);
    int room = p->r.w - 4;
    if (room > 0) {
        if (!focused)
            tui_chrome_set(p->win, TUI_C_TITLE);
        else
            wattron(p->win, A_BOLD);
        size_t k = tui_text_fit(title, room, NULL);
        mvwaddnstr(p->win, 0, 2, title, (int)k);
    }
    tui_chrome_set(p->win, TUI_C_NORMAL);
}

void pane_draw(pane *p, session *s, int focused)
{
    if (!p->win)
        return;
    p->klass->draw(p, s, p->r.w - 2, p->r.h - 2);
    draw_border(p, focused);
    draw_footer(p);
    p->dirty = 0;
}
