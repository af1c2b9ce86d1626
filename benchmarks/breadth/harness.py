"""The breadth harness's logic: sample points, finite differences, compare, classify.

Kept apart from run.py (the command line) and loaders.py (other projects' sources) so that
tests/test_breadth_harness.py can check it on inline functions.

Statuses:
  correct   adcompile's gradient agrees with finite differences (both modes, every point
            where finite differences are trustworthy)
  wrong     a gradient disagrees with finite differences that agree with themselves
  refused   adcompile raised its own located error about the program (it names what is
            missing); `first_line` holds the message's first line
  crashed   any other exception from adcompile (an internal error, a Numba failure of
            generated code, an adcompile runtime error where NumPy runs fine)
  skipped   not measurable, with the reason: the NumPy code fails or is not finite, it is
            random, it returns no float, finite differences are unstable at every point
            (nonsmooth or too noisy), or the loader says so
"""
from __future__ import annotations

import math
import re
import signal
import traceback
import zlib
from dataclasses import dataclass, field, asdict

import numpy as np

CORRECT, WRONG, REFUSED, CRASHED, SKIPPED = "correct", "wrong", "refused", "crashed", "skipped"
MODES = ("reverse", "forward")
EPS = np.finfo(float).eps


@dataclass
class Result:
    suite: str
    name: str
    status: str
    reason: str = ""                 # skipped: why; wrong/crashed: what
    first_line: str = ""             # refused/crashed: the error's first line (location stripped)
    location: str = ""               # refused: file:line:col of the error
    error_type: str = ""
    modes: dict = field(default_factory=dict)   # mode -> status
    points: int = 0                  # points compared
    unclear_points: int = 0          # points where finite differences were unstable
    max_rel_err: float = 0.0
    detail: dict = field(default_factory=dict)  # wrong: x, ad, fd of the worst point
    source: str = ""
    seconds: float = 0.0

    def to_json(self):
        return asdict(self)


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def with_timeout(seconds, fn, *args):
    """Run fn(*args) with SIGALRM (main thread, POSIX); a hang raises Timeout."""
    if seconds <= 0 or not hasattr(signal, "SIGALRM"):
        return fn(*args)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# -- points ----------------------------------------------------------------------------------

def sample_points(lo, hi, n, name, seed=0, margin=0.05, unbounded=5.0):
    """n random points strictly inside the box (a margin of 5% on each side), reproducible
    per function name and seed. Infinite bounds are replaced by +-`unbounded`."""
    lo = np.asarray(lo, dtype=float).copy()
    hi = np.asarray(hi, dtype=float).copy()
    lo[~np.isfinite(lo)] = -unbounded
    hi[~np.isfinite(hi)] = unbounded
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    u = rng.uniform(margin, 1.0 - margin, size=(n, lo.size))
    return [lo + (hi - lo) * ui for ui in u]


# -- finite differences -----------------------------------------------------------------------

def fd_gradient(f, x, rel_step):
    """Central differences with Richardson extrapolation, h_i = rel_step * max(1, |x_i|).
    Returns (gradient, error estimate per component, largest |f| seen)."""
    x = np.asarray(x, dtype=float)
    g = np.empty_like(x)
    err = np.empty_like(x)
    fmax = abs(float(f(x.copy())))
    for i in range(x.size):
        h = rel_step * max(1.0, abs(x[i]))
        vals = {}
        for k in (1.0, 0.5, -0.5, -1.0):
            xk = x.copy()
            xk[i] += k * h
            vals[k] = float(f(xk))
            fmax = max(fmax, abs(vals[k]))
        d1 = (vals[1.0] - vals[-1.0]) / (2 * h)
        d2 = (vals[0.5] - vals[-0.5]) / h
        g[i] = (4 * d2 - d1) / 3
        # truncation (how much the extrapolation moved) plus rounding of the differences
        err[i] = abs(d2 - d1) + 64 * EPS * fmax / h
    return g, err, fmax


FD_STEPS = (1e-3, 1e-4, 1e-5, 1e-6)


