/* The screen loop: wait for keys or captured stderr, hand keys to the
 * screen or to readline, run complete lines through the interpreter one
 * at a time (lines typed meanwhile wait in a queue), draw one frame. */
#include "config.h"

#include "tui/tui.h"

#include "core/interrupt.h"
#include "lang/interp.h"
#include "tui/cmdline.h"
#include "tui/draw.h"
#include "tui/term.h"
#include "tui/text.h"
#include "tui/tui_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static tui T;

tui *tui_state(void) { return &T; }

double tui_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- lines ----------------------------------------------------------- */

static void on_line(const char *text)
{
    if (!text) {
        T.eof = 1;
        return;
    }
    if (T.nq == T.qcap) {
        size_t nc = T.qcap ? 2 * T.qcap : 8;
        char **nq = realloc(T.queue, nc * sizeof *nq);
        if (!nq)
            return;
        T.queue = nq;
        T.qcap = nc;
    }
    char *copy = strdup(text);
    if (copy)
        T.queue[T.nq++] = copy;
}

/* The command as typed, into the log: "singscope> ...", "...> ...". */
static void echo_line(tui *t, const char *text)
{
    const char *p = text;
    int first = 1;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *pr = first ? "singscope> " : "      ...> ";
        tui_log(t, pr, strlen(pr), TEXT_ECHO);
        tui_log(t, p, n, TEXT_ECHO);
        tui_log(t, "\n", 1, TEXT_ECHO);
        if (!nl)
            break;
        p = nl + 1;
        first = 0;
    }
}

static void run_line(tui *t, char *text)
{
    if (!text[strspn(text, " \t\n")])
        return;
    pane *log = tui_pane(t, TUI_PANE_LOG);
    if (log)
        log->text.follow = 1; /* a new command: show its output */
    echo_line(t, text);
    if (log)
        t->log_mark = log->text.serial; /* what this command writes */
    if (t->log_overlay == 2) /* it showed the last command's error */
        tui_log_overlay(t, 0);
    t->busy = 1;
    tui_term_set_busy(1);
    t->prog_on = 0;
    tui_frame(t); /* show the command before it runs */
    ss_interrupt_clear();
    t->s->file = NULL;
    ss_status rc = interp_exec(t->s, text);
    ss_interrupt_clear();
    /* An error is always seen: with the log hidden, the log comes up. */
    if (rc != SS_OK && !tui_log_visible(t))
        tui_log_overlay(t, 2);
    t->busy = 0;
    tui_term_set_busy(0);
    t->prog_on = 0;
    if (t->s->quit)
        t->quit = 1;
    tui_after_command(t);
}

/* ---- keys ------------------------------------------------------------ */

static int is_key(int code, const char *name)
{
    const char *k = keyname(code);
    return k && strcmp(k, name) == 0;
}

static void toggle_help(tui *t, int on)
{
    t->show_help = on;
    if (!on) /* uncover what it hid */
        for (int i = 0; i < t->nshown; i++)
            t->panes[t->shown[i]]->dirty = 1;
}

static void key_code(tui *t, int k)
{
    if (k == KEY_RESIZE) {
        t->need_layout = t->need_repaint = 1;
        return;
    }
    if (t->show_help) {
        toggle_help(t, 0);
        return;
    }
    if (k == KEY_F(1)) {
        toggle_help(t, 1);
    } else if (k == KEY_F(2) || is_key(k, "kLFT3")) {
        tui_focus_step(t, -1);
    } else if (k == KEY_F(3) || is_key(k, "kRIT3")) {
        tui_focus_step(t, 1);
    } else if (k == KEY_F(4)) { /* the log: its pane, else the overlay */
        if (tui_pane_shown(t, TUI_PANE_LOG) && !t->zoom) {
            pane *old = t->panes[t->focus];
            if (old)
                old->dirty = 1;
            t->focus = TUI_PANE_LOG;
            t->panes[TUI_PANE_LOG]->dirty = 1;
        } else {
            tui_log_overlay(t, !t->log_overlay);
        }
    } else if (k == KEY_F(5)) {
        t->zoom = !t->zoom;
        t->need_layout = 1;
    } else if ((k == KEY_PPAGE || k == KEY_NPAGE) && t->log_overlay &&
               !tui_pane_shown(t, TUI_PANE_LOG)) {
        pane *lp = tui_pane(t, TUI_PANE_LOG);
        int h = tui_log_overlay_height();
        if (lp) {
            tui_text_set_width(&lp->text, COLS - 2);
            tui_text_scroll(&lp->text, k == KEY_PPAGE ? -(h - 1) : h - 1, h);
        }
    } else if (k == KEY_PPAGE || k == KEY_NPAGE) {
        pane *p = t->panes[t->focus];
        if (!p || !p->klass->key)
            p = tui_pane(t, TUI_PANE_LOG);
        if (p && (pane_key(p, k) & PANE_REDRAW))
            p->dirty = 1;
    } else {
        tui_cmdline_key_code(k);
    }
}

static void key_char(tui *t, wint_t c)
{
    if (t->show_help) {
        toggle_help(t, 0);
        return;
    }
    if (c == 12) { /* Ctrl-L: everything again, from scratch */
        t->need_layout = t->need_repaint = 1;
        return;
    }
    if (c == '?') {
        tui_cmdline_flush();
        if (tui_cmdline_empty()) {
            toggle_help(t, 1);
            return;
        }
    }
    tui_cmdline_key_char(c);
}

