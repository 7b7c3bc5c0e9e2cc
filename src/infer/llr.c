/* The likelihood-ratio experiment (llr.h). */
#include "infer/llr.h"

#include "core/replicate.h"
#include "core/rng.h"
#include "infer/fit_int.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- checks ---------------------------------------------------------- */

static size_t count_free(const model *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->P; i++)
        k += m->is_free[i] != 0;
    return k;
}

/* The route fit's method=auto picks. */
static const fit_route *route_for(const model *m) { return fit_route_auto(m); }

/* Same structural options, but for the scale the fits of b estimate
 * (arma's sigma2: its value in the model does not enter them); the first
 * that differs into *which. */
static int same_options(const model *a, const model *b, const char **which)
{
    const model_type *t = a->type;
    const fit_route *rt = route_for(b);
    const char *skip = rt ? rt->scale_opt : NULL;
    for (size_t o = 0; o < t->nopts; o++) {
        *which = t->opts[o].name;
        if (skip && !strcmp(skip, t->opts[o].name))
            continue;
        if (a->opt[o] != b->opt[o])
            return 0;
        if ((a->opt_choice && a->opt_choice[o]) ||
            (b->opt_choice && b->opt_choice[o])) {
            const char *x = a->opt_choice ? a->opt_choice[o] : NULL;
            const char *y = b->opt_choice ? b->opt_choice[o] : NULL;
            if (!x || !y || strcmp(x, y) != 0)
                return 0;
        }
        if (a->optvec || b->optvec) {
            size_t na = 0, nb = 0;
            const double *va = model_opt_vector(a, o, &na);
            const double *vb = model_opt_vector(b, o, &nb);
            if (na != nb || (na && memcmp(va, vb, na * sizeof *va) != 0))
                return 0;
        }
    }
    return a->P == b->P;
}

static ss_status check_nested(const model *null, const model *alt)
{
    if (null->type != alt->type)
        return SS_FAIL(SS_ERR_USAGE,
                       "llr: null and alt must be the same family to be "
                       "nested (null is %s, alt is %s)",
                       null->type->name, alt->type->name);
    const char *which = "";
    if (!same_options(null, alt, &which))
        return SS_FAIL(SS_ERR_USAGE,
                       "llr: null and alt are not nested: they differ in the "
                       "option %s (the same layout is needed)",
                       null->P == alt->P ? which : "that sets the parameters");
    char nm[MODEL_NAME_MAX];
    for (size_t i = 0; i < alt->P; i++) {
        model_param_name(alt, i, nm, sizeof nm);
        double lo = model_param_lo(alt, i), hi = model_param_hi(alt, i);
        double v = null->theta[i];
        if (null->is_free[i] && !alt->is_free[i])
            return SS_FAIL(SS_ERR_USAGE,
                           "llr: null and alt are not nested: %s is free "
                           "in null but fixed in alt",
                           nm);
        if (null->is_free[i] && (model_param_lo(null, i) < lo ||
                                 model_param_hi(null, i) > hi))
            return SS_FAIL(SS_ERR_USAGE,
                           "llr: null and alt are not nested: %s's range in "
                           "null [%g, %g] is not inside alt's [%g, %g]",
                           nm, model_param_lo(null, i),
                           model_param_hi(null, i), lo, hi);
        if (!null->is_free[i] && alt->is_free[i] && !(v >= lo && v <= hi))
            return SS_FAIL(SS_ERR_USAGE,
                           "llr: null and alt are not nested: null fixes %s "
                           "= %g outside alt's range [%g, %g]",
                           nm, v, lo, hi);
        if (!null->is_free[i] && !alt->is_free[i] && v != alt->theta[i])
            return SS_FAIL(SS_ERR_USAGE,
                           "llr: null and alt are not nested: %s is fixed in "
                           "both, at %g in null and %g in alt",
                           nm, v, alt->theta[i]);
    }
    if (count_free(alt) <= count_free(null))
        return SS_FAIL(SS_ERR_USAGE,
                       "llr: alt must have more free parameters than null "
                       "(%zu and %zu)",
                       count_free(alt), count_free(null));
    return SS_OK;
}

