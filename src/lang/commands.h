/* The command table: name, synopsis, help and handler of every command.
 * `help`, tab completion, docs/commands.md and the test that every command
 * is documented all read this one table; the usage line is generated from
 * the synopsis, the option table and the `as` declaration (cmd_usage). */
#ifndef SS_COMMANDS_H
#define SS_COMMANDS_H

#include "fim/map.h"
#include "fim/path.h"
#include "lang/args.h"
#include "lang/parse.h"
#include "lang/render.h"
#include "lang/session.h"

/* What the first positional argument names, for completion. */
typedef enum {
    COMPL_NONE,
    COMPL_OBJECT,  /* any stored object; later words complete its params */
    COMPL_MODEL,   /* a model; later words complete its parameters */
    COMPL_FILE,
    COMPL_COMMAND,
    COMPL_FORMAT
} cmd_compl;

/* Whether a command takes `as NAME` (only when it stores a result). */
typedef enum {
    CMD_AS_NONE,     /* no `as` (stores is NULL) */
    CMD_AS_OPTIONAL, /* `[as NAME]`: stored under a default name without */
    CMD_AS_REQUIRED  /* `as NAME`: the command fails without it */
} cmd_as;

typedef struct {
    const char *name;
    /* The positional part of the usage only ("sample NAME", "path NAME
     * PARAM: FROM -> TO"); the keys come from opts and `as` from the
     * fields below. Commands without a table (model, set) write it all. A
     * second line is the positional part of a second form ("path NAME"),
     * which takes the options flagged OPT_ALT (required there and absent
     * from the first form) and "..." for the others. */
    const char *synopsis;
    const char *summary; /* one line */
    const char *help;    /* paragraphs, examples */
    ss_status (*run)(session *s, const ss_stmt *st);
    cmd_compl first;
    const cmd_opt *opts; /* keyword options and flags, ended by {NULL}; NULL:
                          * none (model, set and fix take parameters) */
    const obj_type *stores; /* what `as NAME` stores, NULL: `as` not allowed */
    cmd_as as;              /* none (stores NULL), optional or required */
    const char *as_meta;    /* the name in `as NAME`; NULL: RESULT */
} cmd_def;

const cmd_def *cmd_table(size_t *n);
const cmd_def *cmd_find(const char *name);
/* The nearest command name by edit distance, or NULL if none is close. */
const char *cmd_suggest(const char *name);
/* The usage of c generated from its table: the synopsis, then every key
 * in table order (required keys bare, optional ones and flags in
 * brackets), then `as NAME`. With width > 0, lines are broken at word
 * boundaries so that none passes width columns when the first starts at
 * column indent; a continued line is indented under the first argument, a
 * second form (a second synopsis line) starts on its own line at column
 * indent. width 0:
 * one line per form. Returns the length the whole text needs (as
 * snprintf). */
size_t cmd_usage(const cmd_def *c, size_t indent, size_t width, char *buf,
                 size_t n);
/* One line on an option for help: "n=N  draws of method=mc: a whole
 * number in [2, 1000000000]; default 100000". */
void cmd_option_line(const cmd_opt *o, char *buf, size_t n);
/* Write the whole reference as Markdown (docs/commands.md). */
void cmd_write_markdown(const ss_sink *out);

/* Handlers, grouped by file. */
ss_status cmd_model(session *s, const ss_stmt *st);
ss_status cmd_merge(session *s, const ss_stmt *st);
/* What `posterior` and `freeenergy` read alike (cmd_posterior.c): the
 * model, `as NAME` (checked against stores), data=, samples=, chains=,
 * burnin=, threads= and sampler= (seed= is args_seed_begin's); and the
 * column an error of theirs belongs to. */
typedef struct {
    const char *name;
    struct model *m;
    dataset *d;
    uint64_t samples, chains, burnin, threads;
    int mala;
} mcmc_args;
ss_status mcmc_args_read(session *s, const ss_stmt *st, const obj_type *stores,
                         const char *stored, mcmc_args *out);
int mcmc_error_col(const ss_stmt *st);
/* What `merge` stores: the result type of the experiment it replays, so
 * its `as NAME` is checked then, against that type (cmd_merge.c). */
extern const obj_type obj_merged;
ss_status cmd_models(session *s, const ss_stmt *st);
ss_status cmd_set(session *s, const ss_stmt *st);
ss_status cmd_fix(session *s, const ss_stmt *st);
ss_status cmd_free(session *s, const ss_stmt *st);
ss_status cmd_bound(session *s, const ss_stmt *st);
ss_status cmd_show(session *s, const ss_stmt *st);
ss_status cmd_sample(session *s, const ss_stmt *st);
ss_status cmd_fim(session *s, const ss_stmt *st);
ss_status cmd_design(session *s, const ss_stmt *st);
ss_status cmd_optimize(session *s, const ss_stmt *st);
ss_status cmd_eig(session *s, const ss_stmt *st);
ss_status cmd_format(session *s, const ss_stmt *st);
ss_status cmd_seed(session *s, const ss_stmt *st);
ss_status cmd_source(session *s, const ss_stmt *st);
ss_status cmd_help(session *s, const ss_stmt *st);
ss_status cmd_quit(session *s, const ss_stmt *st);
ss_status cmd_list(session *s, const ss_stmt *st);
ss_status cmd_delete(session *s, const ss_stmt *st);
ss_status cmd_echo(session *s, const ss_stmt *st);
ss_status cmd_path(session *s, const ss_stmt *st);
ss_status cmd_map(session *s, const ss_stmt *st);
ss_status cmd_export(session *s, const ss_stmt *st);
ss_status cmd_plot(session *s, const ss_stmt *st);
ss_status cmd_train(session *s, const ss_stmt *st);
ss_status cmd_sweep(session *s, const ss_stmt *st);
ss_status cmd_flow(session *s, const ss_stmt *st);
ss_status cmd_portrait(session *s, const ss_stmt *st);
ss_status cmd_plateaus(session *s, const ss_stmt *st);
ss_status cmd_replicate(session *s, const ss_stmt *st);
ss_status cmd_fit(session *s, const ss_stmt *st);
ss_status cmd_select(session *s, const ss_stmt *st);
ss_status cmd_llr(session *s, const ss_stmt *st);
ss_status cmd_prior(session *s, const ss_stmt *st);
ss_status cmd_posterior(session *s, const ss_stmt *st);
ss_status cmd_freeenergy(session *s, const ss_stmt *st);
ss_status cmd_rlct(session *s, const ss_stmt *st);
ss_status cmd_sbic(session *s, const ss_stmt *st);
ss_status cmd_spectrum(session *s, const ss_stmt *st);
/* spectrum with widths= (cmd_spectrum_sweep.c) */
ss_status cmd_spectrum_sweep(session *s, const ss_stmt *st);
ss_status cmd_fimapprox(session *s, const ss_stmt *st);
ss_status cmd_load(session *s, const ss_stmt *st);
ss_status cmd_loglik(session *s, const ss_stmt *st);
/* The FIM options of fim, eig and path (method, n, data, seed) as a
 * request; mc draws its seed from the session unless seed= is given. */
/* Run a FIM request on m as a session job (Ctrl-C keeps what finished). */
ss_status cmd_fim_run(session *s, const model *m, const fim_request *req,
                      fim_result **out);
ss_status cmd_fim_request(session *s, const ss_stmt *st, fim_request *req);
ss_status cmd_layout(session *s, const ss_stmt *st);




#endif
