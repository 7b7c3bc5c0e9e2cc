#include "config.h"

#include "lang/repl.h"

#include "core/interrupt.h"
#include "fim/fim.h"
#include "lang/commands.h"
#include "lang/interp.h"
#include "lang/parse.h"
#include "model/model.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROMPT "singscope> "
#define PROMPT_MORE "      ...> "

static session *cur;      /* the session the readline callbacks act on */
static char *pending;     /* text of an incomplete statement */
static char *hist_path;

/* ---- candidates ------------------------------------------------------ */

typedef struct {
    char **v;
    size_t n, cap;
} strlist;

static void add(strlist *l, const char *prefix, const char *cand,
                const char *suffix)
{
    size_t plen = strlen(prefix);
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s", cand, suffix);
    if (strncmp(buf, prefix, plen) != 0)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], buf) == 0)
            return;
    if (l->n + 2 > l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 16;
        char **nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = strdup(buf);
    l->v[l->n] = NULL;
}

static void add_objects(strlist *l, session *s, const char *word,
                        const obj_type *only)
{
    for (size_t i = 0; i < s->nobjs; i++)
        if (!only || s->objs[i].type == only)
            add(l, word, s->objs[i].name, "");
}

/* A component of a large block (W2_1_1 of a 500 x 500 W2): completion
 * offers the block's name, not every component. */
static int in_large_block(const model *m, size_t i)
{
    int g = model_param_group(m, i);
    return g >= 0 && m->groups[g].generated && m->groups[g].count > 256;
}

static void add_params(strlist *l, const model *m, const char *word,
                       const char *suffix)
{
    for (size_t i = 0; i < m->P; i++)
        if (!in_large_block(m, i))
            add(l, word, MODEL_PNAME(m, i), suffix);
    for (size_t g = 0; g < m->ngroups; g++)
        add(l, word, m->groups[g].name, suffix);
}

/* The axes a path or map can move along: parameters, then blow-down
 * coordinates (as model_axis_find accepts them). */
static void add_axes(strlist *l, const model *m, const char *word,
                     const char *prefix, const char *suffix)
{
    char full[256];
    for (size_t i = 0; i < m->P; i++) {
        if (in_large_block(m, i))
            continue;
        snprintf(full, sizeof full, "%s%s", prefix, MODEL_PNAME(m, i));
        add(l, word, full, suffix);
    }
    if (!m->type->coord_names)
        return;
    char(*names)[MODEL_NAME_MAX] = calloc(m->P ? m->P : 1, sizeof *names);
    if (!names)
        return;
    size_t nc = m->type->coord_names(m, names);
    for (size_t i = 0; i < nc; i++) {
        snprintf(full, sizeof full, "%s%s", prefix, names[i]);
        add(l, word, full, suffix);
    }
    free(names);
}

/* Whether an object can be plotted: every stored result draws (paths,
 * maps, spectra, FIMs, data sets); a model has no picture of its own. */
static int plottable(const obj_type *t) { return t->draw != NULL; }

/* Split the line before `start` into words (the current statement only). */
static size_t words_before(const char *line, int start, char words[][64],
                           size_t max)
{
    const char *p = line, *stop = line + start;
    for (const char *q = line; q < stop; q++)
        if (*q == ';')
            p = q + 1;
    size_t n = 0;
    while (p < stop && n < max) {
        while (p < stop && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= stop)
            break;
        const char *e = p;
        while (e < stop && *e != ' ' && *e != '\t')
            e++;
        snprintf(words[n], 64, "%.*s", (int)(e - p), p);
        n++;
        p = e;
    }
    return n;
}