static void read_stderr(tui *t)
{
    char buf[4096];
    size_t n;
    while ((n = tui_term_read_stderr(buf, sizeof buf)) > 0) {
        for (size_t i = 0; i < n; i++)
            if (buf[i] == '\a') /* readline's bell */
                beep();
        tui_log(t, buf, n, TEXT_NOTE);
    }
}

void tui_poll(tui *t)
{
    read_stderr(t);
    pane *log = tui_pane(t, TUI_PANE_LOG);
    size_t before = log ? log->text.n : 0;
    wint_t k;
    int r;
    while ((r = wget_wch(t->input, &k)) != ERR) {
        if (t->stats.key_t0 == 0)
            t->stats.key_t0 = tui_now();
        if (r == KEY_CODE_YES) {
            tui_cmdline_flush(); /* keep the order of keys */
            key_code(t, (int)k);
        } else {
            key_char(t, k);
        }
    }
    tui_cmdline_flush();
    size_t lost = tui_cmdline_take_lost();
    if (lost) { /* out of memory: never run a line with a hole in it */
        tui_cmdline_discard();
        char msg[200];
        int n = snprintf(msg, sizeof msg,
                         "error: out of memory for typed input: %zu bytes "
                         "were lost; the line being typed and everything "
                         "after it were discarded, nothing of them ran\n",
                         lost);
        tui_log(t, msg, (size_t)n, TEXT_ERROR);
    }
    if (ss_interrupted() && !t->busy && !tui_term_signal()) {
        ss_interrupt_clear(); /* Ctrl-C at the prompt */
        tui_cmdline_cancel();
    }
    if (log && log->text.n != before && !t->busy)
        log->text.follow = 1; /* keys made output (Tab Tab, ^C): show it */
}

/* ---- life cycle ------------------------------------------------------ */

int tui_start_on(session *s, const char *term, FILE *out, FILE *in,
                 int capture, char *why, size_t whylen)
{
    memset(&T, 0, sizeof T);
    T.s = s;
    if (tui_term_init(term, out, in, capture, why, whylen) != 0)
        return -1;
    tui_palette_init();
    T.input = newpad(1, 1);
    if (T.input) {
        keypad(T.input, TRUE);
        nodelay(T.input, TRUE);
    }
    for (int id = 1; id <= 4; id++)
        tui_pane(&T, id);
    char err[128];
    tui_layout_parse("2x2", &T.layout, err, sizeof err);
    T.focus = 1;
    tui_session_attach(&T);
    tui_cmdline_init(s, on_line);
    char hello[160];
    int n = snprintf(hello, sizeof hello,
                     "singscope %s: `help` lists commands, F1 the keys, "
                     "Ctrl-D quits.\n",
                     PACKAGE_VERSION);
    tui_log(&T, hello, (size_t)n, TEXT_NOTE);
    T.log_mark = tui_pane(&T, TUI_PANE_LOG)->text.serial;
    T.seen_gen = s->generation + 1; /* fill the information pane */
    tui_after_command(&T);
    T.need_layout = 1;
    tui_frame(&T);
    return 0;
}

int tui_start(session *s, char *why, size_t whylen)
{
    return tui_start_on(s, NULL, stdout, stdin, 1, why, whylen);
}

void tui_update(session *s)
{
    (void)s;
    if (!T.s)
        return;
    tui_after_command(&T);
    tui_poll(&T);
    tui_frame(&T);
}

int tui_run(session *s)
{
    tui *t = &T;
    (void)s;
    while (!t->quit) {
        while (t->nq && !t->quit && !tui_term_signal()) {
            char *line = t->queue[0];
            memmove(t->queue, t->queue + 1, --t->nq * sizeof *t->queue);
            run_line(t, line);
            free(line);
        }
        if (t->quit || t->eof || t->s->quit || tui_term_signal())
            break;
        tui_frame(t);
        struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0},
                                {tui_term_stderr_fd(), POLLIN, 0}};
        int r = poll(fds, fds[1].fd >= 0 ? 2 : 1, 250);
        if (r > 0 && (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)))
            break; /* the terminal went away */
        if (r < 0 && errno != EINTR)
            break;
        tui_poll(t);
    }
    return 0;
}

void tui_stop(session *s)
{
    (void)s;
    if (!T.s)
        return;
    tui_cmdline_done();
    tui_session_detach(&T);
    if (T.help_pan)
        del_panel(T.help_pan);
    if (T.help)
        delwin(T.help);
    if (T.status_pan)
        del_panel(T.status_pan);
    if (T.status)
        delwin(T.status);
    if (T.cmd_pan)
        del_panel(T.cmd_pan);
    if (T.cmd)
        delwin(T.cmd);
    for (int i = 1; i <= TUI_MAX_PANES; i++)
        pane_delete(T.panes[i]);
    if (T.input)
        delwin(T.input);
    tui_term_done();
    for (size_t i = 0; i < T.nq; i++)
        free(T.queue[i]);
    free(T.queue);
    memset(&T, 0, sizeof T);
    tui_term_reraise();
}
