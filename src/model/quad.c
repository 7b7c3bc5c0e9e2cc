/* Quadrature rules for expectations over N(0, 1) and their tensor
 * products (moved out of mlp2.c; see quad.h). */
#include "model/quad.h"

#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <math.h>
#include <stdlib.h>

void quad_rule_free(quad_rule *r)
{
    free(r->x);
    free(r->w);
    r->x = r->w = NULL;
}

ss_status quad_rule_alloc(quad_rule *r, size_t n)
{
    r->n = n;
    r->x = malloc(n * sizeof *r->x);
    r->w = malloc(n * sizeof *r->w);
    if (!r->x || !r->w) {
        quad_rule_free(r);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    return SS_OK;
}

/* Gauss-Hermite for the weight exp(-x^2 / 2), normalised to N(0, 1). */
ss_status quad_hermite_normal(size_t n, quad_rule *r)
{
    gsl_integration_fixed_workspace *ws = gsl_integration_fixed_alloc(
        gsl_integration_fixed_hermite, n, 0.0, 0.5, 0.0, 0.0);
    if (!ws)
        return SS_FAIL(SS_ERR_NUMERIC,
                       "Gauss-Hermite rule of order %zu failed", n);
    ss_status st = quad_rule_alloc(r, n);
    if (st == SS_OK) {
        const double *x = gsl_integration_fixed_nodes(ws);
        const double *w = gsl_integration_fixed_weights(ws);
        double norm = 1.0 / sqrt(2.0 * M_PI);
        for (size_t k = 0; k < n; k++) {
            r->x[k] = x[k];
            r->w[k] = w[k] * norm;
        }
    }
    gsl_integration_fixed_free(ws);
    return st;
}

/* Legendre P_n and P_{n-1} at the h points z[] (into p1[], p2[]): the
 * three-term recurrence run for all points at once, so that the chains
 * (each latency-bound) overlap. */
static void quad_legendre_eval(size_t n, size_t h, const double *z,
                               double *p1, double *p2)
{
    for (size_t i = 0; i < h; i++) {
        p1[i] = 1.0;
        p2[i] = 0.0;
    }
    for (size_t j = 1; j <= n; j++) {
        double dj = (double)j, ca = (2.0 * dj - 1.0) / dj,
               cb = (dj - 1.0) / dj;
        for (size_t i = 0; i < h; i++) {
            double p3 = p2[i];
            p2[i] = p1[i];
            p1[i] = ca * z[i] * p1[i] - cb * p3;
        }
    }
}

/* Gauss-Legendre on [-L, L] times the N(0, 1) density. Nodes by Newton's
 * method on the Legendre recurrence from Tricomi's initial guesses, all
 * nodes at once; accurate to a few ulps for every order (GSL's glfixed is
 * so only for its tabulated orders: ~1e-12 otherwise). */
ss_status quad_legendre_normal(size_t n, double L, quad_rule *r)
{
    size_t h = (n + 1) / 2;
    double *z = calloc(3 * h, sizeof *z);
    unsigned char *done = calloc(h, 1);
    ss_status st = z && done ? quad_rule_alloc(r, n)
                             : SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st != SS_OK) {
        free(z);
        free(done);
        return st;
    }
    double *p1 = z + h, *p2 = z + 2 * h, dn = (double)n;
    for (size_t i = 0; i < h; i++)
        z[i] = cos(M_PI * ((double)i + 0.75) / (dn + 0.5));
    size_t left = h;
    for (int it = 0; it < 100 && left > 0; it++) {
        quad_legendre_eval(n, h, z, p1, p2);
        for (size_t i = 0; i < h; i++) {
            if (done[i])
                continue;
            double pp = dn * (z[i] * p1[i] - p2[i]) / (z[i] * z[i] - 1.0);
            double dz = p1[i] / pp;
            z[i] -= dz;
            if (fabs(dz) <= 1e-15) {
                done[i] = 1;
                left--;
            }
        }
    }
    /* weights from the derivative at the final nodes */
    quad_legendre_eval(n, h, z, p1, p2);
    double norm = L / sqrt(2.0 * M_PI);
    for (size_t i = 0; i < h; i++) {
        double pp = dn * (z[i] * p1[i] - p2[i]) / (z[i] * z[i] - 1.0);
        double wgl = 2.0 / ((1.0 - z[i]) * (1.0 + z[i]) * pp * pp);
        double x = L * z[i];
        double w = norm * wgl * exp(-0.5 * x * x);
        r->x[i] = -x;
        r->x[n - 1 - i] = x;
        r->w[i] = w;
        r->w[n - 1 - i] = w;
    }
    if (n % 2)
        r->x[n / 2] = 0.0; /* exactly */
    free(z);
    free(done);
    if (left > 0) {
        quad_rule_free(r);
        return SS_FAIL(SS_ERR_NUMERIC,
                       "Gauss-Legendre nodes of order %zu did not "
                       "converge", n);
    }
    return SS_OK;
}

/* Weight below which a node of the d-fold tensor product of r is dropped:
 * prune * (largest weight)^d, d = 1 or 2. */
double quad_tensor_threshold(const quad_rule *r, size_t d, double prune)
{
    double wmax = 0;
    for (size_t k = 0; k < r->n; k++)
        wmax = fmax(wmax, r->w[k]);
    return prune * (d == 1 ? wmax : wmax * wmax);
}

/* Number of nodes of the d-fold tensor product of r (d = 1 or 2) with
 * weight at least quad_tensor_threshold(r, d, prune). */
size_t quad_tensor_count(const quad_rule *r, size_t d, double prune)
{
    double thr = quad_tensor_threshold(r, d, prune);
    size_t rows = 0;
    if (d == 1) {
        for (size_t k = 0; k < r->n; k++)
            rows += r->w[k] >= thr;
    } else {
        for (size_t k = 0; k < r->n; k++)
            for (size_t l = 0; l < r->n; l++)
                rows += r->w[k] * r->w[l] >= thr;
    }
    return rows;
}
