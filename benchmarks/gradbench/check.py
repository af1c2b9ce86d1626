"""Check each implemented eval on small inputs against plain NumPy and central differences.

Usage: python benchmarks/gradbench/check.py [eval ...]   (exit status 1 on a mismatch)
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from benchmarks.gradbench.adcompile_tool import handle  # noqa: E402


def call(module, function, inp):
    r = handle({"id": 0, "kind": "evaluate", "module": module, "function": function,
                "input": inp | {"min_runs": 1, "min_seconds": 0}})
    if not r["success"]:
        raise RuntimeError(r["error"])
    return r["output"]


def fd(f, x, h=1e-6):
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


def close(name, got, want, tol=1e-5):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    err = np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))) if want.size else 0.0
    ok = got.shape == want.shape and err < tol
    print(f"  {name}: {'ok' if ok else 'MISMATCH'} (max rel err {err:.2e})")
    return ok


# --- plain NumPy references, written independently of the eval modules ---
def ref_lse(x):
    return math.log(np.sum(np.exp(x - x.max()))) + x.max()


def ref_llsq(x, n):
    t = -1 + 2 * np.arange(n) / (n - 1)
    V = t[:, None] ** np.arange(len(x))[None, :]
    r = np.sign(t) - V @ x
    return 0.5 * r @ r


def ref_ode(x, s):
    h, y = 2.0 / s, np.zeros(len(x))
    f = lambda y: np.concatenate(([x[0]], x[1:] * y[:-1]))
    for _ in range(s):
        k1 = f(y); k2 = f(y + h / 2 * k1); k3 = f(y + h / 2 * k2); k4 = f(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def ref_kmeans(P, C):
    D = ((P[:, None, :] - C[None, :, :]) ** 2).sum(-1)
    return D.min(1).sum(), D.argmin(1)


def ref_gmm(inp, alpha, mu, q, l):
    from scipy.special import logsumexp, multigammaln
    d, K, x, m, gamma = inp["d"], inp["k"], np.array(inp["x"]), inp["m"], inp["gamma"]
    n = len(x)
    total = -n * d * 0.5 * math.log(2 * math.pi)
    terms = np.zeros((n, K))
    for k in range(K):
        Q = np.diag(np.exp(q[k]))
        Q = np.diag(np.exp(q[k]))
        idx = 0
        for j in range(d):
            for i in range(j + 1, d):
                Q[i, j] = l[k][idx]; idx += 1
        z = (x - mu[k]) @ Q.T
        terms[:, k] = alpha[k] + q[k].sum() - 0.5 * (z * z).sum(1)
    total += logsumexp(terms, axis=1).sum() - n * logsumexp(alpha)
    dof = d + m + 1
    C = dof * d * (math.log(gamma) - 0.5 * math.log(2)) - multigammaln(0.5 * dof, d)
    for k in range(K):
        total -= 0.5 * gamma**2 * (np.sum(np.exp(q[k]) ** 2) + np.sum(np.square(l[k]))) - m * q[k].sum()
    return total + K * C


def check_lse(rng):
    x = rng.random(50) * 10
    inp = {"x": x.tolist()}
    return (close("primal", call("lse", "primal", inp), ref_lse(x))
            & close("gradient", call("lse", "gradient", inp), fd(ref_lse, x)))


def check_llsq(rng):
    x, n = rng.random(8), 16
    inp = {"x": x.tolist(), "n": n}
    return (close("primal", call("llsq", "primal", inp), ref_llsq(x, n))
            & close("gradient", call("llsq", "gradient", inp), fd(lambda v: ref_llsq(v, n), x)))


def check_ode(rng):
    x, s = rng.random(10), 5
    inp = {"x": x.tolist(), "s": s}
    return (close("primal", call("ode", "primal", inp), ref_ode(x, s))
            & close("gradient", call("ode", "gradient", inp), fd(lambda v: ref_ode(v, s)[-1], x)))


def check_det(rng):
    ell = 5
    A = rng.random((ell, ell))
    inp = {"A": A.ravel().tolist(), "ell": ell}
    return (close("primal", call("det", "primal", inp), np.linalg.det(A))
            & close("gradient", call("det", "gradient", inp), fd(np.linalg.det, A).ravel()))


def check_kmeans(rng):
    P = rng.random((40, 3))
    C = P[-4:].copy()
    inp = {"points": P.tolist(), "centroids": C.tolist()}
    ok = close("cost", call("kmeans", "cost", inp), ref_kmeans(P, C)[0])
    J = fd(lambda c: ref_kmeans(P, c)[0], C)
    counts = np.bincount(ref_kmeans(P, C)[1], minlength=len(C))
    return ok & close("dir", call("kmeans", "dir", inp), J / (2.0 * counts[:, None]))


def check_gmm(rng):
    d, K, n = 3, 4, 20
    inp = {"d": d, "k": K, "n": n, "m": 2, "gamma": 1.5,
           "x": rng.normal(size=(n, d)).tolist(), "alpha": rng.normal(size=K).tolist(),
           "mu": rng.random((K, d)).tolist(), "q": rng.normal(size=(K, d)).tolist(),
           "l": rng.normal(size=(K, d * (d - 1) // 2)).tolist()}
    a, mu, q, l = (np.array(inp[key]) for key in ("alpha", "mu", "q", "l"))
    ok = close("objective", call("gmm", "objective", inp), ref_gmm(inp, a, mu, q, l))
    out = call("gmm", "jacobian", inp)
    ok &= close("d alpha", out["alpha"], fd(lambda v: ref_gmm(inp, v, mu, q, l), a), 1e-4)
    ok &= close("d mu", out["mu"], fd(lambda v: ref_gmm(inp, a, v, q, l), mu), 1e-4)
    ok &= close("d q", out["q"], fd(lambda v: ref_gmm(inp, a, mu, v, l), q), 1e-4)
    ok &= close("d l", out["l"], fd(lambda v: ref_gmm(inp, a, mu, q, v), l), 1e-4)
    return ok


def check_saddle(rng):
    ok = True
    for fn in ("ff", "fr", "rf", "rr"):  # GradBench's expected output for start (1, 1)
        ok &= close(fn, call("saddle", fn, {"start": [1.0, 1.0]}), [8.246324826140356e-06] * 4)
    return ok


def check_particle(rng):
    from benchmarks.gradbench.evals import particle as P
    ok = True
    for fn in ("ff", "fr", "rf", "rr"):  # GradBench's expected output for w = 0
        ok &= close(fn, call("particle", fn, {"w": 0.0}), 0.2071918746486116)
    for forward in (False, True):  # d miss / dw through the simulation, against differences
        for w in (0.0, 0.15):
            got = P._outer["reverse"](w, forward)[1]
            want = (P.miss(w + 1e-6, forward) - P.miss(w - 1e-6, forward)) / 2e-6
            ok &= close(f"d miss/dw at w={w} (inner {'fwd' if forward else 'rev'})", got, want, 1e-5)
    return ok


def ref_lstm(main, extra, state, seq):
    l, (c, b) = main.shape[0] // 2, seq.shape
    h, cl = state[0::2].copy(), state[1::2].copy()
    sig = lambda z: 1 / (1 + np.exp(-z))
    total = 0.0
    for t in range(c - 1):
        x = seq[t] * extra[0]
        for i in range(l):
            W, B = main[2 * i].reshape(4, b), main[2 * i + 1].reshape(4, b)
            f, ig, o = sig(x * W[0] + B[0]), sig(h[i] * W[1] + B[1]), sig(x * W[2] + B[2])
            ch = np.tanh(h[i] * W[3] + B[3])
            cl[i] = cl[i] * f + ig * ch
            h[i] = o * np.tanh(cl[i])
            x = h[i]
        y = x * extra[1] + extra[2]
        total += seq[t + 1] @ (y - np.log(np.exp(y).sum() + 2))
    return -total / ((c - 1) * b)


def check_lstm(rng):
    l, c, b = 2, 6, 4
    main, extra, state = rng.random((2 * l, 4 * b)), rng.random((3, b)), rng.random((2 * l, b))
    seq = (rng.random((c, b)) > 0.5).astype(float)
    inp = {"main_params": main.tolist(), "extra_params": extra.tolist(), "state": state.tolist(),
           "sequence": seq.tolist()}
    ok = close("objective", call("lstm", "objective", inp), ref_lstm(main, extra, state, seq))
    want = np.concatenate([fd(lambda v: ref_lstm(v, extra, state, seq), main).ravel(),
                           fd(lambda v: ref_lstm(main, v, state, seq), extra).ravel()])
    return ok & close("jacobian", call("lstm", "jacobian", inp), want)


def ref_ba_err(cam, X, w, feat):
    rot, Xc = cam[:3], X - cam[3:6]
    th = np.linalg.norm(rot)
    k = rot / th
    Y = Xc * np.cos(th) + np.cross(k, Xc) * np.sin(th) + k * (k @ Xc) * (1 - np.cos(th))
    uv = Y[:2] / Y[2]
    return w * (uv * (1 + cam[9] * (uv @ uv) + cam[10] * (uv @ uv) ** 2) * cam[6] + cam[7:9] - feat)


def check_ba(rng):
    cam = np.concatenate([rng.normal(size=3) * 0.3, rng.normal(size=3), [300.0], rng.normal(size=2),
                          [1e-3, 1e-6]])
    X, w, feat = rng.normal(size=3) + [0, 0, 5], 0.8, rng.normal(size=2)
    inp = {"n": 3, "m": 4, "p": 5, "cam": cam.tolist(), "x": X.tolist(), "w": w, "feat": feat.tolist()}
    out = call("ba", "objective", inp)
    ok = close("objective", out["reproj_error"]["elements"], ref_ba_err(cam, X, w, feat))
    ok &= out["reproj_error"]["repeated"] == 5 and out["w_err"]["repeated"] == 5
    ok &= close("w_err", out["w_err"]["element"], 1 - w * w)
    J = call("ba", "jacobian", inp)
    v = np.concatenate([cam, X, [w]])
    f = lambda v: ref_ba_err(v[:11], v[11:14], v[14], feat)
    Jfd = np.array([fd(lambda t: f(t)[r], v) for r in range(2)])  # (2, 15): first observation
    ok &= close("jacobian block", J["vals"][:30], Jfd.ravel(), 1e-4)
    ok &= close("d w_err", J["vals"][30], -2 * w)
    ok &= J["rows"][:3] == [0, 15, 30] and J["rows"][-1] == 31 * 5
    ok &= J["cols"][:15] == list(range(11)) + [33, 34, 35, 45] and J["cols"][-1] == 49
    print(f"  sparse structure: {'ok' if ok else 'MISMATCH'}")
    return ok


CHECKS = {"ba": check_ba, "lstm": check_lstm, "saddle": check_saddle, "particle": check_particle, "lse": check_lse, "llsq": check_llsq, "ode": check_ode, "det": check_det,
          "kmeans": check_kmeans, "gmm": check_gmm}

if __name__ == "__main__":
    names = sys.argv[1:] or list(CHECKS)
    failed = []
    for name in names:
        print(name)
        try:
            if not CHECKS[name](np.random.default_rng(0)):
                failed.append(name)
        except Exception as e:  # report and go on
            print(f"  ERROR: {type(e).__name__}: {str(e)[:2000]}")
            failed.append(name)
    print("FAILED: " + " ".join(failed) if failed else "all ok")
    sys.exit(1 if failed else 0)
