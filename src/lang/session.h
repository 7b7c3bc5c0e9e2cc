/* The session: named objects (models, data sets, results), output settings,
 * the session RNG and where input is coming from. One session serves the
 * REPL, scripts, -e, batch mode and (later) the TUI. */
#ifndef SS_SESSION_H
#define SS_SESSION_H

#include "core/iter.h"
#include "core/sink.h"
#include "core/tblstream.h"
#include "core/status.h"

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>

typedef struct ss_obj ss_obj;
typedef struct session session;
typedef struct render_request render_request; /* lang/render.h */
typedef struct canvas canvas;                 /* plot/canvas.h */

/* Where a stored object came from, for the `#` line of an export. */
typedef struct {
    const char *model;      /* the model it describes ("" or NULL: none) */
    const char *kind;       /* that model's family, or NULL */
    const double *point;    /* the point it was made at, or NULL: the
                               model's current values */
    size_t npoint;          /* entries of point */
    const char *point_word; /* "at", "starting at", ... */
} obj_origin;

/* A numeric table described row by row (core/tblstream.h). head is an
 * array of ncols names allocated by the class and freed by the caller;
 * ctx is the object itself. */
typedef struct {
    const char **head;
    size_t ncols, nrows;
    tbl_row_fn row;
    void *ctx;
} obj_table;

/* Each kind of stored object is a const class (lang/obj_*.c, one file
 * each): `show`, `export`, `plot`, `list` and the UI's panes dispatch
 * through it and never ask which kind an object is. */
typedef struct obj_type {
    const char *name; /* "FIM", "path", ... */
    void (*free)(void *p);
    /* `show`: text or CSV (by s->csv) to s->out */
    void (*print)(session *s, const char *name, const void *p);
    /* `export`: table `part` of nparts (each its own CSV file); NULL:
     * what print prints */
    void (*export_rows)(session *s, const char *name, const void *p,
                        int part);
    int nparts;                    /* 0 or 1: one table */
    /* A table too large to write in one step (a data set of 10^7 rows),
     * as rows fetched one at a time: `export` then runs as a job (progress,
     * Ctrl-C between blocks, also in the full-screen UI). NULL, or 0
     * returned: export_rows or print. */
    int (*export_table)(const void *p, int part, obj_table *out);
    const char *const *part_names; /* nparts names: {"points", "fits"} */
    /* NULL: nothing to say */
    void (*origin)(const void *p, obj_origin *out);
    /* `plot`: draw onto c (already sized); NULL: no picture */
    ss_status (*draw)(session *s, const render_request *req, const void *p,
                      canvas *c);
    const char *picture;   /* "a path picture", for messages */
    const char *plot_keys; /* options the picture takes besides width,
                              height, in and title */
    int min_w, min_h;      /* the smallest canvas it draws on */
    int overlay;           /* how many objects of this type one picture
                              draws (plot A B ..); 0 or 1: one */
} obj_type;

extern const obj_type obj_model;   /* model * */
extern const obj_type obj_data;    /* dataset * */
extern const obj_type obj_fim;     /* fim_result * */
extern const obj_type obj_eig;     /* eig_obj * */
extern const obj_type obj_path;    /* path_result * */
extern const obj_type obj_map;     /* map_result * */
extern const obj_type obj_run;     /* learn_run * (learn/run.h) */
extern const obj_type obj_portrait; /* learn_portrait * (learn/portrait.h) */
extern const obj_type obj_reptable; /* reptable * (core/reptable.h) */
extern const obj_type obj_fit;      /* fit_result * (infer/fit.h) */
extern const obj_type obj_select;   /* select_result * (infer/select.h) */
extern const obj_type obj_llr;      /* llr_result * (infer/llr.h) */
extern const obj_type obj_posterior; /* post_result * (bayes/posterior.h) */
extern const obj_type obj_freeenergy; /* fe_result * (bayes/ladder.h) */
extern const obj_type obj_rlct; /* rlct_result * (bayes/rlct.h) */
extern const obj_type obj_sbic; /* sbic_report * (bayes/sbic.h) */
extern const obj_type obj_spectrum; /* ws_result * (fim/wide_spectrum.h) */
extern const obj_type obj_spectrum_sweep; /* wsw_result * (fim/wide_sweep.h) */
extern const obj_type obj_fimapprox; /* fa_result * (fim/fim_approx.h) */
extern const obj_type obj_sweep; /* learn_sweep * (learn/sweep.h) */
extern const obj_type obj_design; /* pop_design * (design/popdesign.h) */

#define OBJ_NAME_MAX 64

