#!/usr/bin/env python3
"""The hot paths of bench/bench_fim.c written in plain numpy, timed side by
side: the exact mlp2 erf FIM (the same closed forms as src/model/mlp2.c),
the ARMA(1,1) closed form, the gmm exact FIM by a fixed composite
Gauss-Legendre rule, and a Monte-Carlo gmm FIM of n = 10^6 draws
(vectorised draws and scores, mean and standard errors of the products).

Usage: numpy_peer.py [C_FIGURES.tsv]
With the tab-separated figures written by `bench_fim --tsv`, it prints the
ratio numpy / singscope for each path. Without numpy it says so and exits
0: the benchmark is optional, nothing else depends on it.

Each numpy figure is checked first against an independent value (the mlp2
closed form against a Gauss-Hermite tensor rule, the gmm quadrature
against the mpmath reference of tests/unit/test_gmm.c), so that the two
sides compute the same thing. Timings are minima over repeated runs on one
core (numpy's BLAS is limited to one thread below)."""

import os
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

try:
    import numpy as np
except ImportError:
    print("numpy peer: numpy is not installed; skipped "
          "(apt-get install python3-numpy to compare)")
    sys.exit(0)

import math
import timeit


def best_us(fn, min_total=0.2, reps=7):
    """Minimum over reps batches of the time per call, in microseconds."""
    t = timeit.Timer(fn)
    k = 1
    while t.timeit(k) < min_total / reps and k < 1 << 24:
        k *= 2
    return 1e6 * min(t.repeat(reps, k)) / k


# ---- mlp2, act=erf: closed form (theory: src/model/mlp2.c header) --------

def mlp2_erf_fim(w, J, sigma=1.0):
    d = J.shape[1]
    P = 2 + 2 * d
    k = 2.0 / math.pi / sigma ** 2
    nrm = (J * J).sum(axis=1)
    C = J @ J.T
    D = (1.0 + nrm)[:, None] * (1.0 + nrm)[None, :] - C * C
    sD = np.sqrt(D)
    G = np.empty((P, P))
    G[:2, :2] = k * np.arctan2(C, sD)
    # G[w_i][J_j] = w_j k (J_i - c_ij / (1 + |J_j|^2) J_j) / sqrt(D_ij)
    A = (J[:, None, :] - (C / (1.0 + nrm)[None, :])[:, :, None]
         * J[None, :, :]) * (w[None, :] * k / sD)[:, :, None]
    G[:2, 2:] = A.reshape(2, 2 * d)
    G[2:, :2] = G[:2, 2:].T
    # G[J_i][J_j] = w_i w_j k D^{-1/2} M^{-1} (Woodbury)
    eye = np.eye(d)
    for i in range(2):
        for j in range(2):
            a, b = J[i], J[j]
            Minv = eye - ((1.0 + nrm[j]) * np.outer(a, a)
                          - C[i, j] * (np.outer(a, b) + np.outer(b, a))
                          + (1.0 + nrm[i]) * np.outer(b, b)) / D[i, j]
            G[2 + i * d:2 + (i + 1) * d, 2 + j * d:2 + (j + 1) * d] = \
                w[i] * w[j] * k / sD[i, j] * Minv
    return G


def mlp2_erf_quad(w, J, n=80):
    """sigma = 1: E[grad f grad f^T] by a Gauss-Hermite tensor rule."""
    x, wt = np.polynomial.hermite_e.hermegauss(n)
    wt = wt / math.sqrt(2.0 * math.pi)
    d = J.shape[1]
    X = np.stack(np.meshgrid(*([x] * d), indexing="ij"), -1).reshape(-1, d)
    W = np.prod(np.stack(np.meshgrid(*([wt] * d), indexing="ij"), -1)
                .reshape(-1, d), axis=1)
    from math import erf
    verf = np.vectorize(erf)
    t = X @ J.T
    g = verf(t / math.sqrt(2.0))
    gp = math.sqrt(2.0 / math.pi) * np.exp(-0.5 * t * t)
    grad = np.concatenate([g, (w[0] * gp[:, :1]) * X, (w[1] * gp[:, 1:]) * X],
                          axis=1)
    return (grad * W[:, None]).T @ grad


# ---- ARMA(1,1): closed form ----------------------------------------------

def arma11_fim(ar, ma):
    c = 1.0 / (1.0 + ar * ma)
    return np.array([[1.0 / (1.0 - ar * ar), c], [c, 1.0 / (1.0 - ma * ma)]])


# ---- gmm: exact FIM by a fixed composite Gauss-Legendre rule --------------

GL_X, GL_W = np.polynomial.legendre.leggauss(10)


def gmm_fim(v, w1, w2, s=1.0, panel=0.5, L=12.0):
    lo, hi = min(w1, w2) - L * s, max(w1, w2) + L * s
    npan = int(math.ceil((hi - lo) / (panel * s)))
    h = (hi - lo) / npan
    c = lo + h * (np.arange(npan) + 0.5)
    x = (c[:, None] + 0.5 * h * GL_X[None, :]).ravel()
    om = np.tile(0.5 * h * GL_W, npan)
    z1, z2 = (x - w1) / s, (x - w2) / s
    f1 = np.exp(-0.5 * z1 * z1) / (s * math.sqrt(2.0 * math.pi))
    f2 = np.exp(-0.5 * z2 * z2) / (s * math.sqrt(2.0 * math.pi))
    p = (1.0 - v) * f1 + v * f2
    S = np.stack([(f2 - f1) / p, (1.0 - v) * f1 * z1 / (s * p),
                  v * f2 * z2 / (s * p)], axis=1)
    return (S * (om * p)[:, None]).T @ S