def compare(ad, f, x, rtol=1e-6, steps=FD_STEPS):
    """Does the AD gradient `ad` agree with finite differences of f at x?

    Returns ("ok" | "bad" | "unclear", relative error, fd used). AD is accepted when, for some
    step, every component is within that step's error estimate (times 10) plus rtol relative
    to the gradient's size. When no step agrees, the point is "bad" only if two neighbouring
    steps agree with each other (finite differences are trustworthy there) and "unclear" if
    they do not (a kink, a jump or noise within the steps)."""
    ad = np.asarray(ad, dtype=float).reshape(np.shape(x))
    if not np.all(np.isfinite(ad)):
        fds = [fd_gradient(f, x, s) for s in steps[1:3]]
        if all(np.all(np.isfinite(g)) for g, _, _ in fds) and _agree(fds[0], fds[1], rtol):
            return "bad", math.inf, fds[0][0]
        return "unclear", math.inf, fds[0][0]
    fds = []
    best = (math.inf, None)
    for s in steps:
        g, err, fmax = fd_gradient(f, x, s)
        fds.append((g, err, fmax))
        if not np.all(np.isfinite(g)):
            continue
        scale = max(np.max(np.abs(g)), np.max(np.abs(ad)), 1e-300)
        tol = 10 * err + rtol * np.maximum(np.abs(g), 1e-3 * scale) + 1e-12 * (1 + fmax)
        diff = np.abs(ad - g)
        rel = float(np.max(diff / scale))
        if rel < best[0]:
            best = (rel, g)
        if np.all(diff <= tol):
            return "ok", rel, g
    for a, b in zip(fds, fds[1:]):
        if np.all(np.isfinite(a[0])) and np.all(np.isfinite(b[0])) and _agree(a, b, rtol):
            return "bad", best[0], b[0]
    return "unclear", best[0], best[1]


def _agree(a, b, rtol):
    ga, ea, _ = a
    gb, eb, _ = b
    scale = max(np.max(np.abs(ga)), np.max(np.abs(gb)), 1e-300)
    return bool(np.all(np.abs(ga - gb) <= 10 * (ea + eb) + 100 * rtol * scale))


# -- classification --------------------------------------------------------------------------

_LOC = re.compile(r"^(?P<loc>.+?:\d+:\d+): (?P<msg>.*)$")


def split_error(e):
    """(location, first line without the location) of an exception's message."""
    text = str(e).strip().splitlines()
    first = text[0] if text else type(e).__name__
    m = _LOC.match(first)
    if m:
        return m.group("loc"), m.group("msg")
    return "", first


def is_refusal(e, ad):
    """adcompile's own errors about the user's program (as opposed to its internal ones)."""
    refusal_types = tuple(t for t in (getattr(ad.errors, "UnsupportedSyntaxError", None),
                                      getattr(ad.errors, "UnknownFunctionError", None),
                                      getattr(ad.errors, "AdTypeError", None)) if t)
    return isinstance(e, refusal_types)


def evaluate_numpy(f, points):
    """The function as its project runs it, at each point: float values, or a skip reason."""
    vals = []
    for x in points:
        try:
            v = f(x.copy())
        except Exception as e:  # the project's own code fails: not ours to measure
            return None, f"its NumPy code raises {type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"
        if np.ndim(v) != 0 and np.size(v) != 1:
            return None, f"returns an array of shape {np.shape(v)}, not a float"
        try:
            v = float(np.asarray(v).reshape(()))
        except Exception as e:
            return None, f"returns {type(v).__name__}, not a float"
        vals.append(v)
    for x, v in zip(points, vals):
        try:
            again = float(np.asarray(f(x.copy())).reshape(()))
        except Exception:
            again = math.nan
        if not (again == v or (math.isnan(again) and math.isnan(v))):
            return None, "random: two calls at the same point give different values"
    return vals, None


