/* Experiments in shards (lang/shard.h): the slice of shard=I/N, the
 * experiment's fingerprint, the header of a shard file and reading shard
 * files back for `merge`. */
#include "config.h"

#include "lang/shard.h"

#include "lang/args.h"
#include "lang/commands.h"

#include "core/hash.h"
#include "model/model.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int skipped_key(const char *key)
{
    return key && (!strcmp(key, "shard") || !strcmp(key, "threads") ||
                   !strcmp(key, "seed"));
}

static ss_status parse_slice(const ss_stmt *st, size_t reps, shard_slice *sl)
{
    *sl = (shard_slice){0, 0, 0, reps};
    const ss_stmt_arg *a = args_key(st, "shard");
    if (!a)
        return SS_OK;
    unsigned long i = 0, n = 0;
    char tail = 0;
    if (a->v.kind != VAL_STR ||
        sscanf(a->v.str, "%lu/%lu%c", &i, &n, &tail) != 2)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                           "shard= takes I/N, the I-th of N slices (1/4)");
    if (n < 1 || i < 1 || i > n)
        return SS_FAIL_COL(SS_ERR_RANGE, a->v.col,
                           "shard=%lu/%lu: I must be between 1 and N", i, n);
    if (n > reps)
        return SS_FAIL_COL(SS_ERR_RANGE, a->v.col,
                           "shard=%lu/%lu: %zu replicates cannot be cut into "
                           "%lu slices (at most one slice per replicate)",
                           i, n, reps, n);
    if (!args_key(st, "seed"))
        return SS_FAIL_COL(SS_ERR_USAGE, a->key_col,
                           "shard= needs seed=: every shard must draw the "
                           "replicates of the same experiment");
    sl->i = (unsigned)i;
    sl->n = (unsigned)n;
    /* floor((i-1) R / n) without overflow for R up to 2^53 */
    sl->first = (size_t)(((double)(i - 1) * (double)reps) / (double)n);
    size_t end = (size_t)(((double)i * (double)reps) / (double)n);
    sl->count = end - sl->first;
    return SS_OK;
}

static uint64_t hash_object(uint64_t h, session *s, const char *name)
{
    ss_obj *o = session_find(s, name);
    if (!o)
        return h;
    if (o->type == &obj_model) {
        h = ss_hash_str(h, name);
        h = ss_hash_u64(h, model_fingerprint(o->ptr));
    } else if (o->type == &obj_data) {
        const dataset *d = o->ptr;
        h = ss_hash_str(h, name);
        h = ss_hash_u64(h, d->X->size1);
        h = ss_hash_u64(h, d->X->size2);
        for (size_t i = 0; i < d->X->size1; i++)
            for (size_t j = 0; j < d->X->size2; j++)
                h = ss_hash_double(h, gsl_matrix_get(d->X, i, j));
    }
    return h;
}

ss_status exp_origin_make(session *s, const ss_stmt *st, size_t reps,
                          uint64_t seed, exp_origin *out)
{
    memset(out, 0, sizeof *out);
    out->reps = reps;
    ss_status rc = parse_slice(st, reps, &out->slice);
    if (rc != SS_OK)
        return rc;
    /* the command as the numbers depend on it */
    ss_stmt_arg *kept = malloc((st->nargs + 1) * sizeof *kept);
    if (!kept)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    size_t nk = 0;
    for (size_t i = 0; i < st->nargs; i++)
        if (!skipped_key(st->args[i].key))
            kept[nk++] = st->args[i];
    ss_stmt c = *st;
    c.args = kept;
    c.nargs = nk;
    c.as_name = NULL;
    args_origin(&c, out->command, sizeof out->command);
    size_t len = strlen(out->command); /* the seed used, given or drawn */
    snprintf(out->command + len, sizeof out->command - len, " seed=%llu",
             (unsigned long long)seed);
    uint64_t h = ss_hash_str(SS_HASH_INIT, PACKAGE_VERSION);
    h = ss_hash_str(h, out->command);
    for (size_t i = 0; i < nk; i++) {
        const ss_val *v = &kept[i].v;
        if (v->kind == VAL_IDENT || v->kind == VAL_STR)
            h = hash_object(h, s, v->str);
        else if (v->kind == VAL_NAMES)
            for (size_t k = 0; k < v->n; k++)
                h = hash_object(h, s, v->names[k]);
    }
    free(kept);
    out->fingerprint = h;
    return SS_OK;
}

