#include "tui/term.h"

#include "core/interrupt.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>

static SCREEN *scr; /* kept (never deleted): see tui_term_done */
static volatile sig_atomic_t active, busy, got_signal, resumed;
static int saved_fd2 = -1, pipe_r = -1, pipe_w = -1;
static struct sigaction old_int, old_term, old_hup;
static const int fatal_sigs[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL,
                                 SIGQUIT};
#define NFATAL (sizeof fatal_sigs / sizeof fatal_sigs[0])
static struct sigaction old_fatal[NFATAL];
static int atexit_done;

/* Signal context: endwin is what every curses program calls here; fd 2
 * goes back to the terminal so the death message is seen. */
static void restore_now(void)
{
    if (!active)
        return;
    endwin();
    if (saved_fd2 >= 0)
        dup2(saved_fd2, STDERR_FILENO);
}

static void on_fatal(int sig)
{
    restore_now();
    active = 0;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_term(int sig)
{
    got_signal = sig;
    ss_interrupt_raise(); /* a running computation stops at its next poll */
}

/* Chained in front of the session's SIGINT handler, which exits (130) on
 * a second Ctrl-C during a computation: give the terminal back first. */
static void on_int(int sig)
{
    int exiting = busy && ss_interrupted() && active;
    if (exiting)
        restore_now();
    if (old_int.sa_handler != SIG_DFL && old_int.sa_handler != SIG_IGN &&
        !(old_int.sa_flags & SA_SIGINFO))
        old_int.sa_handler(sig);
    else
        ss_interrupt_raise();
    if (exiting) { /* it did not exit after all: take the screen back */
        if (pipe_w >= 0)
            dup2(pipe_w, STDERR_FILENO);
        resumed = 1;
    }
}

static void at_exit(void) { tui_term_done(); }

static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_term; /* no SA_RESTART: the loop's poll returns */
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    sa.sa_handler = on_int;
    sigaction(SIGINT, &sa, &old_int);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < NFATAL; i++)
        sigaction(fatal_sigs[i], &sa, &old_fatal[i]);
}

static void uninstall(void)
{
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    sigaction(SIGINT, &old_int, NULL);
    for (size_t i = 0; i < NFATAL; i++)
        sigaction(fatal_sigs[i], &old_fatal[i], NULL);
}

static int set_flags(int fd, int fdflags, int flflags)
{
    int f = fcntl(fd, F_GETFD);
    int g = fcntl(fd, F_GETFL);
    if (f < 0 || g < 0)
        return -1;
    if (fcntl(fd, F_SETFD, f | fdflags) < 0 ||
        fcntl(fd, F_SETFL, g | flflags) < 0)
        return -1;
    return 0;
}

static void capture_stderr(void)
{
    int p[2];
    fflush(stderr);
    if (pipe(p) != 0)
        return;
    saved_fd2 = dup(STDERR_FILENO);
    /* Never block a writer: if nobody reads for a while, output is lost
     * rather than the program hanging on a full pipe. */
    if (saved_fd2 < 0 || set_flags(saved_fd2, FD_CLOEXEC, 0) != 0 ||
        set_flags(p[0], FD_CLOEXEC, O_NONBLOCK) != 0 ||
        set_flags(p[1], FD_CLOEXEC, O_NONBLOCK) != 0 ||
        dup2(p[1], STDERR_FILENO) < 0) {
        close(p[0]);
        close(p[1]);
        if (saved_fd2 >= 0)
            close(saved_fd2);
        saved_fd2 = -1;
        return;
    }
    pipe_r = p[0];
    pipe_w = p[1];
}

static void release_stderr(void)
{
    if (saved_fd2 < 0)
        return;
    char buf[4096];
    size_t n;
    fflush(stderr);
    char *left = NULL;
    size_t nleft = 0;
    while ((n = tui_term_read_stderr(buf, sizeof buf)) > 0) {
        char *nl = realloc(left, nleft + n);
        if (!nl)
            break;
        memcpy(nl + nleft, buf, n);
        left = nl;
        nleft += n;
    }
    dup2(saved_fd2, STDERR_FILENO);
    close(saved_fd2);
    close(pipe_r);
    close(pipe_w);
    saved_fd2 = pipe_r = pipe_w = -1;
    if (nleft)
        (void)!write(STDERR_FILENO, left, nleft);
    free(left);
}

int tui_term_init(const char *term, FILE *out, FILE *in, int capture,
                  char *why, size_t whylen)
{
    if (active) {
        snprintf(why, whylen, "the screen is already in use");
        return -1;
    }
    if (!term)
        term = getenv("TERM");
    if (!term || !*term) {
        snprintf(why, whylen, "TERM is not set");
        return -1;
    }
    int err = 0;
    if (setupterm(term, fileno(out), &err) != OK) {
        snprintf(why, whylen, "terminal type '%s' is not known to terminfo",
                 term);
        return -1;
    }
    const char *cup = tigetstr("cup");
    int hard = tigetflag("hc") > 0;
    del_curterm(cur_term);
    if (!cup || cup == (char *)-1 || hard) {
        snprintf(why, whylen, "terminal type '%s' cannot move the cursor",
                 term);
        return -1;
    }
    scr = newterm(term, out, in);
    if (!scr) {
        snprintf(why, whylen, "curses could not start on '%s'", term);
        return -1;
    }
    set_term(scr);
    active = 1;
    got_signal = 0;
    resumed = 0;
    cbreak(); /* not raw(): Ctrl-C still raises SIGINT */
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(1);
    install();
    if (!atexit_done && atexit(at_exit) == 0)
        atexit_done = 1;
    if (capture)
        capture_stderr();
    return 0;
}

void tui_term_done(void)
{
    if (!active)
        return;
    endwin();
    active = 0;
    release_stderr();
    uninstall();
    /* No delscreen: the panel library keeps a pseudo-panel for stdscr that
     * only its debug builds free, and delscreen would drop the last
     * pointer to it (a leak report in sanitizer builds). The screen stays
     * allocated, and reachable, until the program ends. */
}

int tui_term_active(void) { return active; }
int tui_term_stderr_fd(void) { return pipe_r; }

size_t tui_term_read_stderr(char *buf, size_t n)
{
    if (pipe_r < 0)
        return 0;
    ssize_t r;
    do
        r = read(pipe_r, buf, n);
    while (r < 0 && errno == EINTR);
    return r > 0 ? (size_t)r : 0;
}

int tui_term_signal(void) { return got_signal; }

void tui_term_reraise(void)
{
    int sig = got_signal;
    if (!sig)
        return;
    got_signal = 0;
    signal(sig, SIG_DFL);
    raise(sig);
}

void tui_term_set_busy(int b) { busy = b; }

int tui_term_take_resumed(void)
{
    int r = resumed;
    resumed = 0;
    return r;
}