/* The truth must be a distribution of alt: the experiment is the test's
 * behaviour under a truth the alternative contains (under the null, or
 * for power, elsewhere in alt); outside it the limit laws say nothing. */
static ss_status check_member(const model *truth, const model *alt)
{
    const char *which = "";
    if (truth->type != alt->type)
        return SS_FAIL(SS_ERR_USAGE,
                       "llr: the truth must be a distribution of alt, and "
                       "it is a %s, alt a %s",
                       truth->type->name, alt->type->name);
    if (!same_options(truth, alt, &which))
        return SS_FAIL(SS_ERR_USAGE,
                       "llr: the truth must be a distribution of alt, and it "
                       "differs from alt in the option %s",
                       truth->P == alt->P ? which
                                          : "that sets the parameters");
    char nm[MODEL_NAME_MAX];
    for (size_t i = 0; i < alt->P; i++) {
        model_param_name(alt, i, nm, sizeof nm);
        double v = truth->theta[i], lo = model_param_lo(alt, i),
               hi = model_param_hi(alt, i);
        if (!alt->is_free[i] && v != alt->theta[i])
            return SS_FAIL(SS_ERR_USAGE,
                           "llr: the truth is not in alt: alt fixes %s = %g, "
                           "the truth has %s = %g",
                           nm, alt->theta[i], nm, v);
        if (alt->is_free[i] && !(v >= lo && v <= hi))
            return SS_FAIL(SS_ERR_USAGE,
                           "llr: the truth is not in alt: its %s = %g lies "
                           "outside alt's range [%g, %g] (widen it with "
                           "`bound` to study power there)",
                           nm, v, lo, hi);
    }
    return SS_OK;
}

ss_status llr_check(const model *truth, const model *null, const model *alt,
                    const llr_spec *sp, size_t *k)
{
    ss_status st = check_nested(null, alt);
    if (st != SS_OK)
        return st;
    if ((st = model_data_compatible(alt, truth)) != SS_OK) {
        char msg[sizeof ss_last_error()->msg];
        snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
        return SS_FAIL(st, "llr: the truth's data do not suit alt: %.400s",
                       msg);
    }
    if ((st = check_member(truth, alt)) != SS_OK)
        return st;
    if (sp->n < 2)
        return SS_FAIL(SS_ERR_RANGE, "llr: n= must be at least 2 (got %zu)",
                       sp->n);
    if (sp->reps < 1 || sp->reps > LLR_REPS_MAX)
        return SS_FAIL(SS_ERR_LIMIT,
                       "llr: reps= must be between 1 and %d (got %zu)",
                       LLR_REPS_MAX, sp->reps);
    size_t count = sp->count ? sp->count : sp->reps - (sp->first < sp->reps
                                                           ? sp->first
                                                           : sp->reps);
    if (sp->first >= sp->reps || count < 1 || count > sp->reps - sp->first)
        return SS_FAIL(SS_ERR_RANGE,
                       "llr: the slice of replicates %zu .. %zu is not "
                       "inside 0 .. %zu",
                       sp->first, sp->first + count, sp->reps);
    if (sp->starts > LLR_STARTS_MAX)
        return SS_FAIL(SS_ERR_LIMIT, "llr: starts= must be at most %d",
                       LLR_STARTS_MAX);
    if (sp->sims != SIZE_MAX && sp->sims > LLR_SIMS_MAX)
        return SS_FAIL(SS_ERR_LIMIT, "llr: sims= must be at most %d",
                       LLR_SIMS_MAX);
    size_t cols = alt->type->data_cols(alt);
    if ((double)sp->n * (double)cols * sizeof(double) > LLR_MAX_BYTES)
        return SS_FAIL(SS_ERR_LIMIT,
                       "llr: n=%zu observations of %zu column%s take more "
                       "than %zu MB a replicate: use n <= %zu",
                       sp->n, cols, cols == 1 ? "" : "s",
                       LLR_MAX_BYTES >> 20,
                       LLR_MAX_BYTES / (cols * sizeof(double)));
    if ((st = model_validate(null, null->theta)) != SS_OK ||
        (st = model_validate(alt, alt->theta)) != SS_OK)
        return st;
    /* an ARMA model the pacf route refuses (a bound on one coefficient of
     * a longer polynomial, checked when its workspace is made): say why
     * before any replicate runs */
    for (int w = 0; w < 2; w++) {
        const model *m = w ? alt : null;
        if (m->type != &model_arma_type || !count_free(m) ||
            route_for(m) != &fit_route_pacf)
            continue;
        fit_ctx c = {.m = m};
        if ((st = fit_route_pacf.ws_alloc(&c)) != SS_OK) {
            char msg[sizeof ss_last_error()->msg];
            snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
            return SS_FAIL(st, "llr: the %s model: %.400s",
                           w ? "alt" : "null", msg);
        }
        fit_route_pacf.ws_free(&c);
    }
    if (!route_for(alt) || (count_free(null) && !route_for(null)))
        return SS_FAIL(SS_ERR_USAGE,
                       "llr: no maximum-likelihood route fits this %s "
                       "model (see help fit)",
                       alt->type->name);
    *k = count_free(alt) - count_free(null);
    return SS_OK;
}

