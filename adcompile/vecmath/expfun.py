"""exp, expm1, tanh, sigmoid (stub: scalar libm; replaced by the vectorisable versions)."""
import math

import numpy as np

from .bind import vectorised


def _exp(x):
    return math.exp(x)


def _exp_dd(hi, lo):
    """exp(hi + lo) for |lo| <= ulp(hi)."""
    return math.exp(hi) * (1.0 + lo)


def _expm1(x):
    return math.expm1(x)


def _tanh(x):
    return math.tanh(x)


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def _sigmoid_python(x):
    """1 / (1 + exp(-x)) without overflow (scipy.special.expit)."""
    with np.errstate(all="ignore"):
        import scipy.special
        return float(scipy.special.expit(np.float64(x)))


exp = vectorised(math.exp, np.exp, _exp)
expm1 = vectorised(math.expm1, np.expm1, _expm1)
tanh = vectorised(math.tanh, np.tanh, _tanh)
sigmoid = vectorised(_sigmoid_python, _sigmoid_python, _sigmoid)
