#!/usr/bin/env python3
"""The learning benchmarks of bench/bench_learn.c written with numpy and
scipy, timed side by side: online SGD of a two-unit erf perceptron (d = 2,
one example a step, a Python loop over numpy operations, as a user would
write it) and the averaged gradient flow to t = 1e5 through the overlap
plateau (d = 1, scipy's solve_ivp with BDF on the closed-form gradient).

Usage: learn_peer.py [SINGSCOPE_SGD_STEPS_PER_S SINGSCOPE_FLOW_GD_MS]
prints the peer's figures and, given singscope's, the ratios. Skips cleanly
(exit 0) without numpy or scipy.
"""
import math
import sys
import time

try:
    import numpy as np
    from scipy.integrate import solve_ivp
    from scipy.special import erf
except ImportError:
    print("learn peer: numpy or scipy is not installed; skipped")
    sys.exit(0)


def sgd_steps_per_s(steps=200000, eta=1e-3, seed=1):
    """Online SGD, mlp2 erf d = 2, the teacher and student of bench_learn."""
    rng = np.random.default_rng(seed)
    tw, tJ = np.array([1.0, 0.5]), np.array([[1.0, 0.0], [0.0, 1.0]])
    w = np.array([0.3, -0.2])
    J = np.array([[0.4, 0.1], [-0.2, 0.6]])
    X = rng.standard_normal((steps, 2))
    E = rng.standard_normal(steps)
    c = math.sqrt(2 / math.pi)
    t0 = time.perf_counter()
    for s in range(steps):
        x = X[s]
        y = tw @ erf(tJ @ x / math.sqrt(2)) + E[s]
        h = J @ x
        g = erf(h / math.sqrt(2))
        gp = c * np.exp(-0.5 * h * h)
        e = y - w @ g
        J += eta * np.outer(e * w * gp, x)
        w += eta * e * g
    return steps / (time.perf_counter() - t0)


def q(a, b):
    """E[erf(a x / sqrt 2) erf(b x / sqrt 2)], x ~ N(0, 1), and d/da."""
    na, nb = 1 + a * a, 1 + b * b
    r = a * b / math.sqrt(na * nb)
    dr = b / (math.sqrt(nb) * na ** 1.5)
    return 2 / math.pi * math.asin(r), 2 / math.pi * dr / math.sqrt(1 - r * r)


def kl_grad(th, teacher):
    """L = E[(f_t - f)^2] / 2 and its gradient, mlp2 erf d = 1."""
    w1, w2, J1, J2 = th
    U = (teacher[2], teacher[3], J1, J2)
    c = (teacher[0], teacher[1], -w1, -w2)
    L = 0.5 * sum(c[a] * c[b] * q(U[a], U[b])[0]
                  for a in range(4) for b in range(4))
    g = np.empty(4)
    for i, (wi, Ji) in enumerate(((w1, J1), (w2, J2))):
        qs = [q(Ji, U[b]) for b in range(4)]
        g[i] = -sum(c[b] * qs[b][0] for b in range(4))
        g[2 + i] = -wi * sum(c[b] * qs[b][1] for b in range(4))
    return L, g


def flow_ms(reps=3):
    teacher = (1.0, 1.0, 0.5, 2.0)
    start = np.array([0.8177, 0.8177, 1.4067, 1.4167])
    times = np.geomspace(1e-1, 1e5, 1000)
    best, sol = 1e300, None
    for _ in range(reps):
        t0 = time.perf_counter()
        sol = solve_ivp(lambda t, y: -kl_grad(y, teacher)[1], (0, 1e5), start,
                        method="BDF", t_eval=times, rtol=1e-10, atol=1e-14)
        best = min(best, time.perf_counter() - t0)
    L0 = kl_grad(start, teacher)[0]
    Lend = kl_grad(sol.y[:, -1], teacher)[0]
    return 1e3 * best, L0, Lend, sol.success


def main(argv):
    sgd = sgd_steps_per_s()
    fms, L0, Lend, ok = flow_ms()
    print("%-52s %14s %14s %8s" % ("learn peer (numpy %s, scipy, one core)"
                                    % np.__version__, "peer",
                                    "singscope", "ratio"))
    ss_sgd = float(argv[1]) if len(argv) > 2 else None
    ss_flow = float(argv[2]) if len(argv) > 2 else None
    print("%-52s %11.3g /s %11s %8s" % (
        "online sgd, mlp2 erf d=2 (Python loop over numpy)", sgd,
        "%.3g /s" % ss_sgd if ss_sgd else "",
        "%.0fx" % (ss_sgd / sgd) if ss_sgd else ""))
    print("%-52s %11.1f ms %11s %8s" % (
        "gd flow to t=1e5 (solve_ivp BDF, rtol 1e-10)", fms,
        "%.1f ms" % ss_flow if ss_flow else "",
        "%.0fx" % (fms / ss_flow) if ss_flow else ""))
    print("(flow: L(0) = %.9g, L(1e5) = %.3g, solver %s)"
          % (L0, Lend, "succeeded" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