size_t llr_ncols(const model *alt) { return LLR_COL_HAT + count_free(alt); }

/* ---- one replicate ---------------------------------------------------------- */

typedef struct {
    const fit_route *rt;
    fit_ctx c;
    double *th;
} fitter;

typedef struct {
    model *truth, *null, *alt;
    llr_spec sp;
    gsl_rng *r;
    gsl_matrix *X;
    fitter f0, f1;
    double *est0; /* M0's estimate (P) */
} worker;

typedef struct {
    const model *truth, *null, *alt;
    llr_spec sp;
} llr_models;

static void fitter_free(fitter *f)
{
    if (f->rt && f->rt->ws_free && f->c.scratch)
        f->rt->ws_free(&f->c);
    free(f->c.idx);
    free(f->th);
}

static ss_status fitter_init(fitter *f, const model *m, const gsl_matrix *X)
{
    memset(f, 0, sizeof *f);
    f->c.m = m;
    f->c.data = X;
    f->c.n = model_nterms(m, X);
    f->c.maxiter = LLR_MAXITER;
    f->c.idx = malloc((m->P ? m->P : 1) * sizeof *f->c.idx);
    f->th = malloc(m->P * sizeof *f->th);
    if (!f->c.idx || !f->th)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    f->c.k = model_free_indices(m, f->c.idx);
    /* a scale the route profiles out (arma's sigma2, as `fit` does), in
     * both models, also the null with nothing free: 2LLR is then fit's
     * l1 - l0. The sigma2 score is orthogonal to the coefficients' at the
     * truth, so the limit laws are those with sigma2 known. */
    const fit_route *pr = route_for(m);
    if (pr && pr->profile && model_opt_index(m->type, pr->scale_opt) >= 0)
        f->c.profile = pr->profile;
    if (f->c.k == 0)
        return SS_OK;
    f->rt = pr;
    if (!f->rt)
        return SS_FAIL(SS_ERR_USAGE, "llr: no fitting route");
    return f->rt->ws_alloc ? f->rt->ws_alloc(&f->c) : SS_OK;
}

/* ARMA(1,1) with both coefficients free, ma1 spread over its range and
 * ar1's range open: ar1 = -ma1 (clipped into ar1's range), a white-noise
 * point on the singular line at position ma1. At a white-noise truth the
 * likelihood has a ridge there and its maxima lie near the line at
 * positions where the score process peaks; the starts visit positions
 * across the range, and each has the null's log-likelihood (the route
 * never goes below its start). */