void exp_origin_slice_text(const exp_origin *o, char *buf, size_t n)
{
    const shard_slice *sl = &o->slice;
    int w = snprintf(buf, n, "%zu..%zu of %zu", sl->first + 1,
                     sl->first + sl->count, o->reps);
    if (sl->n && w >= 0 && (size_t)w < n)
        snprintf(buf + w, n - (size_t)w, " (shard %u/%u)", sl->i, sl->n);
}

void exp_origin_write(session *s, const exp_origin *o)
{
    char sl[128];
    exp_origin_slice_text(o, sl, sizeof sl);
    session_printf(s, "# experiment: %s\n# fingerprint: %016" PRIx64
                      "\n# replicates: %s\n",
                   o->command, o->fingerprint, sl);
}

int exp_is_merge(const session *s) { return s->merge != NULL; }

ss_status exp_merged_rows(session *s, const exp_origin *o, size_t ncols,
                          const char *const *colnames, const double **rows)
{
    const exp_rows *m = s->merge;
    *rows = NULL;
    if (!m)
        return SS_FAIL(SS_ERR_USAGE, "no shards are being merged");
    if (o->slice.n)
        return SS_FAIL(SS_ERR_USAGE, "the merged experiment's command has "
                                     "shard=, which merge cannot replay");
    if (m->origin.fingerprint != o->fingerprint)
        return SS_FAIL(SS_ERR_USAGE,
                       "the shards were made by `%s` from other models or "
                       "data than this session's (or another version of "
                       "singscope): fingerprint %016" PRIx64 ", here %016"
                       PRIx64 "; define the same objects first",
                       o->command, m->origin.fingerprint, o->fingerprint);
    if (m->origin.reps != o->reps || m->ncols != ncols)
        return SS_FAIL(SS_ERR_USAGE, "the shards hold %zu replicates of %zu "
                                     "values, the experiment %zu of %zu",
                       m->origin.reps, m->ncols, o->reps, ncols);
    for (size_t c = 0; colnames && c < ncols; c++)
        if (strcmp(m->colnames[c], colnames[c]))
            return SS_FAIL(SS_ERR_USAGE, "the shards' column %zu is '%s', "
                                         "the experiment's '%s'",
                           c + 2, m->colnames[c], colnames[c]);
    *rows = m->rows;
    return SS_OK;
}

const char *exp_merged_name(const session *s, size_t c)
{
    return s->merge && c < s->merge->ncols ? s->merge->colnames[c] : NULL;
}

void exp_rows_free(exp_rows *r)
{
    if (!r)
        return;
    if (r->colnames)
        for (size_t c = 0; c < r->ncols; c++)
            free(r->colnames[c]);
    free(r->colnames);
    free(r->rows);
    free(r);
}

/* ---- reading shard files ---------------------------------------------- */

typedef struct {
    const char *path;
    FILE *f;
    size_t line;
    char *buf;
    size_t cap;
} line_reader;

/* The next line without its end (CR LF or LF); 0 at the end of the file. */
static int next_line(line_reader *lr)
{
    ssize_t len = getline(&lr->buf, &lr->cap, lr->f);
    if (len < 0)
        return 0;
    lr->line++;
    while (len > 0 && (lr->buf[len - 1] == '\n' || lr->buf[len - 1] == '\r'))
        lr->buf[--len] = 0;
    return 1;
}

/* Split a CSV line in place into fields: commas separate, a field in
 * double quotes may hold commas ("G[v,w1]") and "" for a quote. Returns
 * the number of fields (those past max are counted, not stored), or 0
 * for an unterminated quote. */
static size_t split_fields(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *start = p, *w = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p)
                    return 0;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
        }
        while (*p && *p != ',')
            *w++ = *p++;
        int more = *p == ',';
        if (more)
            p++;
        *w = 0;
        if (n < max)
            fields[n] = start;
        n++;
        if (!more)
            return n;
    }
}

/* A field of a row: a number in round-trip form, or empty for "none". */
static int read_field(const char *f, double *v)
{
    while (*f == ' ')
        f++;
    if (!*f) {
        *v = NAN;
        return 1;
    }
    char *end;
    errno = 0;
    *v = strtod(f, &end);
    while (*end == ' ')
        end++;
    return *end == 0 && !isnan(*v); /* inf: as tbl_format_num writes it */
}

typedef struct {
    exp_origin o;
    int have_cmd, have_fp, have_slice;
    size_t ncols;
    char **names;
} shard_head;

static void head_free(shard_head *h)
{
    if (h->names)
        for (size_t c = 0; c < h->ncols; c++)
            free(h->names[c]);
    free(h->names);
    h->names = NULL;
}

