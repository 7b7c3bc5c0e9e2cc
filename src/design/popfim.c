/* Population FIMs of designs (design/popfim.h, docs/theory.md section 17).
 * GSL failures (a Cholesky factor of a matrix that is not positive
 * definite) are judged by return codes: the program's recording error
 * handler (ss_gsl_install_handler) is in place, and this code, which runs
 * on the map's threads, does not switch GSL's global handler.
 * Every method reduces a subject to a normal N(mu, V) and its derivatives
 * mu_a, V_a over the P parameters; gauss_fim turns those into M. */
#include "design/popfim.h"

#include "core/interrupt.h"
#include "core/rng.h"
#include "model/pop.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the stream of the mc method's draws (core/rng.h numbers up to 23) */
#define POPFIM_STREAM 25

const char *popfim_method_name(popfim_method m)
{
    switch (m) {
    case POPFIM_FO: return "fo";
    case POPFIM_FO_FULL: return "fo-full";
    case POPFIM_QUAD: return "quad";
    case POPFIM_MC: return "mc";
    }
    return "?";
}

/* ---- the normal subject ---------------------------------------------------
 * mu (n), V (n x n), dmu (P x n), dV (P blocks of n x n, with has_dV[a]
 * saying which are not zero). */
typedef struct {
    size_t n, P;
    double *mu, *V, *dmu, *dV;
    unsigned char *has_dV;
} normal_subj;

static void ns_free(normal_subj *s)
{
    free(s->mu);
    free(s->V);
    free(s->dmu);
    free(s->dV);
    free(s->has_dV);
}

static ss_status ns_alloc(normal_subj *s, size_t n, size_t P)
{
    s->n = n;
    s->P = P;
    s->mu = calloc(n, sizeof *s->mu);
    s->V = calloc(n * n, sizeof *s->V);
    s->dmu = calloc(P * n, sizeof *s->dmu);
    s->dV = calloc(P * n * n, sizeof *s->dV);
    s->has_dV = calloc(P, 1);
    if (!s->mu || !s->V || !s->dmu || !s->dV || !s->has_dV) {
        ns_free(s);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    return SS_OK;
}

/* M_ab = mu_a^T V^-1 mu_b + tr(V^-1 V_a V^-1 V_b)/2 through the Cholesky
 * factor of V; `reduced` drops the terms between fixed effects (a < npsi)
 * and the variance parameters. */
static ss_status gauss_fim(const normal_subj *s, const double *t,
                           size_t npsi, int reduced, gsl_matrix *M)
{
    size_t n = s->n, P = s->P;
    for (size_t j = 0; j < n; j++)
        if (!(s->V[j * n + j] > 0.0))
            return SS_FAIL(SS_ERR_RANGE,
                           "the observation at t = %g has zero variance "
                           "(the mean and its random effects vanish there "
                           "and the residual is proportional): drop that "
                           "time or add an additive error",
                           t[j]);
    double *L = malloc(n * n * sizeof *L);
    double *B = malloc(P * n * sizeof *B);      /* V^-1 mu_a */
    double *A = malloc(P * n * n * sizeof *A);  /* V^-1 V_a */
    ss_status rc = SS_OK;
    if (!L || !B || !A) {
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    memcpy(L, s->V, n * n * sizeof *L);
    gsl_matrix_view Lv = gsl_matrix_view_array(L, n, n);
    int e = gsl_linalg_cholesky_decomp1(&Lv.matrix);
    if (e) {
        rc = SS_FAIL(SS_ERR_NUMERIC,
                     "the covariance of a subject's observations is not "
                     "positive definite at these times (repeated times "
                     "with no residual variance?)");
        goto done;
    }
    /* B = rows mu_a V^-1 (V symmetric) and A_a = V^-1 V_a, by triangular
     * solves with the factor L (V = L L^T) on whole matrices */
    memcpy(B, s->dmu, P * n * sizeof *B);
    gsl_matrix_view Bv = gsl_matrix_view_array(B, P, n);
    gsl_blas_dtrsm(CblasRight, CblasLower, CblasTrans, CblasNonUnit, 1.0,
                   &Lv.matrix, &Bv.matrix);
    gsl_blas_dtrsm(CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, 1.0,
                   &Lv.matrix, &Bv.matrix);
    for (size_t a = 0; a < P; a++) {
        if (!s->has_dV[a])
            continue;
        double *Aa = A + a * n * n;
        memcpy(Aa, s->dV + a * n * n, n * n * sizeof *Aa);
        gsl_matrix_view Av = gsl_matrix_view_array(Aa, n, n);
        gsl_blas_dtrsm(CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
                       1.0, &Lv.matrix, &Av.matrix);
        gsl_blas_dtrsm(CblasLeft, CblasLower, CblasTrans, CblasNonUnit, 1.0,
                       &Lv.matrix, &Av.matrix);
    }
    for (size_t a = 0; a < P; a++)
        for (size_t b = 0; b <= a; b++) {
            int cross = (a < npsi) != (b < npsi);
            double v = 0.0;
            if (!(reduced && cross)) {
                for (size_t j = 0; j < n; j++)
                    v += s->dmu[a * n + j] * B[b * n + j];
                if (s->has_dV[a] && s->has_dV[b]) {
                    const double *Aa = A + a * n * n, *Ab = A + b * n * n;
                    double tr = 0.0;
                    for (size_t i = 0; i < n; i++)
                        for (size_t j = 0; j < n; j++)
                            tr += Aa[i * n + j] * Ab[j * n + i];
                    v += 0.5 * tr;
                }
            }
            gsl_matrix_set(M, a, b, v);
            gsl_matrix_set(M, b, a, v);
        }
done:
    free(L);
    free(B);
    free(A);
    return rc;
}

/* ---- first order ----------------------------------------------------------*/

/* f, its gradient F (n x npsi) and Z = dF/deta (n x q) at psi */
static ss_status predict_z(const model *m, const pop_spec *sp,
                           const double *psi, double dose, const double *t,
                           size_t n, double *f, double *F, double *Z)
{
    ss_status rc = sp->predict(m, psi, dose, t, n, f, F);
    if (rc != SS_OK)
        return rc;
    size_t q = sp->neta, np = sp->npsi;
    for (size_t j = 0; j < n; j++)
        for (size_t k = 0; k < q; k++)
            Z[j * q + k] = F[j * np + sp->eta_psi[k]] * psi[sp->eta_psi[k]];
    return SS_OK;
}

/* V += Z Omega Z^T restricted... in full: Out = A Omega B^T + B Omega A^T
 * when sym, else A Omega A^T (A, B n x q). */
static void zoz(const double *A, const double *B, const double *om, size_t n,
                size_t q, double *out)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double v = 0.0;
            for (size_t k = 0; k < q; k++)
                for (size_t l = 0; l < q; l++) {
                    double w = om[k * q + l];
                    if (w == 0.0)
                        continue;
                    v += A[i * q + k] * w * B[j * q + l];
                    if (B != A)
                        v += B[i * q + k] * w * A[j * q + l];
                }
            out[i * n + j] += v;
        }
}

