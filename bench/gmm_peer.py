#!/usr/bin/env python3
"""The gmm K = 2 EM fit of bench_fit (n = 1000 draws from
0.7 N(-1, 1) + 0.3 N(1.5, 1), the sample bench_fit wrote with --gmm FILE)
by R's mclust and by scikit-learn, timed as the minimum CPU time over a
few repeats (the machine is shared; R's in blocks of 20 fits, its clock
ticks in ms), with their ratios to bench_fit's 1-start figures.

usage: gmm_peer.py SAMPLE.csv SINGSCOPE_S_FREE_MS SINGSCOPE_S_KNOWN_MS

What is compared. Neither peer has a mixture with a known component SD:
mclust's nearest model is "E" (one variance, estimated) and
scikit-learn's is covariance_type='tied' (in 1-D also one variance), the
same model as singscope's `gmm s=free` (4 parameters). The ratios are
therefore to singscope's s=free fit; the figure for singscope's default
gmm (s = 1 known, 3 parameters, what bench_fit's first rows fit) is
printed beside them. Rows:

  Mclust(G=2, "E")      what a user calls: hierarchical-clustering start,
                        then EM to mclust's default tolerance (1e-5
                        relative change of the log-likelihood)
  em("E") from truth    mclust's EM alone, from singscope's start 0 (the
                        point bench_fit samples from, s = 1), at the
                        default tolerance and at 1e-12 (singscope's own
                        rule is |dl| <= 1e-12 (1 + |l|))
  GaussianMixture tied  scikit-learn's defaults (k-means start, tol 1e-3
                        on the mean log-likelihood per point, n_init=1), and
                        EM alone from the same start 0 at tol 1e-12 / n

Each peer's maximised log-likelihood and iterations are printed next to
singscope's (bench_fit prints it) so all solve the same problem; a peer
that is not installed is skipped with a message."""
import os
import subprocess
import sys
import time
import warnings

START = {"pro": (0.7, 0.3), "mean": (-1.0, 1.5), "sd": 1.0}


def time_sklearn(path, reps=3):
    try:
        import numpy as np
        from sklearn.mixture import GaussianMixture
    except ImportError:
        return None, "scikit-learn not installed"
    x = np.loadtxt(path, delimiter=",", skiprows=1).reshape(-1, 1)
    n = x.shape[0]
    rows = []
    for label, kw in (
            ("sklearn tied, defaults", {}),
            ("sklearn tied, EM from start 0", {
                "tol": 1e-12 / n, "max_iter": 100000, "reg_covar": 0.0,
                "weights_init": np.array(START["pro"]),
                "means_init": np.array(START["mean"]).reshape(-1, 1),
                "precisions_init": np.array([[1 / START["sd"] ** 2]])})):
        best, g = float("inf"), None
        for _ in range(reps):
            t0 = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                g = GaussianMixture(n_components=2, covariance_type="tied",
                                    random_state=1, **kw).fit(x)
            best = min(best, time.process_time() - t0)
        ll = float(np.sum(g.score_samples(x)))
        rows.append((label, best * 1e3, ll, g.n_iter_))
    return rows, None


R_CODE = r'''
suppressMessages(library(mclust))
x <- read.csv(commandArgs(TRUE)[1])$x
cpu <- function() sum(proc.time()[c("user.self", "sys.self")])
st <- list(pro = c(0.7, 0.3), mean = c(-1, 1.5),
           variance = list(modelName = "E", d = 1, G = 2, sigmasq = 1))
tight <- emControl(tol = c(1e-12, 1e-12), itmax = c(1e6, 1e6))
run <- function(label, f) {
  best <- Inf
  for (b in 1:2) {  # proc.time ticks in ms: time blocks of 20 fits
    t0 <- cpu()
    for (i in 1:20) a <- f()
    best <- min(best, (cpu() - t0) / 20)
  }
  it <- attr(a, "info")
  it <- if (is.null(it)) NA else it[1]
  cat(sprintf("%s\t%.6f\t%.17g\t%s\n", label, best * 1e3, a$loglik, it))
}
run("mclust Mclust(G=2, 'E')",
    function() Mclust(x, G = 2, modelNames = "E", verbose = FALSE))
run("mclust em('E') from start 0",
    function() em(data = x, modelName = "E", parameters = st))
run("mclust em('E') from 0, tol 1e-12",
    function() em(data = x, modelName = "E", parameters = st,
                  control = tight))
'''


def time_r(path):
    for rs in ("/usr/bin/Rscript", "Rscript"):
        try:
            out = subprocess.run([rs, "-e", R_CODE, path], check=True,
                                 capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        rows = []
        for line in out.strip().splitlines():
            label, ms, ll, it = line.split("\t")
            rows.append((label, float(ms), float(ll),
                         None if it == "NA" else int(float(it))))
        return rows, None
    return None, "R (Rscript) with mclust not installed"


def main():
    if len(sys.argv) != 4 or not os.path.exists(sys.argv[1]):
        sys.exit("usage: gmm_peer.py SAMPLE.csv SINGSCOPE_S_FREE_MS "
                 "SINGSCOPE_S_KNOWN_MS")
    path, ours, known = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    print("gmm K = 2 EM fit, n = 1000, one common SD (singscope s=free: "
          "1 start, %.3f ms; s known: %.3f ms)" % (ours, known))
    for name, fn in (("R mclust", time_r), ("scikit-learn", time_sklearn)):
        rows, why = fn(path)
        if rows is None:
            print("  %-34s skipped: %s" % (name, why))
            continue
        for label, ms, ll, it in rows:
            its = "" if it is None else "  %d iterations" % it
            print("  %-34s %9.3f ms  loglik %.10g%s  ratio %.1fx (s known "
                  "%.1fx)" % (label, ms, ll, its, ms / ours, ms / known))


if __name__ == "__main__":
    main()