static void arma_ridge_start(const fitter *f, double *th)
{
    const model *m = f->c.m;
    if (f->rt != &fit_route_pacf || m->P != 2)
        return;
    int ia = model_param_index(m, "ar1"), im = model_param_index(m, "ma1");
    if (ia < 0 || im < 0 || !m->is_free[ia] || !m->is_free[im] ||
        !isfinite(model_param_lo(m, (size_t)im)) ||
        !isfinite(model_param_hi(m, (size_t)im)) ||
        isfinite(model_param_lo(m, (size_t)ia)) ||
        isfinite(model_param_hi(m, (size_t)ia)))
        return;
    double v = -th[im];
    th[ia] = fabs(v) < 0.99 ? v : copysign(0.99, v);
}

/* Start j (j >= 1) from start 0 (base): the b-th free parameter with a
 * two-sided range at lo + f (hi - lo), f = (j - 1/2)/(J - 1) for even b
 * and 1 - f for odd b (so two bounded parameters spread in opposite
 * directions); parameters with an open range keep base's value. */
static void spread_start(const fitter *f, const double *base, size_t j,
                         size_t J, double *th)
{
    const model *m = f->c.m;
    memcpy(th, base, m->P * sizeof *th);
    double fr = ((double)j - 0.5) / (double)(J - 1);
    size_t b = 0;
    for (size_t a = 0; a < f->c.k; a++) {
        size_t i = f->c.idx[a];
        double lo = model_param_lo(m, i), hi = model_param_hi(m, i);
        if (!isfinite(lo) || !isfinite(hi))
            continue;
        th[i] = lo + (b % 2 ? 1 - fr : fr) * (hi - lo);
        b++;
    }
    arma_ridge_start(f, th);
}

/* The best of J starts (start 0: base); *ok = 0 when none reached a
 * finite optimum. Interrupts and memory failures propagate. */
static ss_status fit_best(fitter *f, const double *base, size_t J,
                          double *best, double *l, int *conv, size_t *iter,
                          int *ok)
{
    const model *m = f->c.m;
    *ok = 0;
    *l = NAN;
    *conv = 0;
    *iter = 0;
    if (f->c.k == 0) {
        memcpy(best, base, m->P * sizeof *best);
        ss_status st = fit_loglik(&f->c, base, l);
        *ok = st == SS_OK && isfinite(*l);
        *conv = *ok;
        if (st == SS_ERR_INTERRUPTED || st == SS_ERR_NOMEM)
            return st;
        ss_clear_error();
        return SS_OK;
    }
    if (f->rt->global) /* the same optimum from any start */
        J = 1;
    for (size_t j = 0; j < J; j++) {
        if (j == 0)
            memcpy(f->th, base, m->P * sizeof *f->th);
        else
            spread_start(f, base, j, J, f->th);
        fit_outcome o = {0};
        ss_status st = model_validate(m, f->th);
        if (st == SS_OK)
            st = f->rt->solve(&f->c, f->th, &o);
        if (st == SS_ERR_INTERRUPTED || st == SS_ERR_NOMEM)
            return st;
        if (st != SS_OK || !isfinite(o.loglik)) {
            ss_clear_error();
            continue;
        }
        if (!*ok || o.loglik > *l) {
            *ok = 1;
            *l = o.loglik;
            *conv = o.converged;
            *iter = o.iter;
            memcpy(best, f->th, m->P * sizeof *best);
        }
    }
    return SS_OK;
}

static void worker_free(void *p)
{
    worker *w = p;
    if (!w)
        return;
    fitter_free(&w->f0);
    fitter_free(&w->f1);
    model_free(w->truth);
    model_free(w->null);
    model_free(w->alt);
    ss_rng_free(w->r);
    if (w->X)
        gsl_matrix_free(w->X);
    free(w->est0);
    free(w);
}