/* dV for the Omega and residual parameters (they enter V linearly, or
 * through their square on the SD scale) */
static void variance_derivs(const pop_spec *sp, const double *theta,
                            const double *Zv, const double *Fres, size_t n,
                            normal_subj *s)
{
    size_t q = sp->neta;
    for (size_t p = 0; p < sp->nomega; p++) {
        size_t a = sp->omega_first + p, k = p, l = p;
        if (sp->omega_full) {
            k = 0;
            while ((k + 1) * (k + 2) / 2 <= p)
                k++;
            l = p - k * (k + 1) / 2;
        }
        double scale = sp->sd_scale ? 2.0 * theta[a] : 1.0;
        double *D = s->dV + a * n * n;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double v = Zv[i * q + k] * Zv[j * q + l];
                if (k != l)
                    v += Zv[i * q + l] * Zv[j * q + k];
                D[i * n + j] = scale * v;
            }
        s->has_dV[a] = 1;
    }
    for (size_t r = 0; r < sp->nsigma; r++) {
        size_t a = sp->sigma_first + r;
        int prop = sp->err != POP_ERR_ADD && r == 0;
        double scale = sp->sd_scale ? 2.0 * theta[a] : 1.0;
        double *D = s->dV + a * n * n;
        for (size_t j = 0; j < n; j++)
            D[j * n + j] = scale * (prop ? Fres[j] : 1.0);
        s->has_dV[a] = 1;
    }
}

