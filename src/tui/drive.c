/* The UI's job driver: the screen loop for a long computation. It steps
 * the job for part of a frame, then reads keys (Ctrl-C, typing ahead,
 * resize) and draws a frame in which the focused plot pane shows the
 * result as it grows. The numerics never call back into the screen. */
#include "tui/tui_int.h"

#include "core/interrupt.h"

#include <stdio.h>
#include <string.h>

/* Computing time per frame: the rest of the frame is for drawing and
 * keys, so typing stays responsive on a busy machine. */
#define DRIVE_STEP_S (0.6 / TUI_POLL_HZ)

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
        if (p)
            p->stale = p->dirty = 1;
        tui_poll(t);
        tui_frame(t);
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