def check_function(suite, name, f, lo, hi, ad, n_points=3, seed=0, rtol=1e-6,
                   timeout=120.0, modes=MODES, source=""):
    """Differentiate f (as written) at n_points random interior points in both modes and
    classify it. Never raises (except KeyboardInterrupt)."""
    import time
    t0 = time.time()
    res = Result(suite, name, SKIPPED, source=source)
    try:
        points = sample_points(lo, hi, n_points, name, seed)
        vals, why = evaluate_numpy(f, points)
        if why:
            res.reason = why
            return res
        good = [x for x, v in zip(points, vals) if math.isfinite(v)]
        if not good:
            res.reason = "its NumPy value is not finite at the sampled points"
            return res
        worst = 0.0
        unclear = set()
        for mode in modes:
            try:
                g = ad.grad(f, mode=mode)
            except Exception as e:
                _record_error(res, e, ad, mode)
                return res
            mstatus = CORRECT
            for k, x in enumerate(good):
                try:
                    gx = with_timeout(timeout, g, x.copy())
                except Timeout:
                    res.status, res.reason = CRASHED, f"{mode}: no answer in {timeout:.0f} s"
                    res.modes[mode] = CRASHED
                    return res
                except Exception as e:
                    _record_error(res, e, ad, mode)
                    return res
                try:
                    verdict, rel, fd = compare(gx, f, x, rtol)
                except Exception as e:
                    res.reason = f"finite differences fail: {type(e).__name__}: {e}"
                    return res
                if verdict == "unclear":
                    unclear.add(k)
                    continue
                if verdict == "bad":
                    mstatus = WRONG
                    if rel >= worst or not res.detail:
                        res.detail = {"mode": mode, "x": x.tolist(), "ad": np.ravel(gx).tolist(),
                                      "fd": np.ravel(fd).tolist()}
                worst = max(worst, rel) if math.isfinite(rel) else math.inf
            res.modes[mode] = mstatus
        res.points = len(good) - len(unclear)
        res.unclear_points = len(unclear)
        res.max_rel_err = worst
        if WRONG in res.modes.values():
            res.status = WRONG
            res.reason = ("gradient disagrees with finite differences ("
                          + ", ".join(m for m, s in res.modes.items() if s == WRONG) + ")")
        elif res.points == 0:
            res.status = SKIPPED
            res.reason = "finite differences unstable at every sampled point (nonsmooth or noisy there)"
        else:
            res.status = CORRECT
        return res
    except KeyboardInterrupt:
        raise
    except Exception as e:  # a harness bug must not stop the run, but must show
        res.status, res.error_type = CRASHED, type(e).__name__
        res.reason = "harness error: " + traceback.format_exc(limit=3)
        return res
    finally:
        res.seconds = round(time.time() - t0, 3)


def _record_error(res, e, ad, mode):
    res.error_type = type(e).__name__
    loc, first = split_error(e)
    res.location, res.first_line = loc, first
    res.modes[mode] = REFUSED if is_refusal(e, ad) else CRASHED
    if is_refusal(e, ad):
        res.status = REFUSED
        res.reason = first
    else:
        res.status = CRASHED
        tb = traceback.format_exception(type(e), e, e.__traceback__)
        res.reason = f"{mode}: {type(e).__name__}: {first}"
        res.detail = {"traceback_tail": "".join(tb[-3:])[-1500:]}


# -- grouping --------------------------------------------------------------------------------

def refusal_group(first_line):
    """The cause of a refusal, names kept (they are what is missing), numbers dropped."""
    return re.sub(r"\b\d+\b", "N", first_line).strip()


def summarise(results):
    counts = {s: 0 for s in (CORRECT, WRONG, REFUSED, CRASHED, SKIPPED)}
    for r in results:
        counts[r.status] += 1
    differentiable = counts[CORRECT] + counts[WRONG] + counts[REFUSED] + counts[CRASHED]
    pct = 100.0 * counts[CORRECT] / differentiable if differentiable else 0.0
    groups = {}
    for r in results:
        if r.status == REFUSED:
            groups.setdefault(refusal_group(r.first_line), []).append(r.name)
    groups = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return counts, differentiable, pct, groups
