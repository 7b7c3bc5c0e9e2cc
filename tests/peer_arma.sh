#!/bin/sh
# Peer cross-check of the ARMA fit (docs/theory.md, "Maximum-likelihood
# fits"): R's `lh` series (datasets::lh, 48 values), demeaned once by R and
# written to CSV, read by all three programs; ARMA(1,0) and ARMA(1,1) with
# sigma2 profiled and no mean (singscope's arma has none; R
# include.mean = FALSE, statsmodels trend = 'n'). The maximised
# log-likelihood must agree with stats::arima(method = "ML") and with
# statsmodels' exact MLE (ARIMA, state space) to 1e-6 relative, the
# coefficients to 1e-4 (the peers stop their optimisers at looser
# tolerances than the likelihood needs). Skipped (77) without R, which
# provides the series; without statsmodels only R is checked (said so).
# PEER_RSCRIPT / PEER_PYTHON name the programs to try instead of
# /usr/bin/Rscript, Rscript, /usr/bin/python3, python3.
set -u
S=$SINGSCOPE
R=
for c in ${PEER_RSCRIPT:-/usr/bin/Rscript $(command -v Rscript 2>/dev/null)}; do
    if [ -n "$c" ] && [ -x "$c" ] && "$c" -e 'invisible(datasets::lh)' \
        >/dev/null 2>&1; then R=$c; break; fi
done
PY=
for c in ${PEER_PYTHON:-/usr/bin/python3 $(command -v python3 2>/dev/null)}; do
    if [ -n "$c" ] && [ -x "$c" ] && "$c" -c \
        'import statsmodels.tsa.arima.model' >/dev/null 2>&1; then
        PY=$c; break; fi
done
if [ -z "$R" ]; then
    echo "SKIP: R (Rscript with datasets::lh) is not installed: no series"
    exit 77
fi
[ -n "$PY" ] || echo "note: statsmodels not installed; checking R only"
dir=$(mktemp -d "${TMPDIR:-/tmp}/ss_peer_arma.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
fails=0

"$R" -e 'x <- as.numeric(datasets::lh); x <- x - mean(x);
         write.csv(data.frame(x = x), "lh.csv", row.names = FALSE)' \
    >/dev/null 2>&1 || { echo "FAILED: R could not write lh.csv"; exit 1; }

# singscope: one `field value` per line per fit, f10 (ARMA(1,0)), f11
"$S" --batch -e 'load lh.csv as x' \
    -e 'model a arma ar=[0.1] ma=[]' -e 'fit a data=x as f10' \
    -e 'export f10 f10.csv' \
    -e 'model b arma ar=[0.1] ma=[0.1]' -e 'fit b data=x as f11' \
    -e 'export f11 f11.csv' </dev/null >ss.log 2>&1 ||
    { echo "FAILED: singscope"; cat ss.log; exit 1; }
field() { # file, field
    awk -F, -v k="$2" '$1 == k { print $2 }' "$1"
}
for o in 10 11; do
    echo "ss$o loglik $(field f$o.csv loglik) ar1 $(field f$o.csv ar1)" \
        "ma1 $(field f$o.csv ma1)"
done >ss.txt

# R: arima(method = "ML") on the same file
"$R" -e 'x <- read.csv("lh.csv")$x
         for (o in list(c(1, 0, 0), c(1, 0, 1))) {
           a <- arima(x, order = o, method = "ML", include.mean = FALSE,
                      optim.control = list(reltol = 1e-12, maxit = 1000))
           cf <- coef(a)
           cat(sprintf("R%d%d loglik %.17g ar1 %.17g ma1 %s\n", o[1], o[3],
                       a$loglik, cf["ar1"],
                       if (o[3] > 0) sprintf("%.17g", cf["ma1"]) else ""))
         }' >r.txt 2>r.err || { echo "FAILED: R arima"; cat r.err; exit 1; }

if [ -n "$PY" ]; then
    "$PY" - >py.txt 2>py.err <<'PYEOF' || { echo "FAILED: statsmodels"; cat py.err; exit 1; }
import warnings
import numpy as np
from statsmodels.tsa.arima.model import ARIMA
x = np.loadtxt("lh.csv", delimiter=",", skiprows=1)
for p, q in ((1, 0), (1, 1)):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = ARIMA(x, order=(p, 0, q), trend="n").fit(
            method_kwargs={"maxiter": 1000, "pgtol": 1e-10, "factr": 10})
    ma = "%.17g" % r.params[1] if q else ""
    print("P%d%d loglik %.17g ar1 %.17g ma1 %s" % (p, q, r.llf, r.params[0], ma))
PYEOF
fi

cat ss.txt r.txt py.txt 2>/dev/null
# compare peer line (prefix) against singscope's for one order
compare() { # peer-file prefix order name
    [ -f "$1" ] || return 0
    line=$(grep "^$2$3 " "$1")
    ours=$(grep "^ss$3 " ss.txt)
    msg=$(printf '%s\n%s\n' "$ours" "$line" | awk -v what="$4 ARMA(1,${3#1})" '
        NR == 1 { for (i = 2; i < NF; i += 2) a[$i] = $(i + 1) }
        NR == 2 { for (i = 2; i < NF; i += 2) b[$i] = $(i + 1) }
        END {
            bad = 0
            if (a["loglik"] == "" || b["loglik"] == "") { print "FAILED: " what ": missing numbers"; exit }
            d = a["loglik"] - b["loglik"]; if (d < 0) d = -d
            s = b["loglik"]; if (s < 0) s = -s
            if (!(d <= 1e-6 * s)) { print "FAILED: " what " loglik " a["loglik"] " vs " b["loglik"]; bad = 1 }
            split("ar1 ma1", ks, " ")
            for (j = 1; j <= 2; j++) {
                k = ks[j]; if (b[k] == "") continue
                d = a[k] - b[k]; if (d < 0) d = -d
                if (!(d <= 1e-4)) { print "FAILED: " what " " k " " a[k] " vs " b[k]; bad = 1 }
            }
            if (!bad) print "ok: " what " (loglik within 1e-6 relative, coefficients within 1e-4)"
        }')
    echo "$msg"
    case $msg in *FAILED*) fails=$((fails + 1)) ;; esac
}
for o in 10 11; do
    compare r.txt R $o "R arima"
    compare py.txt P $o "statsmodels"
done
[ "$fails" -eq 0 ] || { echo "$fails failed"; cat ss.log; exit 1; }
exit 0
