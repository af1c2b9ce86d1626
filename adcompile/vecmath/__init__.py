"""The vectorisable math runtime generated code calls (`vm.exp(x)`): branch-free
implementations (range reduction plus polynomial or rational approximations, with exact
handling of inf, NaN, overflow, underflow and subnormals) that LLVM vectorises inside the
generated loops, where Numba's `math.exp` is one scalar libm call per element.

Accuracy bounds per function (measured by tests/test_vecmath_*.py against an extended-
precision reference) are in docs/vecmath.md. As plain Python (no Numba) each function gives
NumPy's answer.
"""
from .expfun import exp, expm1, sigmoid, tanh
from .logfun import log, log1p, pow
from .trig import cos, sin

__all__ = ["exp", "expm1", "log", "log1p", "pow", "sigmoid", "tanh", "sin", "cos"]
