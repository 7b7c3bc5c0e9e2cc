/* Speed of the full-screen UI (targets: a full redraw of a 2x2 layout of
 * four plots on a 200x60 terminal under 10 ms; keystroke to screen on the
 * command line during a long computation under 16 ms).
 *
 * The screen is a real curses screen for xterm-256color whose output goes
 * to /dev/null (so the terminal emulator's own time is not counted). A
 * redraw re-renders the four plots into canvases of the pane sizes,
 * copies them into the windows and repaints the whole screen (clearok, so
 * doupdate writes every cell). Keys are pushed into curses' input queue
 * and read by the progress callback a computation calls, which hands them
 * to readline and draws the frame; the time from the key read to the end
 * of doupdate is what the user waits. */
#include "core/interrupt.h"
#include "lang/interp.h"
#include "lang/render.h"
#include "tui/tui.h"
#include "tui/tui_int.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAMES 200
#define KEYS 400

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    printf("%-44s %8.3f %8.3f %8.3f\n", what, 1e3 * sum / n,
            1e3 * v[n / 2], 1e3 * v[n - 1]);
}

static int run(session *s, const char *cmd)
{
    if (interp_exec(s, cmd) != SS_OK) {
        fprintf(stderr, "bench_tui: `%s` failed: %s\n", cmd,
                ss_last_error()->msg);
        return -1;
    }
    return 0;
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    ss_gsl_install_handler();
    setenv("LINES", "60", 1);
    setenv("COLUMNS", "200", 1);
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    ss_membuf mb = {0};
    session *s = session_new(ss_sink_mem(&mb), ss_sink_mem(&mb), 1);
    if (!out || !in || !s)
        return 1;
    char why[160];
    if (tui_start_on(s, "xterm-256color", out, in, 0, why, sizeof why) != 0) {
        fprintf(stderr, "bench_tui: %s\n", why);
        return 1;
    }
    tui *t = tui_state();
    static const char *const setup[] = {
        "model g gmm v=0.3 w1=0 w2=0.2",
        "path g w2: 0.2 -> 0 log steps=25",
        "map g x=w1:-1..1 y=w2:-1..1 res=100x100",
        "eig g as e",
        "sample g n=20000 seed=3 as d",
    };
    for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++)
        if (run(s, setup[i]) != 0)
            return 1;
    /* four plot panes in the 2x2 grid */
    static const char *const objs[4] = {"path", "map", "e", "d"};
    static const int panes[4] = {1, 2, 5, 6};
    if (s->ui_hooks->layout(s, "2x2:1,2,5,6") != SS_OK)
        return 1;
    for (int i = 0; i < 4; i++) {
        render_request rq;
        render_request_init(&rq);
        snprintf(rq.object, sizeof rq.object, "%s", objs[i]);
        if (s->ui_hooks->plot(s, &rq, panes[i] - 1) != SS_OK) {
            fprintf(stderr, "bench_tui: plot %s: %s\n", objs[i],
                    ss_last_error()->msg);
            return 1;
        }
    }
    tui_after_command(t);
    tui_frame(t);

    static double full[FRAMES], render[FRAMES], copy[FRAMES], upd[FRAMES],
        same[FRAMES];
    for (int f = 0; f < FRAMES; f++) {
        /* the parts: render, copy into the windows, repaint everything */
        double t0 = tui_now();
        for (int i = 0; i < 4; i++) {
            pane *p = t->panes[panes[i]];
            pane_render(p, s, p->r.w - 2, p->r.h - 2);
        }
        double t1 = tui_now();
        for (int i = 0; i < 4; i++) {
            pane *p = t->panes[panes[i]];
            p->stale = 0;
            p->dirty = 1;
            pane_draw(p, s, p->id == t->focus);
        }
        double t2 = tui_now();
        t->need_repaint = 1;
        tui_frame(t);
        double t3 = tui_now();
        render[f] = t1 - t0;
        copy[f] = t2 - t1;
        upd[f] = t3 - t2;
        /* the whole frame as the loop does it after KEY_RESIZE / Ctrl-L */
        for (int i = 0; i < 4; i++)
            t->panes[panes[i]]->stale = 1;
        t->need_repaint = 1;
        t0 = tui_now();
        tui_frame(t);
        full[f] = tui_now() - t0;
        /* a redraw that changes nothing on the screen */
        for (int i = 0; i < 4; i++)
            t->panes[panes[i]]->stale = 1;
        t0 = tui_now();
        tui_frame(t);
        same[f] = tui_now() - t0;
    }
    /* a relayout: new windows, everything rendered and repainted */
    static double relayout[FRAMES];
    for (int f = 0; f < FRAMES; f++) {
        t->need_layout = t->need_repaint = 1;
        double t0 = tui_now();
        tui_frame(t);
        relayout[f] = tui_now() - t0;
    }

    /* keystrokes during a computation, through the progress callback */
    static double key[KEYS], key_total[KEYS];
    t->busy = 1;
    long n0 = t->stats.key_n;
    for (int k = 0; k < KEYS; k++) {
        t->stats.key_t0 = 0;
        double sum0 = t->stats.key_sum;
        wint_t c = (wint_t)(k % 40 == 39 ? 0x15 /* Ctrl-U */
                                         : 'a' + k % 26);
        double t0 = tui_now();
        unget_wch((wchar_t)c);
        t->prog_last = 0; /* due for a poll */
        s->progress(s, "bench", (size_t)k, (size_t)KEYS * 2);
        key_total[k] = tui_now() - t0;
        key[k] = t->stats.key_sum - sum0;
    }
    s->progress(s, "bench", 1, 1);
    t->busy = 0;
    int nkeys = (int)(t->stats.key_n - n0);

    /* A training run drawn live in a plot pane against the same run in a
     * session without the screen (the issue: at most ~30 frames a second,
     * the run slowed by no more than a few per cent). Best of three. */
    static const char *const teach[] = {
        "model tt mlp2 d=2 w1=1 w2=0.5 J1=[1,0] J2=[0,1]",
        "model st mlp2 d=2 w1=0.3 w2=-0.2 J1=[0.4,0.1] J2=[-0.2,0.6]",
    };
    static const char train[] =
        "train st teacher=tt algo=sgd eta=0.001 steps=3e7 seed=1 as r";
    ss_membuf mb2 = {0};
    session *plain = session_new(ss_sink_mem(&mb2), ss_sink_mem(&mb2), 1);
    if (!plain)
        return 1;
    for (int i = 0; i < 2; i++)
        if (run(s, teach[i]) != 0 || run(plain, teach[i]) != 0)
            return 1;
    double best_ui = 1e300, best_plain = 1e300;
    long live0 = t->stats.live_frames, lives = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = tui_now();
        if (run(plain, train) != 0)
            return 1;
        best_plain = fmin(best_plain, tui_now() - t0);
        live0 = t->stats.live_frames;
        t0 = tui_now();
        if (run(s, train) != 0)
            return 1;
        double d = tui_now() - t0;
        if (d < best_ui) {
            best_ui = d;
            lives = t->stats.live_frames - live0;
        }
    }
    session_delete(plain);
    ss_membuf_free(&mb2);

    tui_stop(s);
    printf("screen %dx%d, 2x2 layout of four plots "
                    "(path, map, spectrum, histogram), %d frames\n",
            200, 60, FRAMES);
    printf("%-44s %8s %8s %8s\n", "milliseconds", "mean", "median",
            "max");
    report("  render four plots into canvases", render, FRAMES);
    report("  copy canvases into the windows", copy, FRAMES);
    report("  update_panels + doupdate (full repaint)", upd, FRAMES);
    report("full redraw (target < 10)", full, FRAMES);
    report("redraw, nothing changed on screen", same, FRAMES);
    report("relayout (KEY_RESIZE) + full redraw", relayout, FRAMES);
    printf("keystrokes during a computation: %d reached the "
                    "screen of %d\n",
            nkeys, KEYS);
    report("key read -> doupdate (target < 16)", key, KEYS);
    report("progress call with a key, whole", key_total, KEYS);
    printf("(the progress callback polls at most %.0f times a "
                    "second: a key waits up to %.1f ms more for the poll)\n",
            TUI_POLL_HZ, 1e3 / TUI_POLL_HZ);
    printf("train sgd, 3e7 steps, mlp2 erf d = 2: %.3f s without the "
           "screen, %.3f s drawn live (%+.1f%%, %ld live redraws, %.1f a "
           "second)\n",
           best_plain, best_ui, 100 * (best_ui / best_plain - 1), lives,
           (double)lives / best_ui);
    session_delete(s);
    ss_membuf_free(&mb);
    fclose(out);
    fclose(in);
    return nkeys == KEYS ? 0 : 1;
}