char **repl_candidates(session *s, const char *line, int start,
                       const char *word)
{
    strlist l = {0};
    char words[16][64];
    size_t nw = words_before(line, start, words, 16);
    size_t ncmd;
    const cmd_def *cmds = cmd_table(&ncmd);
    if (nw == 0) {
        for (size_t i = 0; i < ncmd; i++)
            add(&l, word, cmds[i].name, "");
        return l.v;
    }
    const cmd_def *c = cmd_find(words[0]);
    if (!c)
        return NULL;
    if (strcmp(words[nw - 1], "as") == 0) /* a new name: nothing to offer */
        return NULL;
    if (c->first == COMPL_OBJECT && strcmp(c->name, "delete") == 0) {
        add_objects(&l, s, word, NULL);
        return l.v;
    }
    ss_obj *o = nw >= 2 ? session_find(s, words[1]) : NULL;
    const model *mo = o && o->type == &obj_model ? o->ptr : NULL;
    const char *eq = strchr(word, '=');
    if (eq) {
        /* key=<tab>: values of a keyword, as its table entry says */
        char key[64], prefix[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - word), word);
        snprintf(prefix, sizeof prefix, "%s=", key);
        const cmd_opt *op = NULL;
        for (const cmd_opt *k = c->opts; k && k->key && !op; k++)
            if (k->kind != OPT_FLAG && strcmp(k->key, key) == 0)
                op = k;
        if (!op)
            return NULL;
        if (op->kind == OPT_AXIS) {
            /* map g x=<tab>: an axis, then its range */
            if (mo)
                add_axes(&l, mo, word, prefix, ":");
            return l.v;
        }
        strlist vals = {0};
        const char *ch;
        for (size_t i = 0; (ch = opt_choice(op, i)) != NULL; i++)
            add(&vals, eq + 1, ch, "");
        if (op->kind == OPT_OBJECT)
            add_objects(&vals, s, eq + 1, op->obj);
        for (size_t i = 0; i < vals.n; i++) {
            char full[256];
            snprintf(full, sizeof full, "%s%s", prefix, vals.v[i]);
            add(&l, word, full, "");
            free(vals.v[i]);
        }
        free(vals.v);
        return l.v;
    }
    /* a command with no positional argument but options (llr): its keys
     * from the first word on */
    if (nw == 1 && !(c->first == COMPL_NONE && c->opts)) {
        switch (c->first) {
        case COMPL_OBJECT:
            if (strcmp(c->name, "plot") == 0) {
                for (size_t i = 0; i < s->nobjs; i++)
                    if (plottable(s->objs[i].type))
                        add(&l, word, s->objs[i].name, "");
            } else {
                add_objects(&l, s, word, NULL);
            }
            break;
        case COMPL_MODEL: add_objects(&l, s, word, &obj_model); break;
        case COMPL_FORMAT:
            add(&l, word, "text", "");
            add(&l, word, "csv", "");
            break;
        case COMPL_COMMAND: {
            size_t nk;
            const model_type *const *kinds = model_registry(&nk);
            for (size_t i = 0; i < ncmd; i++)
                add(&l, word, cmds[i].name, "");
            for (size_t i = 0; i < nk; i++)
                add(&l, word, kinds[i]->name, "");
            break;
        }
        default: break;
        }
        return l.v;
    }
    if (strcmp(c->name, "model") == 0) {
        size_t nk;
        const model_type *const *kinds = model_registry(&nk);
        if (nw == 2) {
            for (size_t i = 0; i < nk; i++)
                add(&l, word, kinds[i]->name, "");
            return l.v;
        }
        const model_type *t = model_type_find(words[2]);
        if (t) {
            for (size_t k = 0; k < t->nopts; k++)
                add(&l, word, t->opts[k].name, "=");
            model *m;
            if (model_alloc(t, NULL, 0, &m) == SS_OK) {
                add_params(&l, m, word, "=");
                model_free(m);
            }
        }
        return l.v;
    }
    if (mo && nw == 2 && strcmp(c->name, "path") == 0) {
        /* path g <tab>: the axis, written NAME: */
        add_axes(&l, mo, word, "", ":");
        return l.v;
    }
    if (o && o->type == &obj_model) {
        int bare = strcmp(c->name, "fix") == 0 || strcmp(c->name, "free") == 0;
        if (strcmp(c->name, "set") == 0 || bare)
            add_params(&l, o->ptr, word, bare ? "" : "=");
    }
    if (o && o->type == &obj_fim && strcmp(c->name, "eig") == 0) {
        add(&l, word, "tol", "=");
        add(&l, word, "as", "");
        return l.v;
    }
    for (const cmd_opt *k = c->opts; k && k->key; k++)
        add(&l, word, k->key, k->kind == OPT_FLAG ? "" : "=");
    if (c->stores)
        add(&l, word, "as", "");
    return l.v;
}

int repl_wants_files(const char *line, int start)
{
    char words[3][64];
    size_t nw = words_before(line, start, words, 3);
    if (nw == 0)
        return 0;
    const cmd_def *c = cmd_find(words[0]);
    if (!c)
        return 0;
    if (c->first == COMPL_FILE)
        return 1;
    /* export OBJECT FILE: the second word is a file name */
    return strcmp(c->name, "export") == 0 && nw == 2;
}

