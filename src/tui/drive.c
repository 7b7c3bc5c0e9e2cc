/* The UI's job driver: the screen loop for a long computation. It steps
 * the job for part of a frame, then reads keys (Ctrl-C, typing ahead,
 * resize) and draws a frame in which the focused plot pane shows the
 * result as it grows. The numerics never call back into the screen. */
#include "tui/tui_int.h"

#include "core/interrupt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Computing time between two looks at the keys: typing stays responsive
 * on a busy machine. */
#define DRIVE_STEP_S (0.6 / TUI_POLL_HZ)
/* The live picture is redrawn at most DRIVE_FPS times a second and never
 * takes more than DRIVE_SHARE of the time: a picture that costs c seconds
 * to render waits c / DRIVE_SHARE between redraws (a run with 10^5
 * records is drawn less often than a short one), so the computation keeps
 * at least 1 - DRIVE_SHARE of the machine. The status bar and typed keys
 * are drawn every step; they cost microseconds. */
#define DRIVE_FPS 30.0
#define DRIVE_SHARE 0.03

/* The plot pane a live result goes to: the focused one if it is a plot
 * pane on screen, else the layout's first plot pane, else none. */
static pane *live_pane(tui *t)
{
    int ids[TUI_MAX_SLOTS];
    int n = tui_layout_panes(t, ids);
    pane *f = t->panes[t->focus];
    if (f && f->klass->plots && tui_pane_shown(t, f->id))
        return f;
    for (int i = 0; i < n; i++)
        if (tui_pane_class(ids[i])->plots)
            return tui_pane(t, ids[i]);
    return NULL;
}

static void show_progress(tui *t, const ss_iter *it)
{
    size_t done = 0, total = 0;
    if (it->type->progress)
        it->type->progress(it->state, &done, &total);
    snprintf(t->prog_what, sizeof t->prog_what, "%s", it->type->name);
    t->prog_done = done;
    t->prog_total = total;
    t->prog_on = total > 0 && done < total;
}

ss_status tui_drive(session *s, const session_job *job)
{
    tui *t = s->ui;
    const ss_iter *it = &job->it;
    pane *p = job->live_type && job->live ? live_pane(t) : NULL;
    if (p) {
        p->live = job;
        p->stale = p->dirty = 1;
    }
    ss_status st = SS_OK;
    double live_cost = 0, live_at = tui_now();
    t->polling = 1; /* old-style progress calls are not needed meanwhile */
    while (!it->type->test(it->state)) {
        if (ss_interrupted()) {
            ss_iter_stop(it);
            st = SS_FAIL(SS_ERR_INTERRUPTED, "interrupted");
            break;
        }
        double t0 = tui_now();
        do
            st = it->type->iterate(it->state);
        while (st == SS_OK && !it->type->test(it->state) &&
               !ss_interrupted() && tui_now() - t0 < DRIVE_STEP_S);
        if (st != SS_OK) {
            ss_iter_stop(it);
            break;
        }
        show_progress(t, it);
        tui_poll(t);
        double now = tui_now();
        int live = p && now - live_at >= fmax(1 / DRIVE_FPS,
                                              live_cost / DRIVE_SHARE);
        if (live)
            p->stale = p->dirty = 1;
        tui_frame(t);
        if (live) {
            live_at = tui_now();
            live_cost = live_at - now;
            t->stats.live_frames++;
        }
    }
    t->polling = 0;
    t->prog_on = 0;
    if (p) {
        p->live = NULL;
        p->stale = p->dirty = 1;
        /* Once the command has stored the result, the pane shows it as if
         * it had been plotted there (tui_after_command). */
        if ((st == SS_OK || st == SS_ERR_INTERRUPTED) && job->store_as) {
            t->follow_pane = p->id;
            snprintf(t->follow_name, sizeof t->follow_name, "%s",
                     job->store_as);
        }
    }
    return st;
}