static void *worker_alloc(void *ctx)
{
    const llr_models *lm = ctx;
    worker *w = calloc(1, sizeof *w);
    if (!w) {
        SS_FAIL(SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->sp = lm->sp;
    w->truth = model_clone(lm->truth);
    w->null = model_clone(lm->null);
    w->alt = model_clone(lm->alt);
    w->r = ss_rng_alloc();
    w->est0 = malloc(lm->alt->P * sizeof *w->est0);
    if (w->truth)
        w->X = gsl_matrix_alloc(lm->sp.n, w->truth->type->data_cols(w->truth));
    if (!w->truth || !w->null || !w->alt || !w->r || !w->X || !w->est0) {
        worker_free(w);
        SS_FAIL(SS_ERR_NOMEM, "out of memory for a replicate's data set");
        return NULL;
    }
    if (fitter_init(&w->f0, w->null, w->X) != SS_OK ||
        fitter_init(&w->f1, w->alt, w->X) != SS_OK) {
        worker_free(w);
        return NULL;
    }
    return w;
}

/* Replicate r (absolute) into row. */
static ss_status worker_row(worker *w, size_t r, double *row)
{
    size_t J = w->sp.starts ? w->sp.starts : LLR_STARTS_DEFAULT;
    ss_rng_seed(w->r, w->sp.seed, SS_STREAM_LLR, r);
    ss_status st =
        w->truth->type->sample(w->truth, w->truth->theta, w->r, w->X);
    if (st != SS_OK)
        return st;
    double l0, l1;
    int c0, c1, ok0, ok1 = 0;
    size_t it0, it1 = 0;
    double *hat = malloc(w->alt->P * sizeof *hat);
    if (!hat)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    st = fit_best(&w->f0, w->null->theta, J, w->est0, &l0, &c0, &it0, &ok0);
    /* M1's first start is M0's estimate, a point of M1 (nested), so the
     * monotone routes give l1 >= l0 */
    if (st == SS_OK)
        st = fit_best(&w->f1, ok0 ? w->est0 : w->alt->theta, J, hat, &l1,
                      &c1, &it1, &ok1);
    if (st != SS_OK) {
        free(hat);
        return st;
    }
    int fail = !ok0 || !ok1;
    row[LLR_COL_STAT] = fail ? NAN : 2 * (l1 - l0);
    row[LLR_COL_L0] = ok0 ? l0 : NAN;
    row[LLR_COL_L1] = ok1 ? l1 : NAN;
    row[LLR_COL_CONV0] = ok0 && c0;
    row[LLR_COL_CONV1] = ok1 && c1;
    row[LLR_COL_ITER0] = (double)it0;
    row[LLR_COL_ITER1] = (double)it1;
    row[LLR_COL_FAIL] = fail;
    for (size_t a = 0; a < w->f1.c.k; a++)
        row[LLR_COL_HAT + a] = ok1 ? hat[w->f1.c.idx[a]] : NAN;
    free(hat);
    return SS_OK;
}

ss_status llr_row(const model *truth, const model *null, const model *alt,
                  const llr_spec *sp, size_t r, double *row)
{
    llr_models lm = {truth, null, alt, *sp};
    worker *w = worker_alloc(&lm);
    if (!w)
        return ss_last_error()->code ? ss_last_error()->code : SS_ERR_NOMEM;
    ss_status st = worker_row(w, r, row);
    worker_free(w);
    return st;
}

/* ---- the result ------------------------------------------------------- */

double llr_kolmogorov_q(double lambda)
{
    if (!(lambda > 0))
        return 1;
    if (lambda < 0.2)
        return 1; /* 1 - 2.4e-11 */
    double s = 0;
    for (int j = 1; j <= 100; j++) {
        double t = exp(-2.0 * j * j * lambda * lambda);
        s += (j % 2 ? 2 : -2) * t;
        if (t < 1e-17)
            break;
    }
    return fmin(1, fmax(0, s));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void llr_result_free(llr_result *r)
{
    if (!r)
        return;
    free(r->colnames);
    free(r->rows);
    free(r->sims);
    free(r);
}

/* Everything of the result but the rows and the summaries: names, sizes,
 * the limit law and its simulation. */
/* How a model's fits are made, for `show`: "nothing free", "profile
 * (global)", "em, 4 starts". */
static void describe_fits(const llr_result *r, const model *m, size_t k,
                          char *buf, size_t n)
{
    const fit_route *rt = k ? fit_route_auto(m) : NULL;
    size_t J = r->sp.starts ? r->sp.starts : LLR_STARTS_DEFAULT;
    if (!k)
        snprintf(buf, n, "nothing free");
    else if (!rt)
        snprintf(buf, n, "no route");
    else if (rt->global)
        snprintf(buf, n, "%s (global, one start)", rt->name);
    else
        snprintf(buf, n, "%s, %zu start%s", rt->name, J, J == 1 ? "" : "s");
}

static ss_status result_alloc(const llr_spec *sp, const model *truth,
                              const model *null, const model *alt,
                              size_t first, size_t count, llr_result **out)
{
    *out = NULL;
    size_t k;
    llr_spec s2 = *sp;
    s2.first = first;
    s2.count = count;
    ss_status st = llr_check(truth, null, alt, &s2, &k);
    if (st != SS_OK)
        return st;
    llr_result *r = calloc(1, sizeof *r);
    if (!r)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    r->sp = s2;
    r->sp.starts = sp->starts ? sp->starts : LLR_STARTS_DEFAULT;
    r->sp.sims = sp->sims == SIZE_MAX ? LLR_SIMS_DEFAULT : sp->sims;
    r->k0 = count_free(null);
    r->k1 = count_free(alt);
    describe_fits(r, null, r->k0, r->fit0, sizeof r->fit0);
    describe_fits(r, alt, r->k1, r->fit1, sizeof r->fit1);
    r->k = k;
    snprintf(r->kind, sizeof r->kind, "%s", alt->type->name);
    r->ncols = llr_ncols(alt);
    r->colnames = calloc(r->ncols, sizeof *r->colnames);
    r->rows = malloc(count * r->ncols * sizeof *r->rows);
    if (!r->colnames || !r->rows) {
        llr_result_free(r);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for %zu replicates",
                       count);
    }
    for (size_t i = 0; i < count * r->ncols; i++)
        r->rows[i] = NAN;
    static const char *const base[LLR_COL_HAT] = {
        "2llr", "l0", "l1", "conv0", "conv1", "iter0", "iter1", "fail"};
    for (size_t c = 0; c < LLR_COL_HAT; c++)
        snprintf(r->colnames[c], RT_NAME_MAX, "%s", base[c]);
    char nm[MODEL_NAME_MAX];
    for (size_t i = 0, a = 0; i < alt->P; i++)
        if (alt->is_free[i]) {
            model_param_name(alt, i, nm, sizeof nm);
            snprintf(r->colnames[LLR_COL_HAT + a++], RT_NAME_MAX, "hat_%s",
                     nm);
        }
    limit_identify(truth, null, alt, &r->law);
    if (r->law.kind != LIMIT_NONE && r->sp.sims > 0) {
        r->sims = malloc(r->sp.sims * sizeof *r->sims);
        if (!r->sims) {
            llr_result_free(r);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory for %zu simulations",
                           r->sp.sims);
        }
        st = limit_simulate(&r->law, sp->seed, r->sp.sims, r->sims,
                            &r->jitter);
        if (st != SS_OK) {
            llr_result_free(r);
            return st;
        }
        qsort(r->sims, r->sp.sims, sizeof *r->sims, cmp_double);
        r->nsims = r->sp.sims;
    }
    *out = r;
    return SS_OK;
}

/* The summaries of the rows done. */
static ss_status result_summarize(llr_result *r)
{
    size_t nd = r->ndone;
    r->nonconv0 = r->nonconv1 = r->failed = 0;
    for (size_t i = 0; i < nd; i++) {
        const double *row = r->rows + i * r->ncols;
        r->failed += row[LLR_COL_FAIL] != 0;
        r->nonconv0 += row[LLR_COL_CONV0] == 0;
        r->nonconv1 += row[LLR_COL_CONV1] == 0;
    }
    ss_status st = rt_summarize(r->rows + LLR_COL_STAT, r->ncols, nd, &r->s);
    if (st != SS_OK)
        return st;
    double *x = malloc((nd ? nd : 1) * sizeof *x);
    if (!x)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < nd; i++) {
        double v = r->rows[i * r->ncols + LLR_COL_STAT];
        if (isfinite(v))
            x[m++] = v;
    }
    qsort(x, m, sizeof *x, cmp_double);
    double K = (double)r->k;
    r->crit = gsl_cdf_chisq_Pinv(0.95, K);
    r->q90 = m ? rt_quantile_sorted(x, m, 0.90) : NAN;
    r->q99 = m ? rt_quantile_sorted(x, m, 0.99) : NAN;
    size_t rej = 0;
    double D = 0;
    for (size_t i = 0; i < m; i++) {
        rej += x[i] > r->crit;
        double F = gsl_cdf_chisq_P(fmax(x[i], 0), K);
        D = fmax(D, fmax((double)(i + 1) / (double)m - F,
                         F - (double)i / (double)m));
    }
    double sm = sqrt((double)m);
    r->reject = m ? (double)rej / (double)m : NAN;
    r->reject_se = m ? sqrt(r->reject * (1 - r->reject) / (double)m) : NAN;
    r->ks_chi2 = m ? D : NAN;
    /* Stephens' (1970) finite-n form of the Kolmogorov tail */
    r->ks_chi2_p = m ? llr_kolmogorov_q((sm + 0.12 + 0.11 / sm) * D) : NAN;
    r->lim_mean = r->lim_q95 = r->ks_limit = r->ks_limit_p = NAN;
    r->reject_limit = NAN;
    if (r->nsims) {
        size_t L = r->nsims;
        double s = 0;
        for (size_t j = 0; j < L; j++)
            s += r->sims[j];
        r->lim_mean = s / (double)L;
        r->lim_q95 = rt_quantile_sorted(r->sims, L, 0.95);
        if (m) {
            /* two-sample distance: walk both sorted samples */
            size_t i = 0, j = 0;
            double D2 = 0;
            while (i < m && j < L) {
                double t = fmin(x[i], r->sims[j]);
                while (i < m && x[i] <= t)
                    i++;
                while (j < L && r->sims[j] <= t)
                    j++;
                D2 = fmax(D2, fabs((double)i / (double)m -
                                   (double)j / (double)L));
            }
            double ne = (double)m * (double)L / ((double)m + (double)L);
            double se = sqrt(ne);
            r->ks_limit = D2;
            r->ks_limit_p = llr_kolmogorov_q((se + 0.12 + 0.11 / se) * D2);
            size_t rl = 0;
            for (size_t a = 0; a < m; a++)
                rl += x[a] > r->lim_q95;
            r->reject_limit = (double)rl / (double)m;
        }
    }
    free(x);
    return SS_OK;
}

