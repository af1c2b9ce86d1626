"""Functions adcompile adds for users to call from compiled code (they also run as plain Python)."""
from __future__ import annotations

import numpy as np


def relu(x):
    """max(x, 0) with the convention relu'(0) = 0 (see docs/conventions.md)."""
    if isinstance(x, np.ndarray):
        return np.maximum(x, 0.0)
    return x if x > 0.0 else 0.0
