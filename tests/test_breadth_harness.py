"""The breadth harness's own logic (benchmarks/breadth/harness.py): finite differences, the
comparison, and the classification, on functions written here (the other projects' suites
the harness measures are fetched at run time and are not available in CI)."""
import math
import os
import sys

import numpy as np
import pytest

import adcompile as ad

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks", "breadth"))
import harness  # noqa: E402


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


# -- finite differences and the comparison ------------------------------------------------------

def test_fd_gradient_matches_the_exact_gradient():
    x = np.array([0.3, -1.2, 0.8, 1.1])
    g, err, _ = harness.fd_gradient(rosen, x, 1e-4)
    assert np.allclose(g, rosen_grad(x), rtol=1e-8, atol=1e-8)
    assert np.all(err < 1e-5)


def test_compare_accepts_the_exact_gradient_and_rejects_a_wrong_one():
    x = np.array([0.3, -1.2, 0.8, 1.1])
    assert harness.compare(rosen_grad(x), rosen, x)[0] == "ok"
    bad = rosen_grad(x)
    bad[2] *= 1.001                      # a 0.1% error in one component is caught
    assert harness.compare(bad, rosen, x)[0] == "bad"
    assert harness.compare(-rosen_grad(x), rosen, x)[0] == "bad"


def test_compare_is_fair_to_large_values_and_tiny_components():
    # |f| ~ 1e8 with a gradient component ~ 1e-3: rounding in FD must not flag it
    def f(x):
        return 1e8 + 1e8 * x[0] ** 2 + 1e-3 * x[1]
    x = np.array([0.5, 0.7])
    assert harness.compare(np.array([1e8, 1e-3]), f, x)[0] == "ok"


def test_compare_calls_a_point_at_a_kink_unclear_not_wrong():
    # |x0| evaluated within every step of 0: no FD step agrees with another
    def f(x):
        return abs(x[0] - 1e-9) * 1e3
    x = np.array([0.0])
    verdict, _, _ = harness.compare(np.array([-1e3]), f, x)
    assert verdict == "unclear"


def test_an_unclear_component_is_not_held_against_the_others():
    def f(x):
        return abs(x[0] - 1e-9) * 1e3 + x[1] ** 2
    x = np.array([0.0, 0.3])
    assert harness.compare(np.array([-1e3, 0.6]), f, x)[0] == "ok"
    assert harness.compare(np.array([-1e3, 0.61]), f, x)[0] == "bad"


def test_a_staircase_disagreement_is_skipped_not_wrong():
    def stairs(x):
        return np.sum(np.round(1e10 * x) / 1e10)   # stairs finer than every step
    r = check(stairs)
    assert r.status == harness.SKIPPED and "round" in r.reason


def test_non_finite_ad_gradient_is_bad_where_fd_is_clean():
    x = np.array([0.3, -1.2])
    assert harness.compare(np.array([np.nan, 0.0]), rosen, x)[0] == "bad"


def test_sample_points_are_inside_and_reproducible():
    lo, hi = np.array([-1.0, 0.0]), np.array([1.0, np.inf])
    a = harness.sample_points(lo, hi, 5, "f", seed=1)
    b = harness.sample_points(lo, hi, 5, "f", seed=1)
    c = harness.sample_points(lo, hi, 5, "g", seed=1)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    for p in a:
        assert -1.0 < p[0] < 1.0 and 0.0 < p[1] < 5.0


# -- classification, through adcompile ----------------------------------------------------------

def check(f, lo=(-2.0, -2.0), hi=(2.0, 2.0), **kw):
    return harness.check_function("test", f.__name__, f, np.array(lo), np.array(hi), ad,
                                  n_points=2, timeout=60, **kw)


def test_a_smooth_numpy_function_is_correct_in_both_modes():
    r = check(rosen)
    assert r.status == harness.CORRECT, r
    assert r.modes == {"reverse": "correct", "forward": "correct"}
    assert r.points == 2


class Problem:
    """The shape of the suites' problems: a bound method reading self's attributes."""
    def __init__(self):
        self.a = 3.0
        self.w = np.array([1.0, 2.0])

    def fun(self, x):
        return np.sum(self.w * np.sin(self.a * x))


def test_a_bound_method_is_correct():
    r = check(Problem().fun)
    assert r.status == harness.CORRECT, r


def uses_try(x):
    try:
        return np.sum(x ** 2)
    except ZeroDivisionError:
        return 0.0


def test_an_unsupported_construct_is_refused_with_its_located_first_line():
    r = check(uses_try)
    assert r.status == harness.REFUSED
    assert "try" in r.first_line
    assert f"test_breadth_harness.py:{uses_try.__code__.co_firstlineno + 1}:" in r.location
    assert harness.refusal_group(r.first_line) == r.first_line