ss_status llr_result_build(const llr_spec *sp, const model *truth,
                           const model *null, const model *alt,
                           const double *rows, size_t first, size_t count,
                           llr_result **out)
{
    llr_result *r = NULL;
    ss_status st = result_alloc(sp, truth, null, alt, first, count, &r);
    if (st != SS_OK)
        return st;
    memcpy(r->rows, rows, count * r->ncols * sizeof *rows);
    r->ndone = count;
    if ((st = result_summarize(r)) != SS_OK) {
        llr_result_free(r);
        return st;
    }
    *out = r;
    return SS_OK;
}

/* ---- the iteration -------------------------------------------------------------- */

struct llr_iter {
    llr_models lm;
    llr_result *res;
    rep_job *job;
    int finished;
};

static void *it_worker_alloc(void *ctx) { return worker_alloc(ctx); }

static ss_status run_rep(void *p, size_t rep, double *row)
{
    worker *w = p;
    size_t r = w->sp.first + rep;
    ss_status st = worker_row(w, r, row);
    if (st != SS_OK && st != SS_ERR_INTERRUPTED) {
        char msg[sizeof ss_last_error()->msg];
        snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
        return SS_FAIL(st, "llr replicate %zu (seed %llu): %s", r + 1,
                       (unsigned long long)w->sp.seed, msg);
    }
    return st;
}

