/* A pane: a bordered window in a panel with its number and title in the
 * border. Plot panes keep a render_request and draw it into a canvas of
 * their inner size; the information and log panes show scrollable text.
 * A pane without a place on screen has no window. */
#ifndef SS_TUI_PANE_H
#define SS_TUI_PANE_H

#include "lang/render.h"
#include "lang/session.h"
#include "tui/layout.h"
#include "tui/text.h"

#include <curses.h>
#include <panel.h>

typedef enum { PANE_PLOT, PANE_INFO, PANE_LOG } pane_kind;

/* What a pane did with a key. */
enum { PANE_IGNORED = 0, PANE_HANDLED = 1, PANE_REDRAW = 2 };

typedef struct {
    int id;             /* the number in the title */
    pane_kind kind;
    WINDOW *win;        /* NULL while not shown */
    PANEL *pan;
    tui_rect r;
    int dirty;          /* the window must be drawn again */
    int stale;          /* plot: the canvas must be rendered again */
    int has_req;
    render_request req; /* plot: what it shows */
    canvas *cv;
    tui_text text;      /* info, log */
    char subject[OBJ_NAME_MAX]; /* shown after the kind in the title */
    /* plot: a job being computed, drawn from its partial result instead
     * of req (NULL when none) */
    const session_job *live;
    /* plot: what `plot` drew, for the title and to tell when the picture
     * no longer matches the session. An outdated picture is kept as
     * drawn (also on resize) and marked "(stale)" until plotted again. */
    char origin[160];           /* the command that made the object */
    unsigned long gen;          /* obj.gen of the object drawn */
    char dep[OBJ_NAME_MAX];     /* the model the picture uses, or "" */
    unsigned long dep_print;    /* pane_model_print of it when drawn */
    int outdated;
} pane;

/* A fingerprint of a model's kind, options and parameter values (0: no
 * such model): it changes when `set` changes the model in place. */
unsigned long pane_model_print(session *s, const char *name);
/* After plotting: remember what the pane shows (from the session). */
void pane_note_drawn(pane *p, session *s);
/* Whether the picture still shows the session's objects; sets
 * p->outdated and returns 1 when that changed. */
int pane_check_outdated(pane *p, session *s);

pane *pane_new(int id, pane_kind kind);
void pane_delete(pane *p);
const char *pane_kind_name(pane_kind k);

/* Give the pane a place (creating its window and panel), or take it away
 * (pane_hide). Returns 0, or -1 when curses refused the window. */
int pane_place(pane *p, tui_rect r);
void pane_hide(pane *p);

/* Render the plot into a canvas of w x h cells (kept in p->cv). */
ss_status pane_render(pane *p, session *s, int w, int h);

/* Draw contents and border into the window (no refresh). */
void pane_draw(pane *p, session *s, int focused);

/* Draw the rows of a text buffer that are in view (wrapped to iw columns,
 * ih rows) at (y0, x0) of a window, each line in its style. */
void pane_text_draw(WINDOW *w, tui_text *t, int y0, int x0, int iw, int ih);

/* PgUp/PgDn/Home/End on a text pane. */
int pane_key(pane *p, int key);

#endif
