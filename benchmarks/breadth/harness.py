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


FD_STEPS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)


def compare(ad, f, x, rtol=1e-6, steps=FD_STEPS):
    """Does the AD gradient `ad` agree with finite differences of f at x?

    Returns (verdict, relative error, fd) with verdict "ok", "bad" or "unclear".

    Component i is accepted when, at the step with the smallest error estimate or at the
    finest informative step, |ad_i - fd_i| is within that error estimate (times 10) plus rtol relative to |fd_i| (or to 1e-3 of the
    gradient's size, for tiny components). A step informs only where its error estimate is
    well below the value it gives. A component not accepted is *reliably* wrong only where
    finite differences are trustworthy: the two finest informative steps agree to 1e-4
    (coarse steps can agree with each other and still be wrong: over many periods of an
    oscillation they all measure its average slope).
    A non-finite AD gradient where every difference is finite is "bad".
    Otherwise (a kink, a jump, noise or rounding within the steps) it is unclear.
    The point is "bad" if any component is reliably wrong, "ok" if every component is
    accepted or unclear with at least one accepted, else "unclear"."""
    x = np.asarray(x, dtype=float)
    ad = np.asarray(ad, dtype=float).reshape(np.shape(x))
    fds = [fd_gradient(f, x, s) for s in steps]
    gs = np.array([g for g, _, _ in fds])            # (steps, n)
    errs = np.array([e for _, e, _ in fds])
    fmax = max(m for _, _, m in fds)
    finite = np.isfinite(gs) & np.isfinite(errs)
    scale = np.nanmax(np.where(finite, np.abs(gs), np.nan), axis=0) if finite.any() else np.zeros(x.size)
    scale = np.where(np.isfinite(scale), scale, 0.0)
    zero = 1e-8 * (1 + fmax)       # a derivative below this is zero, for a value of size fmax
    gscale = max(float(np.max(scale)) if scale.size else 0.0, zero)
    floor = np.maximum(np.maximum(np.abs(gs), 1e-3 * gscale), zero)
    tol = 10 * errs + rtol * floor + 1e-2 * zero
    with np.errstate(invalid="ignore"):
        diff = np.abs(ad[None, :] - gs)
        # a step informs only where its error estimate is well below the value it gives
        informative = finite & (10 * errs <= 0.1 * floor)
        # judged by the most accurate informative step (the smallest error estimate): a
        # coarse step's generous tolerance must not accept what a fine one rejects
        est = np.where(informative, errs, np.inf)
        best = np.argmin(est, axis=0)
        cols = np.arange(x.size)
        ok = np.isfinite(ad)[None, :] & informative & (diff <= tol)
        # ... or by the finest informative step (the smallest error estimate can belong to a
        # step far longer than an oscillation's period, which measures its average slope)
        finest = np.array([max([k for k in range(len(steps)) if informative[k, i]], default=0)
                           for i in range(x.size)], dtype=int)
        accepted = ok[best, cols] | ok[finest, cols]
    # trustworthy: the two finest informative steps agree to 1e-4 (not any two steps: steps
    # far longer than an oscillation's period agree with each other on its average slope)
    reliable = np.zeros(x.size, dtype=bool)
    for i in range(x.size):
        inf_steps = [k for k in range(len(steps)) if informative[k, i]]
        if len(inf_steps) >= 2:
            a, b = gs[inf_steps[-2], i], gs[inf_steps[-1], i]
            reliable[i] = abs(a - b) <= 1e-4 * max(abs(b), 1e-3 * gscale) + 1e-2 * zero
    best_fd = np.array([gs[_best_step(finite[:, i], errs[:, i]), i] for i in range(x.size)])
    with np.errstate(invalid="ignore"):
        rel = float(np.max(np.abs(ad - best_fd)) / gscale) if x.size else 0.0
    if not math.isfinite(rel):
        rel = math.inf
    if np.any(~accepted & reliable):
        return "bad", rel, best_fd
    if not np.all(np.isfinite(ad)) and np.all(finite):
        return "bad", rel, best_fd     # inf/nan where the function and its differences are finite
    if np.all(accepted):
        return "ok", rel, best_fd
    if np.any(accepted):
        return "ok", rel, best_fd   # the other components unclear: not held against AD
    return "unclear", rel, best_fd


def _best_step(finite, err):
    idx = [k for k in range(len(err)) if finite[k]]
    if not idx:
        return 0
    return min(idx, key=lambda k: err[k])


_STEP_CALL = re.compile(r"\b(round|floor|ceil|rint|trunc|fix|int|floor_divide|sign)\s*\(|//")


def step_functions(f):
    """The piecewise constant operations f's own source calls (round, floor, //, ...)."""
    import inspect
    try:
        src = inspect.getsource(f)
    except (OSError, TypeError):
        return []
    found = []
    for m in _STEP_CALL.finditer(src):
        name = m.group(1) or "//"
        if name not in found:
            found.append(name)
    return found


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
            compared = 0
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
                compared += 1
                if verdict == "bad":
                    mstatus = WRONG
                    if rel >= worst or not res.detail:
                        res.detail = {"mode": mode, "x": x.tolist(), "ad": np.ravel(gx).tolist(),
                                      "fd": np.ravel(fd).tolist()}
                worst = max(worst, rel) if math.isfinite(rel) else math.inf
            res.modes[mode] = mstatus if compared else "unclear"
        res.points = len(good) - len(unclear)
        res.unclear_points = len(unclear)
        res.max_rel_err = worst
        steps = step_functions(f)
        if WRONG in res.modes.values() and steps:
            res.status = SKIPPED
            res.reason = (f"piecewise constant parts ({', '.join(steps)}): finite differences "
                          "measure the slope across its steps, AD the flat steps; not comparable")
        elif WRONG in res.modes.values():
            res.status = WRONG
            res.reason = ("gradient disagrees with finite differences ("
                          + ", ".join(m for m, s in res.modes.items() if s == WRONG) + ")")
        elif res.points == 0:
            res.status = SKIPPED
            res.reason = "finite differences unstable at every sampled point (nonsmooth or noisy there)"
            if steps:
                res.reason = f"piecewise constant parts ({', '.join(steps)}): " + res.reason
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


class Perturbed:
    """adcompile with every gradient made wrong by rel x its size in the last component:
    run.py --perturb checks that the comparison catches errors that small."""

    def __init__(self, ad, rel):
        self.errors = ad.errors
        self._ad = ad
        self.rel = rel

    def grad(self, f, mode="reverse"):
        g = self._ad.grad(f, mode=mode)

        def h(x):
            r = np.array(g(x), dtype=float)
            r.flat[-1] += self.rel * max(float(np.max(np.abs(r))), 1e-3)
            return r
        return h


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
