"""Every script in examples/ runs as a script and prints what it promises; the seeds'
examples also show, numerically, what they claim."""
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES_DIR = os.path.join(ROOT, "examples")
EXAMPLES = sorted(f for f in os.listdir(EXAMPLES_DIR) if f.endswith(".py")
                  and not f.startswith("_"))
EXPECT = {"seed_graph.py": "df/dw2", "loops.py": "dE/dk",
          "logistic_regression.py": "mini-batch SGD", "mlp.py": "backprop recursion",
          "relu_homogeneity.py": "<W3, df/dW3>", "momentum.py": "Nesterov",
          "cost_of_gradients.py": "reverse mode stays flat",
          "artifacts.py": "zero            1            0  artifact",
          "softmax_regression.py": "softmax regression",
          "distributed_sgd.py": "the distributed gradient equals the single-process one"}
ARGS = {"distributed_sgd.py": ["--rows", "8000", "--features", "20", "--steps", "6"]}
NEEDS = {"distributed_sgd.py": "distributed"}      # a package of an extra (pyproject.toml)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs(name):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg")
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, name), *ARGS.get(name, [])],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert EXPECT[name] in proc.stdout


def test_every_example_has_an_expectation():
    assert set(EXAMPLES) <= set(EXPECT)


@pytest.fixture(scope="module")
def examples():
    sys.path.insert(0, EXAMPLES_DIR)
    import logistic_regression
    import mlp
    import artifacts
    import cost_of_gradients
    import momentum
    import relu_homogeneity
    import softmax_regression
    yield {"softmax": softmax_regression, "logistic": logistic_regression, "mlp": mlp, "momentum": momentum,
           "homogeneity": relu_homogeneity, "cost": cost_of_gradients,
           "artifacts": artifacts}
    sys.path.remove(EXAMPLES_DIR)


def test_softmax_regression_gradient_and_descent(examples):
    history, error = examples["softmax"].main()
    assert error < 1e-6
    assert history[-1] < 0.7 * history[0]


def test_logistic_regression_methods_all_descend(examples):
    curves = examples["logistic"].main()
    for history in curves.values():
        assert history[-1] < 0.5 * history[0]


def test_mlp_gradient_equals_the_backprop_recursion(examples):
    diff, sig_curve, relu_curve = examples["mlp"].main()
    assert diff < 1e-12
    assert sig_curve[-1] < sig_curve[0] and relu_curve[-1] < relu_curve[0]


def test_relu_network_homogeneity_and_conserved_balance(examples):
    worst, results = examples["homogeneity"].main()
    assert worst < 1e-9
    for diffs in results.values():
        assert np.max(np.abs(diffs - diffs[0])) < 1e-3


def test_momentum_scales_with_the_square_root_of_kappa(examples):
    table = examples["momentum"].main()
    gd, hb, nag = table["gd"], table["heavy ball"], table["nesterov"]
    assert all(a < b for a, b in zip(gd, gd[1:]))
    assert hb[-1] < gd[-1] / 10 and nag[-1] < gd[-1] / 10
    # from kappa = 100 to 10000 GD grows about 100x, the momentum methods about 10x
    assert gd[-1] / gd[1] > 30 and nag[-1] / nag[1] < 20


def test_reverse_gradient_cost_is_flat_and_forward_grows_with_n(examples):
    sizes, ratios = examples["cost"].main(sizes=(10, 100, 1000, 3000))
    rev, fwd = ratios["reverse"], ratios["forward"]
    # generous margins (a shared machine): reverse stays within a small constant of the
    # primal, forward grows about linearly (300x more inputs: measured ~350x more cost);
    # at n = 10 the call itself is most of the time (measured 3-8x idle, 10-24x while a
    # Dask cluster of another test runs): the bound only separates flat from linear
    assert max(rev) < 30
    assert fwd[-1] / fwd[0] > 30
    assert fwd[-1] > 50 * rev[-1]


def test_artifacts_table_of_the_seed(examples):
    table = examples["artifacts"].main()
    assert {k: (r.ad, r.verdict) for k, r in table.items()} == {
        "relu": (0.0, "kink"), "relu2": (1.0, "kink"), "relu3": (0.5, "kink"),
        "zero": (1.0, "artifact")}
    assert table["zero"].subgradient == 0.0 or abs(table["zero"].subgradient) < 1e-9
