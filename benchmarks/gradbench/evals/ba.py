"""GradBench `ba` (ADBench's bundle adjustment): reprojection errors and their sparse Jacobian.

Input: one camera (11 parameters: Rodrigues rotation, centre, focal length, principal point,
2 radial distortion), one point, one weight, one feature, and n, m, p: the tool builds n
cameras, m points and p observations (observation i sees camera i % n and point i % m) and
computes all of them. Output as GradBench's reference tool: the first observation's errors
and the counts; the Jacobian in CSR form (row starts, columns, values), first 30 entries and
the last of each.

Every observation's 2 x 15 Jacobian block comes from 15 forward-mode sweeps (ad.jvp) of the
error function over all observations at once: the derivative along one parameter column of
every camera/point/weight row, each observation depending only on its own rows.
"""
import math

import numba
import numpy as np

import adcompile as ad

NCAM = 11


def reproj_errors(C, X, w, feat):
    """C (p, 11), X (p, 3), w (p,), feat (p, 2): per-observation copies -> errors (p, 2)."""
    p = C.shape[0]
    err = np.zeros((p, 2))
    for j in range(p):
        r0 = C[j, 0]
        r1 = C[j, 1]
        r2 = C[j, 2]
        x0 = X[j, 0] - C[j, 3]
        x1 = X[j, 1] - C[j, 4]
        x2 = X[j, 2] - C[j, 5]
        sqtheta = r0 * r0 + r1 * r1 + r2 * r2
        if sqtheta != 0.0:
            theta = math.sqrt(sqtheta)
            c = math.cos(theta)
            s = math.sin(theta)
            w0 = r0 / theta
            w1 = r1 / theta
            w2 = r2 / theta
            dot = (w0 * x0 + w1 * x1 + w2 * x2) * (1.0 - c)
            y0 = x0 * c + (w1 * x2 - w2 * x1) * s + w0 * dot
            y1 = x1 * c + (w2 * x0 - w0 * x2) * s + w1 * dot
            y2 = x2 * c + (w0 * x1 - w1 * x0) * s + w2 * dot
        else:
            y0 = x0 + (r1 * x2 - r2 * x1)
            y1 = x1 + (r2 * x0 - r0 * x2)
            y2 = x2 + (r0 * x1 - r1 * x0)
        u = y0 / y2
        v = y1 / y2
        rsq = u * u + v * v
        L = 1.0 + C[j, 9] * rsq + C[j, 10] * rsq * rsq
        err[j, 0] = w[j] * (u * L * C[j, 6] + C[j, 7] - feat[j, 0])
        err[j, 1] = w[j] * (v * L * C[j, 6] + C[j, 8] - feat[j, 1])
    return err


def w_errors(w):
    return 1.0 - w * w


_reproj_errors_njit = numba.njit(reproj_errors)  # the primal: the same source, by Numba


def prepare(inp):
    n, m, p = int(inp["n"]), int(inp["m"]), int(inp["p"])
    cams = np.tile(np.asarray(inp["cam"], dtype=np.float64), (n, 1))
    X = np.tile(np.asarray(inp["x"], dtype=np.float64), (m, 1))
    w = np.full(p, float(inp["w"]))
    feat = np.tile(np.asarray(inp["feat"], dtype=np.float64), (p, 1))
    obs = np.stack([np.arange(p) % n, np.arange(p) % m], axis=1)
    return cams, X, w, feat, obs


def objective(cams, X, w, feat, obs):
    return _reproj_errors_njit(cams[obs[:, 0]], X[obs[:, 1]], w, feat), w_errors(w)


def post_objective(out):
    r, we = out
    return {"reproj_error": {"elements": r[0].tolist(), "repeated": int(r.shape[0])},
            "w_err": {"element": float(we[0]), "repeated": int(we.shape[0])}}


def jacobian(cams, X, w, feat, obs):
    C, Xo = cams[obs[:, 0]], X[obs[:, 1]]
    p = w.shape[0]
    n, m = cams.shape[0], X.shape[0]
    blocks = np.zeros((p, 2, NCAM + 4))  # d err[j, r] / d (cam params, point, weight)
    zC, zX, zw, zf = np.zeros_like(C), np.zeros_like(Xo), np.zeros_like(w), np.zeros_like(feat)
    for k in range(NCAM + 4):
        dC, dX, dw = zC.copy(), zX.copy(), zw.copy()
        if k < NCAM:
            dC[:, k] = 1.0
        elif k < NCAM + 3:
            dX[:, k - NCAM] = 1.0
        else:
            dw[:] = 1.0
        _, t = ad.jvp(reproj_errors, (C, Xo, w, feat), (dC, dX, dw, zf))
        blocks[:, :, k] = t
    # CSR: 2 rows of 15 entries per observation, then one row per weight
    rows = np.concatenate([[0], 15 * np.arange(1, 2 * p + 1), 30 * p + np.arange(1, p + 1)])
    cam_cols = NCAM * obs[:, 0:1] + np.arange(NCAM)[None, :]
    pt_cols = NCAM * n + 3 * obs[:, 1:2] + np.arange(3)[None, :]
    w_cols = (NCAM * n + 3 * m + np.arange(p))[:, None]
    one_row = np.concatenate([cam_cols, pt_cols, w_cols], axis=1)  # (p, 15)
    cols = np.concatenate([np.repeat(one_row, 2, axis=0).ravel(), w_cols.ravel()])
    vals = np.concatenate([blocks.reshape(p * 2 * 15), -2.0 * w])  # d(1 - w^2)/dw
    return rows, cols, vals


def post_jacobian(out):
    rows, cols, vals = out
    keep = lambda a: a[:30].tolist() + [a[-1].item()]
    return {"rows": [int(v) for v in keep(rows)], "cols": [int(v) for v in keep(cols)],
            "vals": [float(v) for v in keep(vals)]}


FUNCTIONS = {
    "objective": (prepare, objective, post_objective),
    "jacobian": (prepare, jacobian, post_jacobian),
}