static ss_status header_line(line_reader *lr, shard_head *h)
{
    const char *t = lr->buf + 1;
    while (*t == ' ')
        t++;
    if (!strncmp(t, "experiment: ", 12)) {
        snprintf(h->o.command, sizeof h->o.command, "%s", t + 12);
        h->have_cmd = 1;
    } else if (!strncmp(t, "fingerprint: ", 13)) {
        char *end;
        h->o.fingerprint = strtoull(t + 13, &end, 16);
        if (*end)
            return SS_FAIL(SS_ERR_IO, "%s:%zu: a fingerprint is 16 hex "
                                         "digits",
                           lr->path, lr->line);
        h->have_fp = 1;
    } else if (!strncmp(t, "replicates: ", 12)) {
        size_t a, b, r;
        unsigned i = 0, n = 0;
        int k = sscanf(t + 12, "%zu..%zu of %zu (shard %u/%u)", &a, &b, &r,
                       &i, &n);
        if ((k != 3 && k != 5) || a < 1 || b < a - 1 || b > r)
            return SS_FAIL(SS_ERR_IO, "%s:%zu: expected 'replicates: "
                                         "A..B of R'",
                           lr->path, lr->line);
        h->o.reps = r;
        h->o.slice = (shard_slice){k == 5 ? i : 0, k == 5 ? n : 0, a - 1,
                                   b - a + 1};
        h->have_slice = 1;
    }
    return SS_OK;
}

/* Read one file's header and rows into the merged table, which is
 * allocated by the first file (then *m is NULL). seen[r] names the file
 * that gave replicate r (index + 1). */
