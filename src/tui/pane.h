/* A pane: a bordered window in a panel with its number and title in the
 * border. What a pane shows and how it answers keys is its class: a const
 * table of functions, one instance per kind (in the manner of htop's
 * Panel and Meter classes). pane.c does what every pane does (its window,
 * the border, the title's place) and calls the class for the rest; it
 * never asks which kind a pane is. A kind is one file with one class
 * instance (pane_plot.c: plot; pane_text.c: info and log), and a line in
 * the table that gives pane numbers their class (tui_pane_class, frame.c).
 * A pane without a place on screen has no window. */
#ifndef SS_TUI_PANE_H
#define SS_TUI_PANE_H

#include "lang/render.h"
#include "lang/session.h"
#include "tui/layout.h"
#include "tui/text.h"

#include <curses.h>
#include <panel.h>

/* What a pane did with a key. */
enum { PANE_IGNORED = 0, PANE_HANDLED = 1, PANE_REDRAW = 2 };

typedef struct pane pane;

typedef struct pane_class {
    const char *name;  /* in the title and the status bar: "plot" */
    const char *label; /* in messages ("the information pane") */
    int plots;         /* takes `plot` requests and live results */
    /* Set up and free what the kind keeps in the pane (the text buffer,
     * the render request and canvas). init returns 0, or -1 when out of
     * memory; done may be NULL. */
    int (*init)(pane *p);
    void (*done)(pane *p);
    /* Draw the contents into the inner iw x ih cells at (1, 1) of p->win,
     * erasing what is not drawn; the border is drawn after it. Clears
     * p->stale once the contents are up to date. */
    void (*draw)(pane *p, session *s, int iw, int ih);
    /* The title for the top border (" 1 plot: path "). */
    void (*title)(const pane *p, char *buf, size_t len);
    /* What the bottom border says at its right end, "" for nothing.
     * May be NULL. */
    void (*footer)(pane *p, char *buf, size_t len);
    /* A key the focused pane may take (PANE_*); NULL: keys pass by (the
     * caller gives PgUp/PgDn to the log instead). */
    int (*key)(pane *p, int key);
    /* Render the contents into p->cv at w x h cells; NULL: nothing to
     * render (the pane draws its contents directly). */
    ss_status (*render)(pane *p, session *s, int w, int h);
    /* After a command: whether what the pane shows still matches the
     * session; returns 1 when that changed (the pane must be drawn
     * again). NULL: it always does. */
    int (*outdated)(pane *p, session *s);
} pane_class;

/* The kinds. */
extern const pane_class pane_plot_class; /* pane_plot.c */
extern const pane_class pane_info_class; /* pane_text.c */
extern const pane_class pane_log_class;  /* pane_text.c */

struct pane {
    int id;             /* the number in the title */
    const pane_class *klass;
    WINDOW *win;        /* NULL while not shown */
    PANEL *pan;
    tui_rect r;
    int dirty;          /* the window must be drawn again */
    int stale;          /* the contents must be rendered again */
    char subject[OBJ_NAME_MAX]; /* shown after the kind in the title */
    /* info, log: the text shown */
    tui_text text;
    /* plot: what it shows */
    int has_req;
    render_request req;
    canvas *cv;
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
};

/* A new pane of a class, or NULL when out of memory. */
pane *pane_new(int id, const pane_class *klass);
void pane_delete(pane *p);

/* Give the pane a place (creating its window and panel), or take it away
 * (pane_hide). Returns 0, or -1 when curses refused the window. */
int pane_place(pane *p, tui_rect r);
void pane_hide(pane *p);

/* Render the contents into a canvas of w x h cells (kept in p->cv);
 * SS_OK for a pane with nothing to render. */
ss_status pane_render(pane *p, session *s, int w, int h);

/* Whether the pane must be drawn in this frame. */
int pane_needs_draw(const pane *p);

/* Draw contents and border into the window (no refresh). */
void pane_draw(pane *p, session *s, int focused);

/* A key for the focused pane (PANE_*). */
int pane_key(pane *p, int key);

/* After a command: see pane_class.outdated. */
int pane_check_outdated(pane *p, session *s);

/* ---- plot panes (pane_plot.c) ---------------------------------------- */

/* A fingerprint of a model's kind, options and parameter values (0: no
 * such model): it changes when `set` changes the model in place. */
unsigned long pane_model_print(session *s, const char *name);
/* After plotting: remember what the pane shows (from the session). */
void pane_note_drawn(pane *p, session *s);

/* ---- text panes (pane_text.c) ---------------------------------------- */

/* Draw the rows of a text buffer that are in view (wrapped to iw columns,
 * ih rows) at (y0, x0) of a window, each line in its style. */
void pane_text_draw(WINDOW *w, tui_text *t, int y0, int x0, int iw, int ih);

#endif
