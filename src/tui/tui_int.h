/* Inside the TUI: the screen state shared by tui.c (loop, keys), frame.c
 * (layout and drawing) and hooks.c (session hooks, sinks, progress). Also
 * what bench/bench_tui.c drives directly. */
#ifndef SS_TUI_INT_H
#define SS_TUI_INT_H

#include "tui/layout.h"
#include "tui/pane.h"

#include <curses.h>
#include <panel.h>
#include <stdio.h>

#define TUI_MAX_PANES 9 /* numbered 1..9: 1, 2 plot; 3 info; 4 log; 5-9 plot */
#define TUI_PANE_INFO 3
#define TUI_PANE_LOG 4
#define TUI_MIN_W 60
#define TUI_MIN_H 16
#define TUI_POLL_HZ 60.0

typedef struct {
    double key_t0;     /* when the first key of the batch was read, or 0 */
    double key_sum, key_max;
    long key_n;        /* key batches that reached the screen */
    long frames;
    long live_frames;  /* redraws of a live result (tui_drive) */
} tui_stats;

typedef struct tui {
    session *s;
    /* what the session had before the screen took over */
    ss_sink saved_out, saved_err;
    session_progress_fn saved_progress;
    const session_ui *saved_hooks;
    void *saved_ui;

    pane *panes[TUI_MAX_PANES + 1]; /* by number; NULL: not made yet */
    int focus;                      /* number of the focused pane */
    tui_layout layout;
    int zoom;                       /* the focused pane fills the screen */
    int shown[TUI_MAX_SLOTS];       /* pane numbers in the slots */
    int nshown;
    WINDOW *status, *cmd, *help, *over;
    PANEL *status_pan, *cmd_pan, *help_pan, *over_pan;
    WINDOW *input;                  /* a pad: key reads never refresh */
    int show_help;
    /* The log over the lower half of the screen while the log pane is
     * hidden: 0 closed, 1 opened by F4 (until F4), 2 opened because a
     * command failed (until the next command). */
    int log_overlay;
    long log_mark; /* log line number where the last command's output
                      starts: the status bar sums it up while the log is
                      hidden */
    int too_small;
    int need_layout, need_repaint;

    unsigned long seen_gen;
    char seen_current[OBJ_NAME_MAX];

    char **queue;                   /* complete lines waiting to run */
    size_t nq, qcap;
    int busy, eof, quit;

    char prog_what[48];
    size_t prog_done, prog_total;
    int prog_on, polling;
    double prog_last;

    /* a pane that showed a job live and should show its stored result */
    int follow_pane;
    char follow_name[OBJ_NAME_MAX];

    tui_stats stats;
} tui;

/* tui.c */
int tui_start_on(session *s, const char *term, FILE *out, FILE *in,
                 int capture, char *why, size_t whylen);
tui *tui_state(void);
double tui_now(void);
/* Read what is there (keys, captured stderr) without waiting. */
void tui_poll(tui *t);

/* frame.c */
pane *tui_pane(tui *t, int id); /* made on first use (5-9: plot panes) */
/* The class of pane number id (NULL outside 1..TUI_MAX_PANES). */
const pane_class *tui_pane_class(int id);
void tui_relayout(tui *t);
void tui_frame(tui *t);
void tui_focus_step(tui *t, int dir);
int tui_pane_shown(const tui *t, int id);
/* The panes the layout shows (zoomed or not), in slot order. */
int tui_layout_panes(const tui *t, int *ids);
/* "1, 2, 3 and 4" */
void tui_pane_list(const int *ids, int n, char *buf, size_t len);
/* The log is on screen: in a pane or in the overlay. */
int tui_log_visible(const tui *t);
/* Open (1: until F4, 2: until the next command) or close (0) the log
 * overlay; and the rows of text it shows. */
void tui_log_overlay(tui *t, int how);
int tui_log_overlay_height(void);

/* hooks.c */
void tui_session_attach(tui *t);
void tui_session_detach(tui *t);
void tui_log(tui *t, const char *text, size_t len, int style);
/* After a command: refresh the information pane and plots if the
 * session changed. */
void tui_after_command(tui *t);
void tui_progress(session *s, const char *what, size_t done, size_t total);

/* drive.c: the session_ui drive hook */
ss_status tui_drive(session *s, const session_job *job);

#endif