static ss_status fo_subject(const model *m, const pop_spec *sp,
                            const double *theta, int full, const double *t,
                            size_t n, double dose, gsl_matrix *M)
{
    size_t P = m->P, np = sp->npsi, q = sp->neta;
    normal_subj s;
    ss_status rc = ns_alloc(&s, n, P);
    if (rc != SS_OK)
        return rc;
    double *F = calloc(n * np, sizeof *F), *Z = calloc(n * (q ? q : 1), sizeof *Z);
    double *F2 = calloc(n * np, sizeof *F2), *Z2 = calloc(n * (q ? q : 1), sizeof *Z2);
    double *f2 = calloc(n, sizeof *f2), *dZ = calloc(n * (q ? q : 1), sizeof *dZ);
    double *f2sq = calloc(n, sizeof *f2sq);
    if (!F || !Z || !F2 || !Z2 || !f2 || !dZ || !f2sq) {
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    double om[POP_MAX_ETA * POP_MAX_ETA], spv, sav;
    pop_omega(sp, theta, om);
    pop_sigma2(sp, theta, &spv, &sav);
    rc = predict_z(m, sp, theta, dose, t, n, s.mu, F, Z);
    if (rc != SS_OK)
        goto done;
    zoz(Z, Z, om, n, q, s.V);
    for (size_t j = 0; j < n; j++) {
        s.V[j * n + j] += sav + spv * s.mu[j] * s.mu[j];
        f2sq[j] = s.mu[j] * s.mu[j];
    }
    for (size_t a = 0; a < np; a++)
        for (size_t j = 0; j < n; j++)
            s.dmu[a * n + j] = F[j * np + a];
    variance_derivs(sp, theta, Z, f2sq, n, &s);
    if (full) {
        /* dZ/dpsi_a by central differences of the exact gradient: steps
         * 1e-5 psi_a give truncation ~1e-10 and rounding ~1e-11 */
        double psi[POP_MAX_PSI];
        for (size_t a = 0; a < np; a++) {
            double h = 1e-5 * (theta[a] != 0.0 ? fabs(theta[a]) : 1.0);
            memcpy(psi, theta, np * sizeof *psi);
            psi[a] = theta[a] + h;
            rc = predict_z(m, sp, psi, dose, t, n, f2, F2, Z2);
            if (rc != SS_OK)
                goto done;
            memcpy(dZ, Z2, n * q * sizeof *dZ);
            psi[a] = theta[a] - h;
            rc = predict_z(m, sp, psi, dose, t, n, f2, F2, Z2);
            if (rc != SS_OK)
                goto done;
            for (size_t i = 0; i < n * q; i++)
                dZ[i] = (dZ[i] - Z2[i]) / (2.0 * h);
            double *D = s.dV + a * n * n;
            zoz(dZ, Z, om, n, q, D);
            for (size_t j = 0; j < n; j++)
                D[j * n + j] += 2.0 * spv * s.mu[j] * F[j * np + a];
            s.has_dV[a] = 1;
        }
    }
    rc = gauss_fim(&s, t, np, !full, M);
done:
    free(F);
    free(Z);
    free(F2);
    free(Z2);
    free(f2);
    free(dZ);
    free(f2sq);
    ns_free(&s);
    return rc;
}

/* ---- exact moments (quad, mc) --------------------------------------------
 * y's mean and covariance over eta = S z (S the symmetric square root of
 * Omega, z standard normal on nodes with weights), then their
 * derivatives by central differences on the same nodes. */
typedef struct {
    size_t N, q;
    double *z, *w; /* N x q nodes, N weights */
} nodes;

static ss_status moments(const model *m, const pop_spec *sp,
                         const double *theta, const nodes *nd,
                         const double *t, size_t n, double dose, double *mu,
                         double *V, double *fi)
{
    size_t q = sp->neta, np = sp->npsi;
    double om[POP_MAX_ETA * POP_MAX_ETA], S[POP_MAX_ETA * POP_MAX_ETA];
    double spv, sav;
    pop_omega(sp, theta, om);
    pop_sigma2(sp, theta, &spv, &sav);
    if (q > 0) {
        gsl_matrix_view Om = gsl_matrix_view_array(om, q, q);
        gsl_matrix *Q = gsl_matrix_alloc(q, q);
        gsl_vector *ev = gsl_vector_alloc(q);
        gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(q);
        if (!Q || !ev || !w) {
            gsl_matrix_free(Q);
            gsl_vector_free(ev);
            gsl_eigen_symmv_free(w);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        gsl_eigen_symmv(&Om.matrix, ev, Q, w);
        for (size_t i = 0; i < q; i++)
            for (size_t j = 0; j < q; j++) {
                double v = 0.0;
                for (size_t k = 0; k < q; k++)
                    v += gsl_matrix_get(Q, i, k) *
                         sqrt(fmax(gsl_vector_get(ev, k), 0.0)) *
                         gsl_matrix_get(Q, j, k);
                S[i * q + j] = v;
            }
        gsl_matrix_free(Q);
        gsl_vector_free(ev);
        gsl_eigen_symmv_free(w);
    }
    memset(mu, 0, n * sizeof *mu);
    memset(V, 0, n * n * sizeof *V);
    double resid[PD_MAX_TIMES] = {0};
    double psi[POP_MAX_PSI];
    for (size_t r = 0; r < nd->N; r++) {
        if ((r & 4095) == 4095 && ss_interrupted())
            return SS_FAIL(SS_ERR_INTERRUPTED, "interrupted");
        memcpy(psi, theta, np * sizeof *psi);
        for (size_t k = 0; k < q; k++) {
            double eta = 0.0;
            for (size_t l = 0; l < q; l++)
                eta += S[k * q + l] * nd->z[r * q + l];
            psi[sp->eta_psi[k]] *= exp(eta);
        }
        ss_status rc = sp->predict(m, psi, dose, t, n, fi, NULL);
        if (rc != SS_OK)
            return rc;
        double w = nd->w[r];
        for (size_t i = 0; i < n; i++) {
            mu[i] += w * fi[i];
            resid[i] += w * (sav + spv * fi[i] * fi[i]);
            for (size_t j = 0; j <= i; j++)
                V[i * n + j] += w * fi[i] * fi[j];
        }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double v = V[i * n + j] - mu[i] * mu[j];
            if (i == j)
                v += resid[i];
            V[i * n + j] = V[j * n + i] = v;
        }
    return SS_OK;
}

static ss_status make_nodes(const pop_spec *sp, const popfim_opts *o,
                            nodes *nd)
{
    size_t q = sp->neta;
    nd->q = q;
    if (o->method == POPFIM_MC) {
        size_t N = o->nsim ? o->nsim : 4096;
        if (N > POPFIM_MC_MAX)
            return SS_FAIL(SS_ERR_LIMIT,
                           "method=mc takes at most %d draws of eta "
                           "(n=%zu): its draws are kept for every "
                           "parameter's difference",
                           POPFIM_MC_MAX, N);
        nd->N = N;
        nd->z = malloc(N * (q ? q : 1) * sizeof *nd->z);
        nd->w = malloc(N * sizeof *nd->w);
        gsl_rng *r = ss_rng_alloc();
        if (!nd->z || !nd->w || !r) {
            gsl_rng_free(r);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        ss_rng_seed(r, o->seed, POPFIM_STREAM, 0);
        for (size_t i = 0; i < N; i++) {
            for (size_t k = 0; k < q; k++)
                nd->z[i * q + k] = gsl_ran_ugaussian(r);
            nd->w[i] = 1.0 / (double)N;
        }
        gsl_rng_free(r);
        return SS_OK;
    }
    size_t g = o->nquad ? o->nquad : 8, N = 1;
    for (size_t k = 0; k < q; k++) {
        if (N > ((size_t)1 << 22) / g)
            return SS_FAIL(SS_ERR_LIMIT,
                           "%zu^%zu quadrature nodes are too many (at most "
                           "about 4 million): lower nquad=",
                           g, q);
        N *= g;
    }
    nd->N = N;
    nd->z = malloc(N * (q ? q : 1) * sizeof *nd->z);
    nd->w = malloc(N * sizeof *nd->w);
    gsl_integration_fixed_workspace *gw =
        gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, g, 0.0,
                                    1.0, 0.0, 0.0);
    if (!nd->z || !nd->w || !gw) {
        gsl_integration_fixed_free(gw);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    /* weight e^{-x^2}: z = sqrt2 x, w / sqrt(pi) for the standard normal */
    const double *x = gsl_integration_fixed_nodes(gw);
    const double *w = gsl_integration_fixed_weights(gw);
    for (size_t r = 0; r < N; r++) {
        size_t c = r;
        double wr = 1.0;
        for (size_t k = 0; k < q; k++) {
            size_t i = c % g;
            c /= g;
            nd->z[r * q + k] = M_SQRT2 * x[i];
            wr *= w[i] / sqrt(M_PI);
        }
        nd->w[r] = wr;
    }
    gsl_integration_fixed_free(gw);
    return SS_OK;
}

/* One subject's exact-moment FIM in steps, so a long Monte-Carlo or
 * quadrature FIM shows progress and stops on Ctrl-C between them: step 0
 * the moments at theta, step a + 1 the difference along parameter a, then
 * gauss_fim. */
typedef struct {
    const model *m;
    const pop_spec *sp;
    const double *theta, *t;
    size_t n, P, next;
    double dose;
    const nodes *nd;
    normal_subj s;
    double *th, *fi, *mu2, *V2;
} moment_state;

static void ms_free(moment_state *ms)
{
    free(ms->th);
    free(ms->fi);
    free(ms->mu2);
    free(ms->V2);
    ns_free(&ms->s);
}

static ss_status ms_init(moment_state *ms, const model *m, const pop_spec *sp,
                         const double *theta, const nodes *nd,
                         const double *t, size_t n, double dose)
{
    memset(ms, 0, sizeof *ms);
    ms->m = m;
    ms->sp = sp;
    ms->theta = theta;
    ms->t = t;
    ms->n = n;
    ms->P = m->P;
    ms->dose = dose;
    ms->nd = nd;
    ss_status rc = ns_alloc(&ms->s, n, m->P);
    if (rc != SS_OK)
        return rc;
    ms->th = malloc(m->P * sizeof *ms->th);
    ms->fi = malloc(n * sizeof *ms->fi);
    ms->mu2 = malloc(n * sizeof *ms->mu2);
    ms->V2 = malloc(n * n * sizeof *ms->V2);
    if (!ms->th || !ms->fi || !ms->mu2 || !ms->V2) {
        ms_free(ms);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    return SS_OK;
}

/* Central differences, step 1e-4 of the value (truncation ~1e-8 of the
 * derivative); forward from a variance at 0, which cannot go below. */
static ss_status ms_step(moment_state *ms)
{
    const model *m = ms->m;
    const pop_spec *sp = ms->sp;
    const double *theta = ms->theta;
    size_t n = ms->n, P = ms->P;
    normal_subj *s = &ms->s;
    if (ms->next == 0) {
        ms->next = 1;
        return moments(m, sp, theta, ms->nd, ms->t, n, ms->dose, s->mu, s->V,
                       ms->fi);
    }
    size_t a = ms->next++ - 1;
    double h = 1e-4 * (theta[a] != 0.0 ? fabs(theta[a]) : 1e-2);
    int kind = pop_param_kind(sp, a);
    int onesided = kind != POP_PAR_FIXED && kind != POP_PAR_COV &&
                   theta[a] - h < 0.0;
    memcpy(ms->th, theta, P * sizeof *ms->th);
    ms->th[a] = theta[a] + h;
    ss_status rc = moments(m, sp, ms->th, ms->nd, ms->t, n, ms->dose,
                           ms->mu2, ms->V2, ms->fi);
    if (rc != SS_OK)
        return rc;
    double *dm = s->dmu + a * n, *dv = s->dV + a * n * n;
    memcpy(dm, ms->mu2, n * sizeof *dm);
    memcpy(dv, ms->V2, n * n * sizeof *dv);
    double lo = theta[a];
    if (!onesided) {
        ms->th[a] = theta[a] - h;
        rc = moments(m, sp, ms->th, ms->nd, ms->t, n, ms->dose, ms->mu2,
                     ms->V2, ms->fi);
        if (rc != SS_OK)
            return rc;
        lo = theta[a] - h;
    } else {
        memcpy(ms->mu2, s->mu, n * sizeof *ms->mu2);
        memcpy(ms->V2, s->V, n * n * sizeof *ms->V2);
    }
    double den = theta[a] + h - lo;
    for (size_t i = 0; i < n; i++)
        dm[i] = (dm[i] - ms->mu2[i]) / den;
    for (size_t i = 0; i < n * n; i++)
        dv[i] = (dv[i] - ms->V2[i]) / den;
    s->has_dV[a] = 1;
    return SS_OK;
}

static int ms_done(const moment_state *ms)
{
    return ms->next > ms->P;
}

static ss_status moment_subject(const model *m, const pop_spec *sp,
                                const double *theta, const popfim_opts *o,
                                const double *t, size_t n, double dose,
                                gsl_matrix *M)
{
    nodes nd = {0, 0, NULL, NULL};
    moment_state ms;
    ss_status rc = make_nodes(sp, o, &nd);
    if (rc == SS_OK)
        rc = ms_init(&ms, m, sp, theta, &nd, t, n, dose);
    if (rc == SS_OK) {
        while (rc == SS_OK && !ms_done(&ms))
            rc = ms_step(&ms);
        if (rc == SS_OK)
            rc = gauss_fim(&ms.s, t, sp->npsi, 0, M);
        ms_free(&ms);
    }
    free(nd.z);
    free(nd.w);
    return rc;
}

/* ---- public ---------------------------------------------------------------*/

ss_status popfim_subject_prevalidated(const model *m, const double *theta,
                                     const popfim_opts *o, const double *t,
                                     size_t nt, double dose, gsl_matrix *M)
{
    const pop_spec *sp = pop_spec_of(m);
    if (!sp)
        return SS_FAIL(SS_ERR_USAGE,
                       "%s is not a population model: designs and "
                       "population FIMs apply to pk1, pk2 and expr models",
                       m->type->name);
    if (nt == 0 || nt > PD_MAX_TIMES)
        return SS_FAIL(SS_ERR_USAGE, "a subject needs 1 to %d times",
                       PD_MAX_TIMES);
    if (M->size1 != m->P || M->size2 != m->P)
        return SS_FAIL(SS_ERR_USAGE, "popfim_subject: M must be P x P");
    if (o->method == POPFIM_FO || o->method == POPFIM_FO_FULL)
        return fo_subject(m, sp, theta, o->method == POPFIM_FO_FULL, t, nt,
                          dose, M);
    return moment_subject(m, sp, theta, o, t, nt, dose, M);
}

ss_status popfim_subject(const model *m, const double *theta,
                         const popfim_opts *o, const double *t, size_t nt,
                         double dose, gsl_matrix *M)
{
    ss_status rc = model_validate(m, theta);
    if (rc != SS_OK)
        return rc;
    return popfim_subject_prevalidated(m, theta, o, t, nt, dose, M);
}

/* ---- the design's FIM as a job --------------------------------------------
 * A step is one group's FIM (fo, fo-full) or one moment evaluation of one
 * group (quad, mc: the moments at theta, then one difference per
 * parameter), so a long FIM shows progress and stops between steps. */
struct popfim_job {
    const model *m;
    const pop_spec *sp;
    double *theta;
    const pop_design *d;
    popfim_opts o;
    size_t *idx, k, g;
    gsl_matrix *G, *M;
    nodes nd;
    moment_state ms;
    int ms_open, moments;
};

void popfim_job_free(popfim_job *j)
{
    if (!j)
        return;
    if (j->ms_open)
        ms_free(&j->ms);
    free(j->nd.z);
    free(j->nd.w);
    free(j->theta);
    free(j->idx);
    if (j->G)
        gsl_matrix_free(j->G);
    if (j->M)
        gsl_matrix_free(j->M);
    free(j);
}

ss_status popfim_job_start(const model *m, const double *theta,
                           const pop_design *d, const popfim_opts *o,
                           const size_t *idx, size_t k, popfim_job **out)
{
    *out = NULL;
    const pop_spec *sp = pop_spec_of(m);
    if (!sp)
        return SS_FAIL(SS_ERR_USAGE,
                       "%s is not a population model: designs and "
                       "population FIMs apply to pk1, pk2 and expr models",
                       m->type->name);
    ss_status rc = model_validate(m, theta);
    if (rc != SS_OK)
        return rc;
    popfim_job *j = calloc(1, sizeof *j);
    if (!j)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    j->m = m;
    j->sp = sp;
    j->d = d;
    j->o = *o;
    j->k = k;
    j->moments = o->method == POPFIM_QUAD || o->method == POPFIM_MC;
    j->theta = malloc(m->P * sizeof *j->theta);
    j->idx = malloc((k ? k : 1) * sizeof *j->idx);
    j->G = gsl_matrix_alloc(m->P, m->P);
    j->M = gsl_matrix_calloc(k ? k : 1, k ? k : 1);
    if (!j->theta || !j->idx || !j->G || !j->M) {
        popfim_job_free(j);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    memcpy(j->theta, theta, m->P * sizeof *j->theta);
    memcpy(j->idx, idx, k * sizeof *j->idx);
    if (j->moments && (rc = make_nodes(sp, o, &j->nd)) != SS_OK) {
        popfim_job_free(j);
        return rc;
    }
    *out = j;
    return SS_OK;
}

int popfim_job_done(const popfim_job *j)
{
    return j->g >= j->d->ngroups;
}

void popfim_job_progress(const popfim_job *j, size_t *done, size_t *total)
{
    size_t per = j->moments ? j->m->P + 1 : 1;
    *total = j->d->ngroups * per;
    *done = j->g * per + (j->ms_open ? j->ms.next : 0);
}

static ss_status group_error(const popfim_job *j, ss_status rc)
{
    if (j->d->ngroups > 1 && rc != SS_ERR_INTERRUPTED) {
        char msg[sizeof ss_last_error()->msg];
        snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
        return SS_FAIL(ss_last_error()->code, "group %zu: %.900s", j->g + 1,
                       msg);
    }
    return rc;
}

ss_status popfim_job_step(popfim_job *j)
{
    if (popfim_job_done(j))
        return SS_OK;
    const pd_group *gr = &j->d->g[j->g];
    ss_status rc = SS_OK;
    if (!j->moments) {
        rc = popfim_subject_prevalidated(j->m, j->theta, &j->o, gr->t,
                                         gr->nt, gr->dose, j->G);
    } else {
        if (!j->ms_open) {
            if (gr->nt == 0 || gr->nt > PD_MAX_TIMES)
                return SS_FAIL(SS_ERR_USAGE,
                               "a subject needs 1 to %d times", PD_MAX_TIMES);
            rc = ms_init(&j->ms, j->m, j->sp, j->theta, &j->nd, gr->t,
                         gr->nt, gr->dose);
            if (rc != SS_OK)
                return group_error(j, rc);
            j->ms_open = 1;
        }
        rc = ms_step(&j->ms);
        if (rc == SS_ERR_INTERRUPTED) {
            /* Ctrl-C inside a long evaluation: the step is undone and the
             * driver, seeing the flag, stops before the next one */
            ss_clear_error();
            j->ms.next--;
            return SS_OK;
        }
        if (rc == SS_OK && !ms_done(&j->ms))
            return SS_OK;
        if (rc == SS_OK)
            rc = gauss_fim(&j->ms.s, gr->t, j->sp->npsi, 0, j->G);
        ms_free(&j->ms);
        j->ms_open = 0;
    }
    if (rc != SS_OK)
        return group_error(j, rc);
    for (size_t a = 0; a < j->k; a++)
        for (size_t b = 0; b < j->k; b++)
            gsl_matrix_set(j->M, a, b,
                           gsl_matrix_get(j->M, a, b) +
                               gr->size * gsl_matrix_get(j->G, j->idx[a],
                                                         j->idx[b]));
    j->g++;
    return SS_OK;
}

ss_status popfim_job_finish(popfim_job *j, gsl_matrix *M)
{
    if (!popfim_job_done(j)) {
        popfim_job_free(j);
        return SS_FAIL(SS_ERR_INTERRUPTED,
                       "the population FIM was not finished (it is "
                       "complete or nothing: nothing was kept)");
    }
    gsl_matrix_memcpy(M, j->M);
    popfim_job_free(j);
    return SS_OK;
}

ss_status popfim_design(const model *m, const double *theta,
                        const pop_design *d, const popfim_opts *o,
                        const size_t *idx, size_t k, gsl_matrix *M)
{
    popfim_job *j;
    ss_status rc = popfim_job_start(m, theta, d, o, idx, k, &j);
    while (rc == SS_OK && !popfim_job_done(j)) {
        if (ss_interrupted()) {
            rc = SS_FAIL(SS_ERR_INTERRUPTED,
                         "the population FIM was not finished");
            break;
        }
        rc = popfim_job_step(j);
    }
    if (rc != SS_OK) {
        popfim_job_free(j);
        return rc;
    }
    return popfim_job_finish(j, M);
}

/* Jacobi-scaled copy and its eigen-decomposition */
size_t popfim_lost(const gsl_matrix *M, char (*names)[MODEL_NAME_MAX],
                   char *buf, size_t n)
{
    size_t k = M->size1, rank = 0;
    if (buf && n)
        buf[0] = 0;
    gsl_matrix *A = gsl_matrix_alloc(k, k), *Q = gsl_matrix_alloc(k, k);
    gsl_vector *ev = gsl_vector_alloc(k), *d = gsl_vector_alloc(k);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(k);
    if (!A || !Q || !ev || !d || !w) {
        rank = 0;
        goto done;
    }
    for (size_t i = 0; i < k; i++) {
        double v = gsl_matrix_get(M, i, i);
        gsl_vector_set(d, i, v > 0.0 ? sqrt(v) : 0.0);
    }
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            double di = gsl_vector_get(d, i), dj = gsl_vector_get(d, j);
            gsl_matrix_set(A, i, j,
                           di > 0.0 && dj > 0.0
                               ? gsl_matrix_get(M, i, j) / (di * dj)
                               : (i == j ? 0.0 : 0.0));
        }
    gsl_eigen_symmv(A, ev, Q, w);
    gsl_eigen_symmv_sort(ev, Q, GSL_EIGEN_SORT_VAL_ASC);
    /* the scaled matrix has unit diagonal, so its eigenvalues lie in
     * [0, k]; below 1e-10 the direction is not determined to 5 digits */
    double tol = 1e-10;
    size_t lost = 0;
    for (size_t i = 0; i < k; i++)
        if (gsl_vector_get(ev, i) > tol)
            rank++;
    size_t len = 0;
    for (size_t c = 0; c < k && buf && gsl_vector_get(ev, c) <= tol; c++) {
        if (lost++ == 3)
            break;
        len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s",
                                lost > 1 ? "; " : "");
        /* the direction in the original parameters: D^-1 v, scaled so its
         * largest component is 1; components under 1e-3 of it omitted */
        double vmax = 0.0, comp[64];
        size_t kk = k < 64 ? k : 64;
        for (size_t i = 0; i < kk; i++) {
            double di = gsl_vector_get(d, i);
            comp[i] = di > 0.0 ? gsl_matrix_get(Q, i, c) / di
                               : gsl_matrix_get(Q, i, c);
            if (fabs(comp[i]) > fabs(vmax))
                vmax = comp[i];
        }
        int first = 1;
        for (size_t i = 0; i < kk && vmax != 0.0; i++) {
            double v = comp[i] / vmax;
            if (fabs(v) < 1e-3)
                continue;
            len += (size_t)snprintf(buf + len, len < n ? n - len : 0,
                                    "%s%.4g d%s", first ? "" : (v < 0 ? " - " : " + "),
                                    first ? v : fabs(v), names[i]);
            first = 0;
        }
    }
done:
    gsl_matrix_free(A);
    gsl_matrix_free(Q);
    gsl_vector_free(ev);
    gsl_vector_free(d);
    gsl_eigen_symmv_free(w);
    return rank;
}

ss_status popfim_se(const gsl_matrix *M, char (*names)[MODEL_NAME_MAX],
                    double *se)
{
    size_t k = M->size1;
    char lost[512];
    size_t rank = popfim_lost(M, names, lost, sizeof lost);
    if (rank < k)
        return SS_FAIL(SS_ERR_NUMERIC,
                       "the FIM is singular (rank %zu of %zu): no standard "
                       "errors; lost direction%s: %s",
                       rank, k, k - rank == 1 ? "" : "s", lost);
    /* inverted after Jacobi scaling: the entries of a population FIM span
     * many decades (a clearance against a residual variance) */
    gsl_matrix *L = gsl_matrix_alloc(k, k);
    double *d = malloc(k * sizeof *d);
    if (!L || !d) {
        gsl_matrix_free(L);
        free(d);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < k; i++)
        d[i] = sqrt(gsl_matrix_get(M, i, i));
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            gsl_matrix_set(L, i, j, gsl_matrix_get(M, i, j) / (d[i] * d[j]));
    int e = gsl_linalg_cholesky_decomp1(L);
    if (!e)
        e = gsl_linalg_cholesky_invert(L);
    if (e) {
        gsl_matrix_free(L);
        free(d);
        return SS_FAIL(SS_ERR_NUMERIC,
                       "the FIM is not positive definite: no standard "
                       "errors");
    }
    for (size_t i = 0; i < k; i++)
        se[i] = sqrt(gsl_matrix_get(L, i, i)) / d[i];
    gsl_matrix_free(L);
    free(d);
    return SS_OK;
}

ss_status popfim_lndet(const gsl_matrix *M, double *lndet)
{
    size_t k = M->size1;
    gsl_matrix *A = gsl_matrix_alloc(k, k);
    if (!A)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    double s = 0.0;
    int bad = 0;
    for (size_t i = 0; i < k; i++) {
        double v = gsl_matrix_get(M, i, i);
        if (!(v > 0.0))
            bad = 1;
        else
            s += log(v);
    }
    for (size_t i = 0; i < k && !bad; i++)
        for (size_t j = 0; j < k; j++)
            gsl_matrix_set(A, i, j,
                           gsl_matrix_get(M, i, j) /
                               sqrt(gsl_matrix_get(M, i, i) *
                                    gsl_matrix_get(M, j, j)));
    if (!bad)
        bad = gsl_linalg_cholesky_decomp1(A) != 0;
    for (size_t i = 0; i < k && !bad; i++) {
        double l = gsl_matrix_get(A, i, i);
        if (!(l > 0.0))
            bad = 1;
        else
            s += 2.0 * log(l);
    }
    gsl_matrix_free(A);
    if (bad)
        return SS_FAIL(SS_ERR_NUMERIC,
                       "the FIM is not positive definite: ln det is -inf");
    *lndet = s;
    return SS_OK;
}
