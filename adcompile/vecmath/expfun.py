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


exp = vectorised(np.exp, _exp)
expm1 = vectorised(np.expm1, _expm1)
tanh = vectorised(np.tanh, _tanh)
sigmoid = vectorised(lambda x: 1.0 / (1.0 + np.exp(-x)), _sigmoid)