static ss_status read_one(const char *path, size_t fileno, exp_rows **mp,
                          size_t **seen, const char *const *paths)
{
    line_reader lr = {path, fopen(path, "r"), 0, NULL, 0};
    if (!lr.f)
        return SS_FAIL(SS_ERR_IO, "%s: %s", path, strerror(errno));
    shard_head h = {0};
    ss_status rc = SS_OK;
    char **fields = NULL;
    int have_head = 0;
    while (rc == SS_OK && next_line(&lr)) {
        if (lr.buf[0] == '#') {
            if (!have_head)
                rc = header_line(&lr, &h);
            continue;
        }
        if (!lr.buf[0])
            continue;
        if (!have_head) {
            if (!h.have_cmd || !h.have_fp || !h.have_slice) {
                rc = SS_FAIL(SS_ERR_IO,
                             "%s:%zu: not a shard file: the '# experiment:', "
                             "'# fingerprint:' and '# replicates:' lines "
                             "of an experiment's export are missing",
                             path, lr.line);
                break;
            }
            /* a copy to count the fields, then the line itself */
            char *copy = strdup(lr.buf);
            int copied = copy != NULL;
            size_t nf = copy ? split_fields(copy, NULL, 0) : 0;
            free(copy);
            fields = nf ? malloc((nf + 1) * sizeof *fields) : NULL;
            if (!fields) {
                rc = copied ? SS_FAIL(SS_ERR_IO, "%s:%zu: an unterminated "
                                               "quote",
                                    path, lr.line)
                          : SS_FAIL(SS_ERR_NOMEM, "out of memory");
                break;
            }
            split_fields(lr.buf, fields, nf);
            if (nf < 2 || strcmp(fields[0], "rep")) {
                rc = SS_FAIL(SS_ERR_IO, "%s:%zu: expected the header "
                                           "rep,... of an experiment's rows",
                             path, lr.line);
                break;
            }
            h.ncols = nf - 1;
            h.names = calloc(h.ncols, sizeof *h.names);
            for (size_t c = 0; h.names && c < h.ncols; c++)
                if (!(h.names[c] = strdup(fields[c + 1])))
                    rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            if (!h.names)
                rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            if (rc != SS_OK)
                break;
            exp_rows *m = *mp;
            if (!m) {
                m = calloc(1, sizeof *m);
                if (!m || (double)h.o.reps * (double)h.ncols >
                              (double)(SIZE_MAX / sizeof(double))) {
                    free(m);
                    rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
                    break;
                }
                m->origin = h.o;
                m->origin.slice = (shard_slice){0, 0, 0, h.o.reps};
                m->ncols = h.ncols;
                m->colnames = h.names;
                h.names = NULL;
                m->rows = malloc(h.o.reps * h.ncols * sizeof *m->rows);
                *seen = calloc(h.o.reps, sizeof **seen);
                *mp = m;
                if (!m->rows || !*seen) {
                    rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
                    break;
                }
            } else {
                if (strcmp(m->origin.command, h.o.command) ||
                    m->origin.fingerprint != h.o.fingerprint ||
                    m->origin.reps != h.o.reps) {
                    rc = SS_FAIL(SS_ERR_USAGE,
                                 "%s is a shard of another experiment than "
                                 "%s: `%s` (fingerprint %016" PRIx64
                                 ") against `%s` (%016" PRIx64 ")",
                                 path, paths[0], h.o.command,
                                 h.o.fingerprint, m->origin.command,
                                 m->origin.fingerprint);
                    break;
                }
                int same = h.ncols == m->ncols;
                for (size_t c = 0; same && c < h.ncols; c++)
                    same = !strcmp(h.names[c], m->colnames[c]);
                if (!same) {
                    rc = SS_FAIL(SS_ERR_IO, "%s:%zu: the columns differ "
                                               "from those of %s",
                                 path, lr.line, paths[0]);
                    break;
                }
            }
            char **more = realloc(fields, (h.ncols + 2) * sizeof *fields);
            if (!more) {
                rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
                break;
            }
            fields = more;
            have_head = 1;
            continue;
        }
        exp_rows *m = *mp;
        size_t nf = split_fields(lr.buf, fields, h.ncols + 2);
        if (nf != h.ncols + 1) {
            rc = SS_FAIL(SS_ERR_IO, "%s:%zu: %zu fields, the header has "
                                       "%zu",
                         path, lr.line, nf, h.ncols + 1);
            break;
        }
        double r;
        if (!read_field(fields[0], &r) || r != floor(r) || r < 1 ||
            r > (double)m->origin.reps) {
            rc = SS_FAIL(SS_ERR_IO, "%s:%zu: '%s' is not a replicate "
                                       "number between 1 and %zu",
                         path, lr.line, fields[0], m->origin.reps);
            break;
        }
        size_t ri = (size_t)r - 1;
        if (ri < h.o.slice.first || ri >= h.o.slice.first + h.o.slice.count) {
            rc = SS_FAIL(SS_ERR_IO, "%s:%zu: replicate %zu lies outside "
                                       "the file's slice %zu..%zu",
                         path, lr.line, ri + 1, h.o.slice.first + 1,
                         h.o.slice.first + h.o.slice.count);
            break;
        }
        if ((*seen)[ri]) {
            rc = SS_FAIL(SS_ERR_USAGE, "%s:%zu: replicate %zu is also in %s",
                         path, lr.line, ri + 1, paths[(*seen)[ri] - 1]);
            break;
        }
        for (size_t c = 0; c < h.ncols; c++)
            if (!read_field(fields[c + 1], &m->rows[ri * h.ncols + c])) {
                rc = SS_FAIL(SS_ERR_IO, "%s:%zu: field %zu ('%s') is not "
                                           "a number",
                             path, lr.line, c + 2, fields[c + 1]);
                break;
            }
        (*seen)[ri] = fileno + 1;
    }
    if (rc == SS_OK && ferror(lr.f))
        rc = SS_FAIL(SS_ERR_IO, "%s: %s", path, strerror(errno));
    if (rc == SS_OK && !have_head)
        rc = SS_FAIL(SS_ERR_IO, "%s: no replicate rows (not a shard file "
                                   "of an experiment's export)",
                     path);
    head_free(&h);
    free(fields);
    free(lr.buf);
    fclose(lr.f);
    return rc;
}

ss_status exp_rows_read(const char *const *paths, size_t npaths,
                        exp_rows **out)
{
    *out = NULL;
    exp_rows *m = NULL;
    size_t *seen = NULL;
    ss_status rc = SS_OK;
    for (size_t f = 0; rc == SS_OK && f < npaths; f++)
        rc = read_one(paths[f], f, &m, &seen, paths);
    if (rc == SS_OK) {
        /* every replicate exactly once: name the first gap */
        size_t R = m->origin.reps, a = 0;
        while (a < R && seen[a])
            a++;
        if (a < R) {
            size_t b = a;
            while (b < R && !seen[b])
                b++;
            size_t have = 0;
            for (size_t r = 0; r < R; r++)
                have += seen[r] != 0;
            rc = SS_FAIL(SS_ERR_USAGE,
                         "the files hold %zu of the %zu replicates of `%s`: "
                         "%zu..%zu %s missing (a shard not given, or "
                         "interrupted)",
                         have, R, m->origin.command, a + 1, b,
                         b == a + 1 ? "is" : "are");
        }
    }
    free(seen);
    if (rc != SS_OK) {
        exp_rows_free(m);
        return rc;
    }
    m->nfiles = npaths;
    *out = m;
    return SS_OK;
}