def noisy(x):
    return np.sum(x ** 2) + np.random.uniform()


def raises(x):
    return np.sum(x.nosuchattr)


def test_skips_name_their_reason():
    r = check(noisy)
    assert r.status == harness.SKIPPED and r.reason.startswith("random")
    r = check(raises)
    assert r.status == harness.SKIPPED and "AttributeError" in r.reason


def test_a_wrong_gradient_is_reported_wrong(monkeypatch):
    # adcompile is right here, so stand in a gradient that is not: the harness must say so
    class Wrong:
        errors = ad.errors

        @staticmethod
        def grad(f, mode="reverse"):
            return lambda x: rosen_grad(x) * np.array([1.0, 1.01])
    r = harness.check_function("test", "rosen", rosen, np.array([-2.0, -2.0]),
                               np.array([2.0, 2.0]), Wrong, n_points=2)
    assert r.status == harness.WRONG
    assert r.detail["mode"] == "forward" or r.detail["mode"] == "reverse"
    assert set(r.modes.values()) == {harness.WRONG}


def test_a_non_adcompile_exception_is_a_crash():
    class Broken:
        errors = ad.errors

        @staticmethod
        def grad(f, mode="reverse"):
            def g(x):
                raise KeyError("internal")
            return g
    r = harness.check_function("test", "rosen", rosen, np.array([-2.0, -2.0]),
                               np.array([2.0, 2.0]), Broken, n_points=1)
    assert r.status == harness.CRASHED and "KeyError" in r.reason


def test_summary_counts_and_percent():
    rs = [harness.Result("s", "a", harness.CORRECT), harness.Result("s", "b", harness.CORRECT),
          harness.Result("s", "c", harness.REFUSED, first_line="lambda is not supported"),
          harness.Result("s", "d", harness.REFUSED, first_line="lambda is not supported"),
          harness.Result("s", "e", harness.SKIPPED, reason="random")]
    counts, diff, pct, groups = harness.summarise(rs)
    assert counts[harness.CORRECT] == 2 and counts[harness.SKIPPED] == 1
    assert diff == 4 and pct == pytest.approx(50.0)
    assert groups == [("lambda is not supported", ["c", "d"])]


def test_noisy_differences_accept_nothing():
    # a staircase far finer than every step: the differences are noise, they confirm nothing
    def f(x):
        return np.sum(np.round(2.0 ** 32 * x) * 2.0 ** -32 * np.arange(1, 3) ** 2 * 1e3)
    x = np.array([44.89407491, 39.99296406])
    assert harness.compare(np.array([1e5, -1e5]), f, x)[0] != "ok"


def test_a_nan_gradient_where_the_function_is_smooth_is_bad():
    def f(x):
        return np.sum(np.sin(3e9 * x))   # differences are noise, but finite
    x = np.array([0.3, 0.2])
    assert harness.compare(np.array([np.nan, 1.0]), f, x)[0] == "bad"


def test_a_zero_gradient_is_accepted_and_a_tiny_wrong_one_is_not_flagged():
    def flat(x):
        return 110.0 + 0.0 * x[0] + np.floor(x[1])
    x = np.array([3.3, 2.5])
    assert harness.compare(np.array([0.0, 0.0]), flat, x)[0] == "ok"
    assert harness.compare(np.array([1e-98, 0.0]), flat, x)[0] == "ok"
    assert harness.compare(np.array([1.0, 0.0]), flat, x)[0] == "bad"


def test_the_perturbed_self_check_is_caught():
    r = harness.check_function(
        "test", "rosen", rosen, np.array([-2.0, -2.0, -2.0]), np.array([2.0, 2.0, 2.0]),
        harness.Perturbed(ad, 1e-3), n_points=2)
    assert r.status == harness.WRONG


def test_steps_longer_than_an_oscillation_do_not_make_a_right_gradient_wrong():
    # evalset's Schaffer at x ~ 20: sin(u**2)**2 with u = x1**2 + x2**2 oscillates with a
    # period ~6e-5 in x1; steps of 0.02 and 0.002 agree on its average slope (about 0)
    def schaffer(x):
        x1, x2 = x[0], x[1]
        return 0.5 + (np.sin((x1 ** 2 + x2 ** 2) ** 2) ** 2 - 0.5) / (1 + 0.001 * (x1 ** 2 + x2 ** 2) ** 2)
    x = np.array([20.366164792201825, -15.070293275505168])
    g = ad.grad(schaffer)(x)
    assert abs(g[0] / g[1] - x[0] / x[1]) < 1e-9        # df/dx_i = df/du * 2 x_i
    assert harness.compare(g, schaffer, x)[0] != "bad"
