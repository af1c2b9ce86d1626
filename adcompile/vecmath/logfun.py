"""log, log1p, pow (stub: scalar libm; replaced by the vectorisable versions)."""
import math

import numpy as np

from .bind import vectorised


def _log(x):
    return np.log(x)


def _log1p(x):
    return np.log1p(x)


def _pow(x, y):
    return x ** y


log = vectorised(math.log, np.log, _log)
log1p = vectorised(math.log1p, np.log1p, _log1p)
pow = vectorised(math.pow, np.power, _pow, nargs=2)