void llr_iter_free(llr_iter *it)
{
    if (!it)
        return;
    if (it->job && !it->finished)
        rep_abandon(it->job);
    llr_result_free(it->res);
    free(it);
}

ss_status llr_iter_alloc(const model *truth, const model *null,
                         const model *alt, const llr_spec *sp,
                         llr_iter **out)
{
    *out = NULL;
    size_t k;
    ss_status st = llr_check(truth, null, alt, sp, &k);
    if (st != SS_OK)
        return st;
    size_t count = sp->count ? sp->count : sp->reps - sp->first;
    llr_iter *it = calloc(1, sizeof *it);
    if (!it)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if ((st = result_alloc(sp, truth, null, alt, sp->first, count,
                           &it->res)) != SS_OK) {
        free(it);
        return st;
    }
    it->lm = (llr_models){truth, null, alt, it->res->sp};
    rep_spec rs = {.nrep = count, .ncols = it->res->ncols,
                   .threads = sp->threads, .worker_alloc = it_worker_alloc,
                   .worker_free = worker_free, .run = run_rep, .ctx = &it->lm,
                   .tick_ms = 10};
    if ((st = rep_start(&rs, &it->job)) != SS_OK) {
        llr_iter_free(it);
        return st;
    }
    *out = it;
    return SS_OK;
}