# mpmath reference, tests/unit/test_gmm.c ("generic": s=1, v=0.385,
# w1=-0.73, w2=1.21); entries G00, G10, G11, G20, G21, G22
GMM_REF = (0.385, -0.73, 1.21,
           (2.2123053593348090858, 0.50733718219060385619,
            0.4186515333076679778, 0.41645473098378723238,
            -0.036693570255237624702, 0.23039779653358636661))


# ---- gmm: Monte-Carlo FIM --------------------------------------------------

def gmm_draw_scores(rng, n, v, w1, w2, s=1.0):
    x = np.where(rng.random(n) < v, w2, w1) + s * rng.standard_normal(n)
    z1, z2 = (x - w1) / s, (x - w2) / s
    # log-space responsibilities: d = log phi2 - log phi1
    dd = 0.5 * (z1 * z1 - z2 * z2)
    e = dd + math.log(v / (1.0 - v))
    r2 = 1.0 / (1.0 + np.exp(-e))
    r1 = 1.0 - r2
    sv = -np.expm1(-dd) / (v + (1.0 - v) * np.exp(-dd))
    return np.stack([sv, r1 * z1 / s, r2 * z2 / s], axis=1)


def gmm_mc(n, v, w1, w2, seed=1):
    rng = np.random.default_rng(seed)
    S = gmm_draw_scores(rng, n, v, w1, w2)
    G = S.T @ S / n
    iu = np.triu_indices(3)
    Q = S[:, iu[0]] * S[:, iu[1]]
    se = Q.std(axis=0, ddof=1) / math.sqrt(n)
    return G, se


def read_c(path):
    out = {}
    with open(path) as f:
        for line in f:
            key, val = line.split("\t")
            out[key] = float(val)
    return out


def main(argv):
    c = read_c(argv[1]) if len(argv) > 1 else {}

    # agreement first
    w = np.array([0.385, -0.73])
    J2 = np.array([[0.9, -0.4], [-0.2, 1.1]])
    for J in (J2[:, :1], J2):
        a, b = mlp2_erf_fim(w, J), mlp2_erf_quad(w, J)
        err = np.abs(a - b).max() / np.abs(b).max()
        if not err < 1e-10:
            print("numpy peer: mlp2 closed form disagrees with quadrature "
                  "(%.3g)" % err)
            return 1
    v, w1, w2, g = GMM_REF
    G = gmm_fim(v, w1, w2)
    ref = np.zeros((3, 3))
    ref[np.tril_indices(3)] = g
    ref = ref + np.tril(ref, -1).T
    err = np.abs(G - ref).max() / np.abs(ref).max()
    if not err < 1e-12:
        print("numpy peer: gmm quadrature disagrees with mpmath (%.3g)" % err)
        return 1
    Gmc, se = gmm_mc(200000, 0.3, 0.0, 1.5)
    Gex = gmm_fim(0.3, 0.0, 1.5)
    iu = np.triu_indices(3)
    if not np.all(np.abs(Gmc[iu] - Gex[iu]) <= 5 * se):
        print("numpy peer: Monte-Carlo gmm FIM off by more than 5 SE")
        return 1

    rows = []
    wd1 = np.array([1.0, -0.5])
    Jd1 = np.array([[1.0], [-0.3]])
    rows.append(("mlp2_d1", "exact FIM, mlp2 erf d=1",
                 best_us(lambda: mlp2_erf_fim(wd1, Jd1))))
    rows.append(("mlp2_d2", "exact FIM, mlp2 erf d=2",
                 best_us(lambda: mlp2_erf_fim(w, J2))))
    rows.append(("arma11", "exact FIM, ARMA(1,1)",
                 best_us(lambda: arma11_fim(0.5, 0.3))))
    rows.append(("gmm_generic", "exact FIM, gmm (0.3, 0, 1.5)",
                 best_us(lambda: gmm_fim(0.3, 0.0, 1.5))))
    n = 1000000
    rng = np.random.default_rng(1)
    t_ds = best_us(lambda: gmm_draw_scores(rng, n, 0.3, 0.0, 1.5),
                   min_total=1.0, reps=3)
    rows.append(("gmm_draw_score", "gmm draw + scores, per draw", t_ds / n))
    rows.append(("gmm_mc", "gmm Monte-Carlo FIM n=10^6 (whole)",
                 best_us(lambda: gmm_mc(n, 0.3, 0.0, 1.5), min_total=1.0,
                         reps=3)))
    # numpy computes the scores only: compare with singscope's scores-only
    # route (what its Monte-Carlo FIM calls), else with scores + log-lik
    if "gmm_draw" in c and "gmm_score_only" in c:
        c["gmm_draw_score"] = c["gmm_draw"] + c["gmm_score_only"]
    elif "gmm_draw" in c and "gmm_score" in c:
        c["gmm_draw_score"] = c["gmm_draw"] + c["gmm_score"]

    print("%-40s %12s %12s %10s" % ("numpy peer (one core)", "numpy",
                                    "singscope", "ratio"))
    for key, label, us in rows:
        def fmt(t):
            return "%9.2f ms" % (t * 1e-3) if t >= 1000 else "%9.3f us" % t
        if key in c:
            print("%-40s %12s %12s %9.1fx" % (label, fmt(us), fmt(c[key]),
                                              us / c[key]))
        else:
            print("%-40s %12s" % (label, fmt(us)))
    print("(ratio = numpy time / singscope time: above 1, singscope is "
          "faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
