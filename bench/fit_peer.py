#!/usr/bin/env python3
"""The ARMA(1,1) exact MLE of bench_fit (n = 1000, sigma2 profiled, no
mean) by R's stats::arima(method = "ML", include.mean = FALSE) and by
statsmodels' ARIMA(order=(1, 0, 1), trend='n') (state-space exact MLE),
on the series bench_fit wrote (--series FILE), timed as the minimum CPU
time over a few repeats (the machine is shared; R's in blocks of 20 fits,
its clock ticks in ms), with their ratios to bench_fit's 1-start figure.

usage: fit_peer.py SERIES.csv SINGSCOPE_MS

Each peer's maximised log-likelihood is printed next to singscope's
(bench_fit prints it) so the three solve the same problem; a peer that is
not installed is skipped with a message."""
import os
import subprocess
import sys
import time
import warnings


def time_statsmodels(path, reps=5):
    try:
        import numpy as np
        from statsmodels.tsa.arima.model import ARIMA
    except ImportError:
        return None, None, "statsmodels not installed"
    x = np.loadtxt(path, delimiter=",", skiprows=1)
    best, llf = float("inf"), None
    for _ in range(reps):
        t0 = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = ARIMA(x, order=(1, 0, 1), trend="n").fit()
        best = min(best, time.process_time() - t0)
        llf = r.llf
    return best * 1e3, llf, None


R_CODE = r'''
x <- read.csv(commandArgs(TRUE)[1])$x
cpu <- function() sum(proc.time()[c("user.self", "sys.self")])
best <- Inf
for (b in 1:3) {  # proc.time ticks in ms: time blocks of 20 fits
  t0 <- cpu()
  for (i in 1:20)
    a <- arima(x, order = c(1, 0, 1), method = "ML", include.mean = FALSE)
  best <- min(best, (cpu() - t0) / 20)
}
cat(sprintf("%.6f %.17g\n", best * 1e3, a$loglik))
'''


def time_r(path):
    for rs in ("/usr/bin/Rscript", "Rscript"):
        try:
            out = subprocess.run([rs, "-e", R_CODE, path], check=True,
                                 capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        ms, ll = out.split()
        return float(ms), float(ll), None
    return None, None, "R (Rscript) not installed"


def main():
    if len(sys.argv) != 3 or not os.path.exists(sys.argv[1]):
        sys.exit("usage: fit_peer.py SERIES.csv SINGSCOPE_MS")
    path, ours = sys.argv[1], float(sys.argv[2])
    print("ARMA(1,1) exact MLE, n = 1000, sigma2 profiled, no mean "
          "(singscope: 1 start, %.3f ms)" % ours)
    for name, fn in (("R stats::arima(method='ML')", time_r),
                     ("statsmodels ARIMA(trend='n')", time_statsmodels)):
        ms, ll, why = fn(path)
        if ms is None:
            print("  %-30s skipped: %s" % (name, why))
        else:
            print("  %-30s %9.3f ms  loglik %.10g  ratio %.0fx"
                  % (name, ms, ll, ms / ours))


if __name__ == "__main__":
    main()