/* Copy the replicates finished in order from ndone on. */
static void absorb(llr_iter *it, const double *rows,
                   const unsigned char *done)
{
    llr_result *r = it->res;
    r->ndone = rep_absorb_prefix(it->job, rows, done, r->rows, r->ncols,
                                 r->ndone, r->sp.count);
}

ss_status llr_iter_iterate(llr_iter *it)
{
    if (it->res->ndone >= it->res->sp.count)
        return SS_OK;
    ss_status st = rep_iterate(it->job);
    absorb(it, NULL, NULL);
    return st;
}

int llr_iter_test(const llr_iter *it)
{
    return it->res->ndone >= it->res->sp.count || rep_test(it->job);
}

const llr_result *llr_iter_result(const llr_iter *it) { return it->res; }

ss_status llr_iter_take(llr_iter *it, int interrupted, llr_result **out)
{
    *out = NULL;
    llr_result *r = it->res;
    if (!it->finished) {
        rep_stop(it->job);
        double *rows = NULL;
        unsigned char *done = NULL;
        ss_status st = rep_finish(it->job, &rows, &done, NULL);
        it->finished = 1;
        /* a replicate stopped inside its fits by Ctrl-C is not finished;
         * the ones before it are kept */
        if (st == SS_ERR_INTERRUPTED && interrupted) {
            ss_clear_error();
            st = SS_OK;
        }
        if (st == SS_OK && rows && done)
            absorb(it, rows, done);
        free(rows);
        free(done);
        if (st != SS_OK)
            return st;
    }
    for (size_t i = r->ndone * r->ncols; i < r->sp.count * r->ncols; i++)
        r->rows[i] = NAN;
    if (r->ndone == 0)
        return SS_FAIL(SS_ERR_INTERRUPTED,
                       "interrupted before the first replicate finished: "
                       "nothing was stored");
    r->interrupted = interrupted || r->ndone < r->sp.count;
    ss_status st = result_summarize(r);
    if (st != SS_OK)
        return st;
    it->res = NULL;
    *out = r;
    return SS_OK;
}

static ss_status it_iterate(void *s) { return llr_iter_iterate(s); }
static int it_test(const void *s) { return llr_iter_test(s); }
static void it_progress(const void *s, size_t *done, size_t *total)
{
    const llr_iter *it = s;
    *done = it->res->ndone;
    *total = it->res->sp.count;
}
static void it_stop(void *s)
{
    const llr_iter *it = s;
    rep_stop(it->job);
}

const ss_iter_type llr_iter_type = {"llr", it_iterate, it_test, it_progress,
                                    it_stop};