static char **complete_word(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;
    if (repl_wants_files(rl_line_buffer, start)) {
        rl_attempted_completion_over = 0; /* readline's filename completion */
        return NULL;
    }
    char **v = repl_candidates(cur, rl_line_buffer, start, text);
    if (!v || !v[0]) {
        free(v);
        return NULL;
    }
    /* readline wants v[0] to be the common prefix of the rest. */
    size_t n = 0;
    while (v[n])
        n++;
    size_t pre = strlen(v[0]);
    for (size_t i = 1; i < n; i++) {
        size_t k = 0;
        while (k < pre && v[i][k] == v[0][k])
            k++;
        pre = k;
    }
    char **out = malloc((n + 2) * sizeof *out);
    if (!out)
        return NULL;
    out[0] = strndup(v[0], pre);
    if (n == 1) {
        out[1] = NULL;
        free(out[0]);
        out[0] = v[0];
        size_t len = strlen(v[0]);
        /* key= and map's x=NAME: go on with the value, no blank */
        if (v[0][len - 1] == '=' || (v[0][len - 1] == ':' && strchr(v[0], '=')))
            rl_completion_suppress_append = 1;
    } else {
        for (size_t i = 0; i < n; i++)
            out[i + 1] = v[i];
        out[n + 1] = NULL;
    }
    free(v);
    return out;
}

/* ---- history --------------------------------------------------------- */

/* Where history problems are reported, once per session: a history that
 * cannot be kept is not a reason to stop, but it is not silently lost. */
static ss_sink hist_warn_sink;
static int hist_have_sink, hist_warned;

static void hist_warn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void hist_warn(const char *fmt, ...)
{
    char msg[4200];
    va_list ap;
    if (hist_warned || !hist_have_sink)
        return;
    hist_warned = 1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ss_sink_puts(&hist_warn_sink, msg);
}

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(path, 0700) != 0 && errno != EEXIST) {
                *p = '/';
                return -1;
            }
            *p = '/';
        }
    return 0;
}

static char *history_path(int *err, char *buf, size_t cap)
{
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    *err = 0;
    if (state && state[0] == '/')
        snprintf(buf, cap, "%s/singscope/history", state);
    else if (home && home[0])
        snprintf(buf, cap, "%s/.local/state/singscope/history", home);
    else
        return NULL;
    if (mkdirs(buf) != 0) {
        *err = errno ? errno : EACCES;
        return NULL;
    }
    return strdup(buf);
}

char *repl_history_path(void)
{
    char buf[4096];
    int err;
    return history_path(&err, buf, sizeof buf);
}

char *repl_history_open(const ss_sink *warn)
{
    char buf[4096];
    int err;
    hist_warned = 0;
    hist_have_sink = warn != NULL;
    if (warn)
        hist_warn_sink = *warn;
    stifle_history(2000);
    char *path = history_path(&err, buf, sizeof buf);
    if (!path) {
        if (err)
            hist_warn("warning: no command history: cannot create the "
                      "directory of %s: %s\n", buf, strerror(err));
        return NULL;
    }
    /* Only a regular file: opening a FIFO (or a device) would block or
     * read garbage. O_NONBLOCK makes the open itself return at once. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK |
                            O_NOCTTY | O_CLOEXEC,
                  0600);
    int werr = fd < 0 ? errno : 0;
    struct stat sb;
    int have = fd >= 0 ? fstat(fd, &sb) == 0 : stat(path, &sb) == 0;
    if (fd >= 0)
        close(fd);
    if ((have && !S_ISREG(sb.st_mode)) || werr == ENXIO) {
        hist_warn("warning: no command history: %s is not a regular "
                  "file\n", path);
        free(path);
        return NULL;
    }
    if (have && access(path, R_OK) == 0)
        read_history(path);
    if (werr) {
        /* Read what is there, but nothing new can be kept. */
        hist_warn("warning: commands will not be saved: cannot write %s: "
                  "%s\n", path, strerror(werr));
        free(path);
        return NULL;
    }
    return path;
}

void repl_history_close(char **path)
{
    if (*path)
        history_truncate_file(*path, 2000);
    free(*path);
    *path = NULL;
}

