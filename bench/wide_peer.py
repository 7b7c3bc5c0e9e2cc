"""The peer of bench/bench_wide: the same exact FIM spectrum in PyTorch.

A random relu network of L = 3 weight layers (500 -> 500 -> 500 -> 10),
W ~ N(0, 2/M_{l-1}), no biases' variance (sb2 = 0, the biases still
parameters), T = 100 standard-normal inputs: the regression FIM's non-zero
eigenvalues are those of the 1000 x 1000 dual Gram J J^T / T, where J is
the (T C) x P Jacobian of the outputs. PyTorch (Debian's python3-torch)
builds J by reverse mode, one backward pass per output with the batch of
T inputs (functorch's vmap over the rows of the identity), then
J J^T / T and torch.linalg.eigvalsh. One thread (torch.set_num_threads(1))
as singscope's bench uses; double precision. Skips cleanly without torch.
Prints the best wall time of 3 and singscope's time from the command line
side by side.
"""
import sys
import time

try:
    import torch
except ImportError:
    print("wide peer: PyTorch not found (Debian: python3-torch); skipped")
    sys.exit(0)

ours = float(sys.argv[1]) if len(sys.argv) > 1 else float("nan")
torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(1)
L, M, M0, C, T = 3, 500, 500, 10, 100
widths = [M0, M, M, C]
params = []
for l in range(L):
    W = torch.randn(widths[l + 1], widths[l], generator=g) * (2.0 / widths[l]) ** 0.5
    b = torch.zeros(widths[l + 1])
    params += [W, b]
X = torch.randn(T, M0, generator=g)
P = sum(p.numel() for p in params)


def forward(flat):
    h, o = X, 0
    for l in range(L):
        W = flat[o:o + widths[l + 1] * widths[l]].view(widths[l + 1], widths[l])
        o += W.numel()
        b = flat[o:o + widths[l + 1]]
        o += b.numel()
        h = h @ W.T + b
        if l < L - 1:
            h = torch.relu(h)
    return h.reshape(-1)  # T C outputs, output-major within an input


flat0 = torch.cat([p.reshape(-1) for p in params])


def spectrum():
    theta = flat0.clone().requires_grad_(True)
    y = forward(theta)
    eye = torch.eye(T * C)
    try:
        from torch.func import vjp, vmap  # torch >= 2.0
    except ImportError:
        from functorch import vjp, vmap
    _, pull = vjp(forward, theta)
    J = vmap(pull)(eye)[0]  # (T C) x P
    K = J @ J.T / T
    ev = torch.linalg.eigvalsh(K)
    return ev.flip(0), y


best = 1e30
for _ in range(3):
    t0 = time.perf_counter()
    ev, _ = spectrum()
    best = min(best, time.perf_counter() - t0)
mean = float(ev.sum()) / P
print("wide peer: PyTorch %s, P = %d, one exact spectrum (Jacobian by vjp + "
      "Gram + eigvalsh), 1 thread: %.3f s (best of 3); singscope %.3f s; "
      "ratio %.1fx" % (torch.__version__, P, best, ours, best / ours))
print("  m_lambda %.6g, lambda_max %.6g (another random network than "
      "singscope's: the same order)" % (mean, float(ev[0])))
