/* Population design optimisation (design/popopt.h): the glue between a
 * population model's subject FIM and the generic optimal-design library. */
#include "design/popopt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const model *m;
    popfim_opts fim;
    double dose;
    const size_t *idx;
    size_t k, dim;
    gsl_matrix *G; /* P x P scratch */
} info_ctx;

/* a subject sampled at the dim times x: its FIM over the free parameters */
static ss_status subject_info(void *vctx, const double *x, gsl_matrix *mu)
{
    info_ctx *c = vctx;
    ss_status rc = popfim_subject_prevalidated(c->m, c->m->theta, &c->fim,
                                               x, c->dim, c->dose, c->G);
    if (rc != SS_OK)
        return rc;
    for (size_t i = 0; i < c->k; i++)
        for (size_t j = 0; j < c->k; j++)
            gsl_matrix_set(mu, i, j,
                           gsl_matrix_get(c->G, c->idx[i], c->idx[j]));
    return SS_OK;
}

void popopt_result_free(popopt_result *r)
{
    pd_free(r->design);
    free(r->cx);
    free(r->cd);
    free(r->sx);
    free(r->sd);
    memset(r, 0, sizeof *r);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the distinct times of the design, sorted */
static double *design_times(const pop_design *d, size_t *n)
{
    size_t tot = 0;
    for (size_t g = 0; g < d->ngroups; g++)
        tot += d->g[g].nt;
    double *t = malloc(tot * sizeof *t);
    if (!t)
        return NULL;
    size_t k = 0;
    for (size_t g = 0; g < d->ngroups; g++)
        for (size_t i = 0; i < d->g[g].nt; i++)
            t[k++] = d->g[g].t[i];
    qsort(t, tot, sizeof *t, cmp_double);
    size_t u = 0;
    for (size_t i = 0; i < tot; i++)
        if (u == 0 || t[i] != t[u - 1])
            t[u++] = t[i];
    *n = u;
    return t;
}

static double binom(size_t n, size_t k)
{
    double c = 1.0;
    for (size_t i = 1; i <= k; i++)
        c = c * (double)(n - k + i) / (double)i;
    return c;
}

ss_status popopt_run(const model *m, const pop_design *start,
                     const popopt_spec *sp, popopt_result *out)
{
    memset(out, 0, sizeof *out);
    size_t kt = start->g[0].nt;
    double dose = start->g[0].dose;
    for (size_t g = 1; g < start->ngroups; g++) {
        if (start->g[g].nt != kt)
            return SS_FAIL(SS_ERR_USAGE,
                           "optimize: group %zu has %zu times and group 1 "
                           "%zu; the candidate sequences have one length "
                           "(optimise designs with equal numbers of "
                           "samples per subject)",
                           g + 1, start->g[g].nt, kt);
        double dg = start->g[g].dose;
        if (!(dg == dose || (isnan(dg) && isnan(dose))))
            return SS_FAIL(SS_ERR_USAGE,
                           "optimize: the groups have different doses; the "
                           "candidate sequences are sampled after one dose "
                           "(optimise one dose group at a time)");
    }
    if (!(sp->lo >= 0.0) || !(sp->hi > sp->lo))
        return SS_FAIL(SS_ERR_RANGE,
                       "optimize: bounds %g..%g: times need 0 <= lo < hi",
                       sp->lo, sp->hi);
    ss_status rc = model_validate(m, m->theta); /* once, for every mu(x) */
    if (rc != SS_OK)
        return rc;
    size_t *idx = NULL, k = 0;
    rc = model_free_index_list(m, &idx, &k);
    if (rc != SS_OK)
        return rc;
    info_ctx ctx = {m, sp->fim, dose, idx, k, kt,
                    gsl_matrix_alloc(m->P, m->P)};
    char(*names)[MODEL_NAME_MAX] = calloc(k, sizeof *names);
    const char **np = calloc(k, sizeof *np);
    double *times = NULL;
    gsl_matrix *cand = NULL;
    od_design *xi0 = NULL, *xi = NULL;
    od_fw_result fw;
    memset(&fw, 0, sizeof fw);
    if (!ctx.G || !names || !np) {
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < k; i++) {
        model_param_name(m, idx[i], names[i], MODEL_NAME_MAX);
        np[i] = names[i];
    }
    od_problem pb = {k, kt, subject_info, &ctx, np};
    od_criterion crit = {sp->crit, sp->s, sp->sub};

    /* candidate times and sequences */
    size_t nt = 0;
    if (sp->grid) {
        nt = sp->grid;
        times = malloc(nt * sizeof *times);
        for (size_t i = 0; times && i < nt; i++)
            times[i] = sp->lo + (sp->hi - sp->lo) * (double)i /
                                    (double)(nt - 1);
    } else if (sp->times) {
        nt = sp->ntimes;
        times = malloc((nt ? nt : 1) * sizeof *times);
        if (times)
            memcpy(times, sp->times, nt * sizeof *times);
        if (times)
            qsort(times, nt, sizeof *times, cmp_double);
    } else {
        times = design_times(start, &nt);
    }
    if (!times) {
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 1; i < nt; i++)
        if (times[i] == times[i - 1]) {
            rc = SS_FAIL(SS_ERR_USAGE,
                         "optimize: candidate time %g is listed twice",
                         times[i]);
            goto done;
        }
    if (nt < kt) {
        rc = SS_FAIL(SS_ERR_USAGE,
                     "optimize: %zu candidate times cannot make sequences "
                     "of %zu samples",
                     nt, kt);
        goto done;
    }
    if (binom(nt, kt) > POPOPT_MAX_CAND) {
        rc = SS_FAIL(SS_ERR_LIMIT,
                     "optimize: C(%zu, %zu) = %.3g candidate sequences, "
                     "more than %d: give fewer candidate times",
                     nt, kt, binom(nt, kt), POPOPT_MAX_CAND);
        goto done;
    }
    if ((rc = od_cand_subsets(times, nt, kt, &cand)) != SS_OK)
        goto done;
    out->ncand = cand->size1;

    /* the start as an approximate design: weights by group size */
    double N = pd_subjects(start);
    xi0 = od_design_alloc(start->ngroups, kt);
    if (!xi0) {
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t g = 0; g < start->ngroups; g++) {
        memcpy(xi0->x + g * kt, start->g[g].t, kt * sizeof *xi0->x);
        xi0->w[g] = start->g[g].size / N;
    }
    out->value0 = NAN;
    if (od_criterion_value(&pb, &crit, xi0, &out->value0) != SS_OK) {
        if (ss_last_error()->code == SS_ERR_INTERRUPTED) {
            rc = SS_ERR_INTERRUPTED;
            goto done;
        }
        snprintf(out->warning, sizeof out->warning,
                 "the start design is singular (%.400s); ",
                 ss_last_error()->msg);
        ss_clear_error();
    }

    /* Fedorov–Wynn from uniform weights over the candidates */
    od_fw_opts fo;
    od_fw_opts_default(&fo, sp->crit);
    fo.crit = crit;
    rc = od_fedorov_wynn(&pb, cand, NULL, NULL, &fo, &fw);
    if (rc != SS_OK && rc != SS_ERR_INTERRUPTED &&
        strstr(ss_last_error()->msg, "singular")) {
        /* the uniform start has the widest range of any design on these
         * candidates: when it is singular, every such design is */
        char msg[sizeof ss_last_error()->msg];
        snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
        rc = SS_FAIL(ss_last_error()->code,
                     "optimize: no design on %s %zu candidate sequence%s "
                     "can estimate every free parameter (%s singular): "
                     "%.400s",
                     cand->size1 == 1 ? "this" : "these", cand->size1,
                     cand->size1 == 1 ? "" : "s",
                     cand->size1 == 1 ? "it is" : "their uniform mixture "
                                                  "is",
                     msg);
    }
    if (rc != SS_OK)
        goto done;
    out->iter = fw.iter;
    out->converged = fw.converged;
    if (fw.warning[0]) {
        size_t l = strlen(out->warning);
        snprintf(out->warning + l, sizeof out->warning - l, "%.200s; ",
                 fw.warning);
    }
    xi = fw.design;
    fw.design = NULL;

    /* continuous refinement */
    if (sp->refine) {
        int inside = 1;
        for (size_t i = 0; i < xi->n * kt; i++)
            inside &= xi->x[i] >= sp->lo && xi->x[i] <= sp->hi;
        if (!inside) {
            rc = SS_FAIL(SS_ERR_USAGE,
                         "optimize: candidate times outside bounds %g..%g",
                         sp->lo, sp->hi);
            goto done;
        }
        od_refine_opts ro;
        od_refine_opts_default(&ro, sp->crit, sp->lo, sp->hi);
        ro.crit = crit;
        ro.over = (od_over)sp->refine;
        od_refine_result rr;
        rc = od_refine(&pb, &ro, xi, &rr);
        if (rc != SS_OK)
            goto done;
        if (!rr.converged) {
            out->converged = 0;
            size_t l = strlen(out->warning);
            snprintf(out->warning + l, sizeof out->warning - l,
                     "refinement: %.200s; ",
                     rr.warning[0] ? rr.warning : "did not converge");
        }
    }
    if ((rc = od_criterion_value(&pb, &crit, xi, &out->value)) != SS_OK)
        goto done;
    out->eff = 0.0;
    if (isfinite(out->value0) &&
        (rc = od_efficiency(&pb, &crit, xi0, xi, &out->eff)) != SS_OK)
        goto done;

    /* sensitivity over the candidates and the support */
    size_t nc = cand->size1;
    double *dc = malloc(nc * sizeof *dc);
    out->sd = malloc(xi->n * sizeof *out->sd);
    out->sx = malloc(xi->n * sizeof *out->sx);
    if (!dc || !out->sd || !out->sx) {
        free(dc);
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    rc = od_sensitivity(&pb, &crit, xi, cand->data, nc, dc, &out->bound,
                        NULL);
    if (rc == SS_OK)
        rc = od_sensitivity(&pb, &crit, xi, xi->x, xi->n, out->sd,
                            &out->bound, NULL);
    if (rc != SS_OK) {
        free(dc);
        goto done;
    }
    out->maxd = -INFINITY;
    for (size_t i = 0; i < nc; i++)
        out->maxd = fmax(out->maxd, dc[i]);
    for (size_t i = 0; i < xi->n; i++)
        out->maxd = fmax(out->maxd, out->sd[i]);
    out->nsupport = xi->n;
    for (size_t i = 0; i < xi->n; i++)
        out->sx[i] = kt == 1 ? xi->x[i] : NAN;
    if (kt == 1) {
        /* a fine curve over [lo, hi] (times where a subject's variance
         * vanishes, t = 0 under a proportional error, are left out) */
        free(dc);
        out->curve_is_time = 1;
        out->cx = malloc(POPOPT_CURVE * sizeof *out->cx);
        out->cd = malloc(POPOPT_CURVE * sizeof *out->cd);
        if (!out->cx || !out->cd) {
            rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            goto done;
        }
        size_t n = 0;
        for (size_t i = 0; i < POPOPT_CURVE; i++) {
            double t = sp->lo + (sp->hi - sp->lo) * (double)i /
                                    (POPOPT_CURVE - 1);
            double d, b;
            if (od_sensitivity(&pb, &crit, xi, &t, 1, &d, &b, NULL) !=
                SS_OK) {
                if (ss_last_error()->code == SS_ERR_INTERRUPTED) {
                    rc = SS_ERR_INTERRUPTED;
                    goto done;
                }
                ss_clear_error();
                continue;
            }
            out->cx[n] = t;
            out->cd[n++] = d;
            out->maxd = fmax(out->maxd, d);
        }
        out->ncurve = n;
    } else {
        out->cx = malloc(nc * sizeof *out->cx);
        if (!out->cx) {
            free(dc);
            rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < nc; i++)
            out->cx[i] = (double)(i + 1);
        out->cd = dc;
        out->ncurve = nc;
    }

    /* back to a population design: the support in time order (by first
     * time, then the next), subjects by weight */
    for (size_t i = 1; i < xi->n; i++)
        for (size_t j = i; j > 0; j--) {
            double *a = xi->x + (j - 1) * kt, *b = xi->x + j * kt;
            size_t c = 0;
            while (c < kt && a[c] == b[c])
                c++;
            if (c == kt || a[c] < b[c])
                break;
            for (size_t q = 0; q < kt; q++) {
                double tmp = a[q];
                a[q] = b[q];
                b[q] = tmp;
            }
            double tw = xi->w[j - 1];
            xi->w[j - 1] = xi->w[j];
            xi->w[j] = tw;
            if (kt == 1) {
                double td = out->sd[j - 1];
                out->sd[j - 1] = out->sd[j];
                out->sd[j] = td;
                out->sx[j - 1] = xi->x[j - 1];
                out->sx[j] = xi->x[j];
            }
        }
    /* back to a population design: the support, subjects by weight */
    size_t *off = malloc((xi->n + 1) * sizeof *off);
    double *size = malloc(xi->n * sizeof *size);
    double *doses = malloc(xi->n * sizeof *doses);
    if (!off || !size || !doses) {
        free(off);
        free(size);
        free(doses);
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i <= xi->n; i++)
        off[i] = i * kt;
    for (size_t i = 0; i < xi->n; i++) {
        size[i] = xi->w[i] * N;
        doses[i] = dose;
    }
    rc = pd_alloc(xi->n, off, xi->x, size, doses, &out->design, NULL, NULL);
    free(off);
    free(size);
    free(doses);
    out->p = k;
    out->k = kt;
    size_t l = strlen(out->warning);
    if (l >= 2)
        out->warning[l - 2] = 0; /* the last "; " */
done:
    if (rc != SS_OK)
        popopt_result_free(out);
    od_fw_result_free(&fw);
    od_design_free(xi0);
    od_design_free(xi);
    if (cand)
        gsl_matrix_free(cand);
    free(times);
    free(names);
    free(np);
    if (ctx.G)
        gsl_matrix_free(ctx.G);
    free(idx);
    return rc;
}