char *repl_history_line(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(2 * n + 1), *o = out;
    int depth = 0, sep = 0, start = 1, echo = 0;
    char quote = 0;
    if (!out)
        return NULL;
    for (const char *p = text; *p; p++) {
        char c = *p;
        if (quote) {
            if (c == '\\' && p[1] == '\n') {
                p++; /* a continuation inside the string: joins */
            } else if (c == '\\' && p[1]) {
                *o++ = c;
                *o++ = *++p;
            } else if (c == '\n') {
                *o++ = '\\'; /* the same character, written as an escape */
                *o++ = 'n';
            } else {
                if (c == quote)
                    quote = 0;
                *o++ = c;
            }
            continue;
        }
        if (start && c != ' ' && c != '\t' && c != '\n' && c != ';') {
            start = 0;
            echo = parse_is_echo(p);
        }
        if (c == '#') { /* a comment ends at its line: drop it */
            while (p[1] && p[1] != '\n')
                p++;
            continue;
        }
        if (c == '\\') {
            const char *q = p + 1;
            while (*q == ' ' || *q == '\t' || *q == '\r')
                q++;
            if (*q == '\n' || !*q) { /* a continuation: one blank */
                if (o == out || o[-1] != ' ')
                    *o++ = ' ';
                p = *q ? q : q - 1;
                continue;
            }
        }
        if (c == '\n') {
            /* inside brackets a blank; elsewhere it ends a statement, written
             * as "; " once something follows */
            if (depth > 0) {
                *o++ = ' ';
            } else {
                sep = 1;
                start = 1;
            }
            continue;
        }
        if (sep) {
            if (c == ' ' || c == '\t' || c == '\r')
                continue;
            *o++ = ';';
            *o++ = ' ';
            sep = 0;
        }
        if (c == '"' || c == '\'') {
            if (!echo || !parse_echo_literal_quote(text, (size_t)(p - text)))
                quote = c;
        } else if (c == '[' && !echo) {
            depth++;
        } else if (c == ']' && !echo && depth > 0) {
            depth--;
        } else if (c == ';') {
            depth = 0;
            start = 1;
        }
        *o++ = c;
    }
    /* no trailing blanks left by a dropped comment or continuation */
    while (o > out && (o[-1] == ' ' || o[-1] == '\t'))
        o--;
    *o = 0;
    return out;
}

/* ---- the loop -------------------------------------------------------- */

static void show_progress(session *s, const char *what, size_t done,
                          size_t total)
{
    (void)s;
    if (!isatty(STDERR_FILENO))
        return;
    if (done >= total)
        fprintf(stderr, "\r\033[K");
    else
        fprintf(stderr, "\r%s: %3.0f%% (%zu/%zu, Ctrl-C stops)", what,
                100.0 * (double)done / (double)total, done, total);
    fflush(stderr);
}

char *repl_accept_line(char **acc, char *line, const char *hist)
{
    size_t plen = *acc ? strlen(*acc) : 0;
    char *text = malloc(plen + strlen(line) + 2);
    if (!text) {
        free(line);
        return NULL;
    }
    if (*acc)
        sprintf(text, "%s\n%s", *acc, line);
    else
        strcpy(text, line);
    free(line);
    free(*acc);
    *acc = NULL;
    if (parse_incomplete(text) && strlen(text) < PARSE_MAX_LINE) {
        *acc = text;
        return NULL;
    }
    if (text[strspn(text, " \t\n")]) {
        /* one history entry per statement, on one line that runs the same
         * when recalled */
        char *h = repl_history_line(text);
        if (h) {
            add_history(h);
            if (hist) {
                int e = append_history(1, hist);
                if (e)
                    hist_warn("warning: commands are no longer saved: "
                              "cannot write %s: %s\n", hist, strerror(e));
            }
            free(h);
        }
    }
    return text;
}

static void on_line(char *line)
{
    if (!line) { /* Ctrl-D */
        cur->quit = 1;
        printf("\n");
        return;
    }
    char *text = repl_accept_line(&pending, line, hist_path);
    rl_set_prompt(pending ? PROMPT_MORE : PROMPT);
    if (!text)
        return;
    ss_interrupt_clear();
    cur->file = NULL;
    interp_exec(cur, text);
    ss_interrupt_clear();
    fflush(stdout);
    free(text);
}

int repl_run(session *s)
{
    cur = s;
    s->progress = show_progress;
    s->file = NULL;
    rl_readline_name = "singscope";
    rl_attempted_completion_function = complete_word;
    rl_basic_word_break_characters = " \t\n;";
    rl_catch_signals = 0; /* our SIGINT handler only sets a flag */
    hist_path = repl_history_open(&s->err);
    printf("singscope %s: `help` lists commands, Ctrl-D quits.\n",
           PACKAGE_VERSION);
    rl_callback_handler_install(PROMPT, on_line);
    while (!s->quit) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(STDIN_FILENO, &fds);
        int r = select(STDIN_FILENO + 1, &fds, NULL, NULL, NULL);
        if (r < 0 && errno == EINTR) {
            if (ss_interrupted()) { /* Ctrl-C at the prompt: drop the line */
                ss_interrupt_clear();
                free(pending);
                pending = NULL;
                rl_free_line_state();
                rl_callback_sigcleanup();
                rl_replace_line("", 0);
                printf("^C\n");
                rl_set_prompt(PROMPT);
                rl_on_new_line();
                rl_redisplay();
            }
            continue;
        }
        if (r < 0)
            break;
        rl_callback_read_char();
    }
    rl_callback_handler_remove();
    repl_history_close(&hist_path);
    free(pending);
    pending = NULL;
    return 0;
}
