#include "tui/cmdline.h"

#include "lang/commands.h"
#include "lang/parse.h"
#include "lang/repl.h"
#include "tui/draw.h"
#include "tui/text.h"

#include <limits.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROMPT "singscope> "
#define PROMPT_MORE "      ...> "

static session *sess;
static tui_line_fn deliver;
static WINDOW *win;
/* Bytes typed (or pasted), not yet given to readline: grows as needed,
 * so a paste of any size reaches readline whole and in order. */
static unsigned char *queue;
static size_t qhead, qtail, qcap;
static size_t lost; /* bytes that found no memory since the last take */
static char *pending; /* an incomplete statement waiting for more lines */
static char *hist_path;
static FILE *devnull;
static int hscroll;
static char **cands; /* completion candidates of the current attempt */
static size_t cand_next;
static int cand_start;

static void redisplay(void);

/* ---- input -------------------------------------------------------- */

static void push(unsigned char c)
{
    if (lost) { /* never a line with a hole in it: drop what follows too */
        lost++;
        return;
    }
    if (qtail == qcap) {
        if (qhead > 0) { /* room at the front: move the rest there */
            memmove(queue, queue + qhead, qtail - qhead);
            qtail -= qhead;
            qhead = 0;
        } else {
            size_t nc = qcap ? 2 * qcap : 4096;
            unsigned char *nq = realloc(queue, nc);
            if (!nq) {
                lost = 1;
                return;
            }
            queue = nq;
            qcap = nc;
        }
    }
    queue[qtail++] = c;
}

static void push_str(const char *s)
{
    while (*s)
        push((unsigned char)*s++);
}

/* readline asks for the next byte only when we said there is one; 0
 * (set-mark) is a harmless answer if it ever asks beyond that. */
static int getc_hook(FILE *f)
{
    (void)f;
    if (qhead == qtail)
        return 0;
    int c = queue[qhead++];
    if (qhead == qtail)
        qhead = qtail = 0;
    return c;
}

static int avail_hook(void) { return qhead != qtail; }

void tui_cmdline_key_char(wint_t c)
{
    if (c < 0x80) {
        push((unsigned char)c);
        return;
    }
    char buf[MB_LEN_MAX];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = wcrtomb(buf, (wchar_t)c, &st);
    if (n == (size_t)-1)
        return;
    for (size_t i = 0; i < n; i++)
        push((unsigned char)buf[i]);
}

int tui_cmdline_key_code(int code)
{
    /* The sequences readline binds by default for these keys. */
    switch (code) {
    case KEY_LEFT: push_str("\033[D"); return 1;
    case KEY_RIGHT: push_str("\033[C"); return 1;
    case KEY_UP: push_str("\033[A"); return 1;
    case KEY_DOWN: push_str("\033[B"); return 1;
    case KEY_HOME: push_str("\033[H"); return 1;
    case KEY_END: push_str("\033[F"); return 1;
    case KEY_DC: push_str("\033[3~"); return 1;
    case KEY_BACKSPACE: push(0x7f); return 1;
    case KEY_ENTER: push('\r'); return 1;
    default: break;
    }
    const char *name = keyname(code);
    if (name && strcmp(name, "kLFT5") == 0) { /* Ctrl-Left: word back */
        push_str("\033b");
        return 1;
    }
    if (name && strcmp(name, "kRIT5") == 0) {
        push_str("\033f");
        return 1;
    }
    return 0;
}

void tui_cmdline_flush(void)
{
    while (qhead != qtail)
        rl_callback_read_char();
}

int tui_cmdline_empty(void) { return rl_end == 0 && !pending; }

size_t tui_cmdline_take_lost(void)
{
    size_t n = lost;
    lost = 0;
    return n;
}

void tui_cmdline_discard(void)
{
    qhead = qtail = 0;
    free(pending);
    pending = NULL;
    rl_replace_line("", 0);
    rl_point = rl_end = 0;
    rl_set_prompt(PROMPT);
    rl_on_new_line();
    redisplay();
}

/* ---- drawing ------------------------------------------------------ */

static void redisplay(void)
{
    if (!win)
        return;
    int W = getmaxx(win);
    const char *prompt = rl_display_prompt ? rl_display_prompt : "";
    size_t plen = strlen(prompt);
    size_t blen = rl_line_buffer ? strlen(rl_line_buffer) : 0;
    char *all = malloc(plen + blen + 1);
    if (!all)
        return;
    memcpy(all, prompt, plen);
    if (blen)
        memcpy(all + plen, rl_line_buffer, blen);
    all[plen + blen] = 0;
    size_t cur_byte = plen + (size_t)(rl_point < 0 ? 0 : rl_point);
    if (cur_byte > plen + blen)
        cur_byte = plen + blen;
    char save = all[cur_byte];
    all[cur_byte] = 0;
    int cur = tui_text_width(all);
    all[cur_byte] = save;
    int total = tui_text_width(all);

    int margin = W / 4 > 0 ? W / 4 : 1;
    if (total < W)
        hscroll = 0;
    else if (cur >= hscroll + W - 1)
        hscroll = cur - W + 1 + margin;
    else if (hscroll > 0 && cur < hscroll + 1)
        hscroll = cur - margin;
    if (hscroll < 0)
        hscroll = 0;

    werase(win);
    size_t pos = 0;
    int col = 0;
    while (all[pos]) {
        int w;
        size_t k = tui_text_fit(all + pos, 1, &w);
        if (k == 0)
            break;
        if (col >= hscroll && col + w <= hscroll + W) {
            tui_chrome_set(win, pos < plen ? TUI_C_TITLE : TUI_C_NORMAL);
            if ((unsigned char)all[pos] < 0x20 || all[pos] == 0x7f)
                mvwaddch(win, 0, col - hscroll, '?');
            else
                mvwaddnstr(win, 0, col - hscroll, all + pos, (int)k);
        }
        col += w;
        pos += k;
    }
    tui_chrome_set(win, TUI_C_NOTE);
    if (hscroll > 0)
        mvwaddch(win, 0, 0, '<');
    if (total > hscroll + W - 1 && cur != hscroll + W - 1)
        mvwaddch(win, 0, W - 1, '>');
    tui_chrome_set(win, TUI_C_NORMAL);
    wmove(win, 0, cur - hscroll < W ? cur - hscroll : W - 1);
    free(all);
}

