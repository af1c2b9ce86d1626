"""adcompile: source-transforming automatic differentiation for a subset of Python.

    import adcompile as ad

    @ad.grad
    def f(x, n): ...

    f(0.3, 10)        # df/dx, from Numba-compiled generated code
    print(f.source)   # the generated forward-plus-adjoint source
"""
from .api import GradFunction, grad, value_and_grad
from .conventions import Conventions
from .diagnose import diagnose
from .errors import AdCompileError, AdTypeError, AssertionFailed, CheckpointMemoryError, \
    JitError, NotPicklableError, OutOfRangeError, ShapeError, UnboundNameError, \
    UnknownFunctionError, UnsupportedSyntaxError
from .functions import relu
from .transforms import compile, hessian, hvp, jacobian, jvp

__version__ = "0.1.0"

__all__ = ["grad", "value_and_grad", "compile", "jvp", "jacobian", "hvp", "hessian", "relu", "Conventions", "diagnose", "GradFunction", "AdCompileError", "AdTypeError",
           "JitError", "OutOfRangeError", "AssertionFailed", "ShapeError", "UnknownFunctionError",
           "UnsupportedSyntaxError", "CheckpointMemoryError", "NotPicklableError",
           "UnboundNameError"]