struct ss_obj {
    char name[OBJ_NAME_MAX];
    const obj_type *type;
    void *ptr;
    char origin[160]; /* the command that made it, for `list` */
    unsigned long gen; /* session_put count when stored: a new value
                          means the object under this name was replaced */
};

typedef struct {
    gsl_matrix *X;               /* n x cols */
    char kind[32];               /* model kind it was drawn from */
    char from[OBJ_NAME_MAX];     /* model name, or "" */
    char (*colnames)[32];
    struct model *gen;           /* a copy of the model at the point the
                                    data were drawn from (owned), or NULL */
    char *file;                  /* loaded: the file it was read from
                                    (owned); NULL: drawn */
} dataset;

/* The memory bound of a data set: rows x columns doubles (sample, load). */
#define DATASET_MAX_BYTES ((uint64_t)2 << 30)

void dataset_free(dataset *d);


/* A long computation a command hands to the front end: an iteration
 * (core/iter.h) plus what its result looks like while it grows, so the
 * full-screen UI can draw it live. */
typedef struct {
    ss_iter it;
    const char *what;          /* "path", "map", ... for the status line */
    const obj_type *live_type; /* type of the result being filled, or NULL */
    const void *(*live)(const void *state); /* that result so far */
    const char *store_as;      /* the name the command stores it under */
} session_job;

/* What a front end with panes (the TUI) does for commands that concern the
 * screen. NULL hooks (batch, plain REPL): `plot` prints text, `layout`
 * explains that it needs the full-screen UI. */
typedef struct {
    /* Show `req` (a render_request *) in pane `pane` (-1: the focused one). */
    ss_status (*plot)(session *s, const void *req, int pane);
    /* Change the pane grid: "1", "2", "2x2", "1+2", ... */
    ss_status (*layout)(session *s, const char *spec);
    /* Drive a job to its end, drawing between steps (NULL: the plain
     * driver). Returns as ss_iter_drive does. */
    ss_status (*drive)(session *s, const session_job *job);
} session_ui;

/* Progress of a long computation: done of total, with a label. */
typedef void (*session_progress_fn)(session *s, const char *what,
                                    size_t done, size_t total);

struct session {
    ss_obj *objs;
    size_t nobjs;
    int csv;               /* --format csv */
    uint64_t seed;
    gsl_rng *rng;          /* session RNG: sample/mc without seed= draw here */
    ss_sink out, err;
    /* input position, maintained by the interpreter */
    const char *file;      /* NULL at the prompt / -e */
    int line;
    int source_depth;
    int quit;              /* set by `quit` */
    session_progress_fn progress;
    const session_ui *ui_hooks; /* NULL outside the TUI */
    void *ui;              /* front-end private pointer */
    char current[OBJ_NAME_MAX]; /* the model last created or changed: the
                                   TUI's information pane follows it */
    unsigned long generation;   /* bumped by every command that succeeds,
                                   so a front end knows to refresh */
    unsigned long puts;         /* objects stored so far (obj.gen) */
    /* `merge` replays an experiment's command with its rows taken from
     * shard files (lang/shard.h); NULL otherwise */
    const struct exp_rows *merge;
};

/* Run a job to its end in whatever front end is attached: the UI's driver,
 * or a loop that calls s->progress between steps. Ctrl-C stops it between
 * steps (SS_ERR_INTERRUPTED), keeping the steps finished. */
ss_status session_drive(session *s, const session_job *job);
/* The same for a job whose finished steps are a result: Ctrl-C is then
 * not a failure (SS_OK, the error cleared) and *stopped says it came. */
ss_status session_drive_keeping(session *s, const session_job *job,
                                int *stopped);

/* A tick for code that drives an iteration itself (rep_run): reports its
 * progress through s->progress (ctx is the session). */
void session_tick(void *ctx, const ss_iter *it);

session *session_new(ss_sink out, ss_sink err, uint64_t seed);
void session_delete(session *s);
void session_reseed(session *s, uint64_t seed);

ss_obj *session_find(session *s, const char *name);
/* Look up name and require a type; records an error naming what exists. */
ss_status session_get(session *s, const char *name, const obj_type *type,
                      int col, void **out);
/* Store (replacing any object of that name); takes ownership of ptr even
 * on failure. */
ss_status session_put(session *s, const char *name, const obj_type *type,
                      void *ptr, const char *origin);
ss_status session_remove(session *s, const char *name);
/* Whether an object of the given type may be stored under name: not too
 * long, and not replacing an object of another kind (which would silently
 * turn a model into a data set). Checked before any work is done. */
ss_status session_check_name(session *s, const char *name,
                             const obj_type *type, int col);

#define session_printf(s, ...) ss_sink_printf(&(s)->out, __VA_ARGS__)

#endif
