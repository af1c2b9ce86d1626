"""sin, cos (stub: scalar libm; replaced by the vectorisable versions)."""
import math

import numpy as np

from .bind import vectorised


def _sin(x):
    return math.sin(x)


def _cos(x):
    return math.cos(x)


sin = vectorised(math.sin, np.sin, _sin)
cos = vectorised(math.cos, np.cos, _cos)
