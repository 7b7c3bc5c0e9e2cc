/* A shard of a Bayesian experiment (posterior, rlct): the raw replicate
 * rows of its slice (chains, chunks of draws or runs), which only `merge`
 * turns into the experiment's result, since a summary of one slice (its
 * WAIC, its slope) is not a part of the whole one. `show` says what the
 * shard is and what to do with it; `export` writes the shard file
 * (lang/shard.h): the experiment's header, then rep,v1,...,vN, one row a
 * replicate, in round-trip precision. */
#include "lang/commands.h"
#include "lang/shard.h"

#include "core/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void exp_shard_free(exp_shard *sh)
{
    if (!sh)
        return;
    free(sh->rows);
    free(sh);
}

static void free_shard(void *p) { exp_shard_free(p); }

static void print_shard(session *s, const char *name, const void *p)
{
    const exp_shard *sh = p;
    char sl[128];
    exp_origin_slice_text(&sh->origin, sl, sizeof sl);
    if (s->csv) {
        exp_origin_write(s, &sh->origin);
        return;
    }
    session_printf(s, "%s: a shard of `%s`\n", name, sh->origin.command);
    session_printf(s, "  %s: %s%s (%zu values each)\n", sh->unit, sl,
                   sh->nrows < sh->origin.slice.count ? ", interrupted" : "",
                   sh->ncols);
    if (sh->nrows < sh->origin.slice.count)
        session_printf(s, "  only %zu of the slice's %zu %s finished: merge "
                          "will name the rest as missing\n",
                       sh->nrows, sh->origin.slice.count, sh->unit);
    session_printf(s, "  `export %s FILE.csv` writes it; `merge` of every "
                      "shard's file gives the %s of a single run\n",
                   name, sh->what);
}

static void row_fn(void *ctx, size_t i, double *v)
{
    const exp_shard *sh = ctx;
    v[0] = (double)(sh->origin.slice.first + i + 1);
    memcpy(v + 1, sh->rows + i * sh->ncols, sh->ncols * sizeof *v);
}

static void export_shard(session *s, const char *name, const void *p,
                         int part)
{
    (void)name;
    (void)part;
    const exp_shard *sh = p;
    /* v1..vN: the layout is the experiment's own, fixed by its command
     * and fingerprint, which merge checks */
    size_t width = 24;
    const char **head = calloc(sh->ncols + 1, sizeof *head);
    char *names = malloc((sh->ncols + 1) * width);
    if (!head || !names) {
        free(head);
        free(names);
        return;
    }
    head[0] = "rep";
    for (size_t c = 0; c < sh->ncols; c++) {
        char *nm = names + c * width;
        snprintf(nm, width, "v%zu", c + 1);
        head[c + 1] = nm;
    }
    if (s->csv)
        exp_origin_write(s, &sh->origin);
    tbl_print_numeric(&s->out, head, sh->ncols + 1, sh->nrows, row_fn,
                      (void *)sh, s->csv, 0);
    free(head);
    free(names);
}

const obj_type obj_shard = {.name = "shard",
                            .free = free_shard,
                            .print = print_shard,
                            .export_rows = export_shard};

ss_status exp_shard_store(session *s, const char *name,
                          const exp_origin *o, const char *what,
                          const char *unit, double *rows, size_t nrows,
                          size_t ncols, const char *origin)
{
    exp_shard *sh = calloc(1, sizeof *sh);
    if (!sh) {
        free(rows);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    sh->origin = *o;
    snprintf(sh->what, sizeof sh->what, "%s", what);
    snprintf(sh->unit, sizeof sh->unit, "%s", unit);
    sh->rows = rows;
    sh->nrows = nrows;
    sh->ncols = ncols;
    print_shard(s, name, sh);
    return session_put(s, name, &obj_shard, sh, origin);
}

size_t exp_merged_ncols(const session *s)
{
    return s->merge ? s->merge->ncols : 0;
}

ss_status exp_merged_raw(session *s, const exp_origin *o, size_t ncols,
                        const double **rows)
{
    ss_status rc = exp_merged_rows(s, o, ncols, NULL, rows);
    for (size_t c = 0; rc == SS_OK && c < ncols; c++) {
        const char *nm = exp_merged_name(s, c);
        char want[24];
        snprintf(want, sizeof want, "v%zu", c + 1);
        if (strcmp(nm, want)) {
            *rows = NULL;
            rc = SS_FAIL(SS_ERR_USAGE, "the shards' column %zu is '%s', a "
                                       "shard of raw rows has '%s'",
                         c + 2, nm, want);
        }
    }
    return rc;
}
