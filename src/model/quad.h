/* Quadrature rules for expectations over the standard normal:
 * E h(X) ~ sum_k w[k] h(x[k]), X ~ N(0, 1), and their tensor products over
 * d <= 2 axes with negligible nodes pruned. Used by mlp2 (the root factor
 * and tanh's G) and available to any family integrating against a normal.
 * Rules are allocated by their builders and released by quad_rule_free. */
#ifndef SS_MODEL_QUAD_H
#define SS_MODEL_QUAD_H

#include "core/status.h"

#include <stddef.h>

/* A one-dimensional rule for E over N(0, 1): sum_k w[k] h(x[k]). */
typedef struct {
    size_t n;
    double *x, *w;
} quad_rule;

ss_status quad_rule_alloc(quad_rule *r, size_t n);
void quad_rule_free(quad_rule *r);

/* Gauss-Hermite of order n for the weight exp(-x^2 / 2), normalised to
 * N(0, 1) (GSL's fixed-order Hermite rule). */
ss_status quad_hermite_normal(size_t n, quad_rule *r);

/* Gauss-Legendre of order n on [-L, L] times the N(0, 1) density; nodes
 * by Newton's method on the Legendre recurrence, accurate to a few ulps
 * for every order. */
ss_status quad_legendre_normal(size_t n, double L, quad_rule *r);

/* The d-fold tensor product of r (d = 1 or 2): nodes with weight below
 * prune * (largest weight)^d are dropped; the threshold and the number of
 * nodes kept. */
double quad_tensor_threshold(const quad_rule *r, size_t d, double prune);
size_t quad_tensor_count(const quad_rule *r, size_t d, double prune);

#endif