void tui_cmdline_draw(void) { redisplay(); }

void tui_cmdline_set_window(WINDOW *w)
{
    win = w;
    if (w)
        redisplay();
}

/* ---- completion (the plain REPL's candidates) -------------------- */

static char *next_candidate(const char *text, int state)
{
    if (state == 0) {
        if (cands) {
            for (size_t i = 0; cands[i]; i++)
                free(cands[i]);
            free(cands);
        }
        cands = repl_candidates(sess, rl_line_buffer, cand_start, text);
        cand_next = 0;
    }
    if (!cands || !cands[cand_next])
        return NULL;
    return strdup(cands[cand_next++]);
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;
    /* File names wanted (source, export's file): readline's own
     * completion then. */
    if (repl_wants_files(rl_line_buffer, start)) {
        rl_attempted_completion_over = 0;
        return NULL;
    }
    cand_start = start;
    char **m = rl_completion_matches(text, next_candidate);
    if (m && m[0] && !m[1]) {
        size_t len = strlen(m[0]);
        if (len && m[0][len - 1] == '=')
            rl_completion_suppress_append = 1;
    }
    return m;
}

/* Tab Tab: the list goes to the log, in columns like readline's. */
static void show_matches(char **matches, int num, int max_length)
{
    for (int i = 1; i <= num; i++) {
        int pad = max_length + 2 - tui_text_width(matches[i]);
        ss_sink_printf(&sess->out, "%s%*s", matches[i],
                       i < num ? (pad > 0 ? pad : 1) : 0, "");
    }
    ss_sink_puts(&sess->out, "\n");
    rl_forced_update_display();
}

/* ---- lines -------------------------------------------------------- */

static void on_line(char *line)
{
    if (!line) { /* Ctrl-D on an empty line */
        free(pending);
        pending = NULL;
        rl_set_prompt(PROMPT);
        deliver(NULL);
        return;
    }
    char *text = repl_accept_line(&pending, line, hist_path);
    rl_set_prompt(pending ? PROMPT_MORE : PROMPT);
    if (!text)
        return;
    deliver(text);
    free(text);
}

void tui_cmdline_cancel(void)
{
    qhead = qtail = 0;
    ss_sink_printf(&sess->out, "%s%s^C\n", rl_prompt ? rl_prompt : "",
                   rl_line_buffer ? rl_line_buffer : "");
    free(pending);
    pending = NULL;
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_replace_line("", 0);
    rl_point = rl_end = 0;
    rl_set_prompt(PROMPT);
    rl_on_new_line();
    redisplay();
}

int tui_cmdline_init(session *s, tui_line_fn on_line_fn)
{
    sess = s;
    deliver = on_line_fn;
    qhead = qtail = 0;
    lost = 0;
    hscroll = 0;
    devnull = fopen("/dev/null", "w");
    rl_readline_name = "singscope";
    rl_outstream = devnull; /* readline must never write to the screen */
    rl_getc_function = getc_hook;
    rl_input_available_hook = avail_hook;
    rl_redisplay_function = redisplay;
    rl_prep_term_function = NULL;
    rl_deprep_term_function = NULL;
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_attempted_completion_function = complete;
    rl_completion_display_matches_hook = show_matches;
    rl_basic_word_break_characters = " \t\n;";
    hist_path = repl_history_open(&s->err);
    rl_callback_handler_install(PROMPT, on_line);
    return 0;
}

void tui_cmdline_done(void)
{
    free(queue);
    queue = NULL;
    qhead = qtail = qcap = 0;
    lost = 0;
    rl_callback_handler_remove();
    repl_history_close(&hist_path);
    free(pending);
    pending = NULL;
    if (cands) {
        for (size_t i = 0; cands[i]; i++)
            free(cands[i]);
        free(cands);
        cands = NULL;
    }
    rl_getc_function = rl_getc;
    rl_input_available_hook = NULL;
    rl_redisplay_function = rl_redisplay;
    rl_prep_term_function = rl_prep_terminal;
    rl_deprep_term_function = rl_deprep_terminal;
    rl_completion_display_matches_hook = NULL;
    rl_outstream = NULL;
    if (devnull)
        fclose(devnull);
    devnull = NULL;
    win = NULL;
}
