"""jvp, jacobian, hvp and hessian: compositions of the forward and reverse passes.

- `jvp(f, primals, tangents)`: one forward sweep (value and directional derivative).
- `jacobian(F, mode=...)`: forward mode seeds unit input directions, a few per sweep, in one
  compiled driver; reverse mode runs the vector-Jacobian product `w -> w^T J` once per output
  (the rows of J), w being each unit output vector.
- `hvp(f)`: forward over reverse: the tangent of the gradient along v is `H v`; the
  forward pass runs over the reverse pass's IR, tapes included; one compiled function.
- `hessian(f)`: `H v` for each unit vector v (small problems).
Each compiles once per argument-type signature, like `grad`.
"""
from __future__ import annotations

import numpy as np

from .api import GradFunction, _clean, typed_values
from .errors import AdCompileError, AdTypeError
from .ir import Op, Rewriter, Value
from .jit import run_compiled
from . import pipeline
from .passes.forward import tangent_params
from .passes.reverse import check_scalar_output
from .types import F64, Array, is_float


class _Transform(GradFunction):
    """A compiled transformation of a user function, cached per argument types."""

    def __init__(self, func, wrt=0, jit=True, mode="reverse"):
        super().__init__(func, wrt, jit, True, mode)

    def _values(self, args):
        types, values = self._typed(list(args))
        return self._specialise(types), values


# ---------------------------------------------------------------------------- jvp
class _Jvp(_Transform):
    def _compile(self, types):
        primal = pipeline.primal(self.func, types)
        for r in primal.results:
            if not is_float(r.type):
                raise AdTypeError(f"jvp: {primal.name}() returns a {r.type}; jvp needs float "
                                  "or float-array outputs", primal.result_loc or primal.loc)
        tangent = pipeline.tangent(primal, self.wrt, 1)
        return self._emit(primal, tangent, f"{primal.name}_jvp", types,
                          "value and tangent (forward mode)",
                          self.params + tangent_params(self.params, self.wrt, 1),
                          n_out=len(primal.results))


_JVPS: dict = {}


def jvp(f, primals, tangents, *, jit: bool = True):
    """(f(*primals), the derivative of f at primals along tangents), by one forward sweep.

    `tangents` has one entry per argument: a float (or array shaped like the argument) for
    float arguments; anything (0, None) for int and bool arguments, which have no tangent.
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise _clean(AdCompileError(f"jvp: {len(primals)} primals but {len(tangents)} tangents"))
    try:
        types, values = typed_values([str(i) for i in range(len(primals))], primals)
    except AdTypeError as exc:
        raise _clean(exc) from None
    wrt = tuple(i for i, t in enumerate(types) if is_float(t))
    if not wrt:
        raise _clean(AdCompileError("jvp: no float argument to differentiate"))
    key = (f, wrt, jit)
    t = _JVPS.get(key)
    if t is None or not t.is_current():        # a new jvp reads current values
        t = _JVPS[key] = _Jvp(f, wrt, jit)
        while len(_JVPS) > 64:
            del _JVPS[next(iter(_JVPS))]
    try:
        compiled = t._specialise(types)
    except AdCompileError as exc:
        raise _clean(exc) from None
    dots = []
    for i in wrt:
        d = tangents[i]
        if isinstance(types[i], Array):
            d = np.asarray(d, dtype=np.float64)
            if d.shape != np.shape(primals[i]):
                raise _clean(AdCompileError(
                    f"jvp: the tangent of argument {i} has shape {d.shape}, the argument "
                    f"{np.shape(primals[i])}"))
            dots.append(np.ascontiguousarray(d))
        else:
            dots.append(float(d))
    out = run_compiled(compiled.func, values + dots, compiled.path)
    n = compiled.n_out
    if n == 1:
        return out[0], out[1]
    return tuple(out[:n]), tuple(out[n:])


# ---------------------------------------------------------------------------- jacobian
class _Jacobian(_Transform):
    def _compile(self, types):
        primal = pipeline.primal(self.func, types)
        outs = primal.results
        if len(outs) != 1 or not is_float(outs[0].type):
            raise AdTypeError(f"jacobian: {primal.name}() must return one float or float "
                              "array", primal.result_loc or primal.loc)
        out_t = outs[0].type
        if self.mode == "forward":
            return self._compile_forward(primal, types,
                                         out_t.ndim if isinstance(out_t, Array) else 0)
        return self._reverse(primal, types, out_t)

    def _reverse(self, primal, types, out_t):
        """A vector-Jacobian product: reverse mode of <F(x), w> with w a new parameter."""
        value = self._emit(primal, primal, f"{primal.name}_value", types, "the value",
                           self.params)
        if isinstance(out_t, Array):
            if out_t.ndim != 1:
                raise AdTypeError("jacobian(mode='reverse') takes functions returning a float "
                                  "or a 1-d array; use mode='forward'",
                                  primal.result_loc or primal.loc)
            w = Value(out_t, "w")
            primal.params.append(w)
            Rewriter.add_block_arg(primal.body, w)
            ret = primal.body.ops[-1]
            dot = Op("matmul", [ret.args[0], w], [Value(F64, "out")], {}, loc=ret.loc)
            Rewriter.insert_before_terminator(primal.body, [dot])
            ret.args = [dot.result]
        vjp = pipeline.value_and_gradient(primal, self.wrt)
        c = self._emit(primal, vjp, f"{primal.name}_vjp", types,
                       "a vector-Jacobian product w^T J (reverse mode)",
                       self.params + (["w"] if isinstance(out_t, Array) else []))
        c.value_func, c.value_path = value.func, value.path
        return c

    def __call__(self, *args):
        try:
            compiled, values = self._values(args)
        except AdCompileError as exc:
            raise _clean(exc) from None
        if self.mode == "forward":
            out = run_compiled(compiled.func, values, compiled.path)
            jac = out[1:]
        else:
            jac = self._rows(compiled, values)
        return jac[0] if self.single else tuple(jac)

    def _rows(self, compiled, values):
        y = run_compiled(compiled.value_func, values, compiled.value_path)
        if not isinstance(y, np.ndarray):
            out = run_compiled(compiled.func, values, compiled.path)
            return [np.asarray(g) if isinstance(g, np.ndarray) else g for g in out[1:]]
        rows = [[] for _ in self.wrt]
        w = np.zeros(y.shape[0])
        for m in range(y.shape[0]):
            w[m] = 1.0
            out = run_compiled(compiled.func, values + [w], compiled.path)
            w[m] = 0.0
            for k, g in enumerate(out[1:]):
                rows[k].append(g)
        return [np.array(r).reshape(y.shape + np.shape(values[i]))
                for r, i in zip(rows, self.wrt)]


def jacobian(func=None, *, wrt=0, mode: str = "reverse", jit: bool = True):
    """The Jacobian of a function returning a float or a float array: shape
    out.shape + x.shape per parameter in wrt (a tuple of them for a tuple wrt)."""
    if func is None:
        return lambda f: _Jacobian(f, wrt, jit, mode)
    return _Jacobian(func, wrt, jit, mode)


# ---------------------------------------------------------------------------- hvp, hessian
class _Hvp(_Transform):
    def _compile(self, types):
        primal = pipeline.primal(self.func, types)
        check_scalar_output(primal, primal.results)
        hv = pipeline.hvp(primal, self.wrt)           # <grad f, x_dot>, then H x_dot
        return self._emit(primal, hv, f"{primal.name}_hvp", types,
                          "Hessian-vector product H x_dot: the tangent (forward mode) of the "
                          "gradient (reverse mode) along x_dot",
                          self.params + tangent_params(self.params, self.wrt, 1))

    def __call__(self, *args):
        n = len(self.params)
        if len(args) != n + len(self.wrt):
            raise _clean(AdCompileError(
                f"hvp of {self.func.__name__}(): pass its {n} arguments, then one direction "
                f"per differentiated parameter ({len(self.wrt)})"))
        try:
            compiled, values = self._values(args[:n])
        except AdCompileError as exc:
            raise _clean(exc) from None
        dirs = []
        for i, v in zip(self.wrt, args[n:]):
            if isinstance(compiled.types[i], Array):
                v = np.ascontiguousarray(v, dtype=np.float64)
                if v.shape != np.shape(values[i]):
                    raise _clean(AdCompileError(
                        f"hvp: direction for {self.params[i]!r} has shape {v.shape}, the "
                        f"argument {np.shape(values[i])}"))
            else:
                v = float(v)
            dirs.append(v)
        out = run_compiled(compiled.func, values + dirs, compiled.path)
        return out[1] if self.single else tuple(out[1:])


def hvp(func=None, *, wrt=0, jit: bool = True):
    """Hessian-vector product: `hvp(f)(*args, v)` is H v, H the Hessian of float-valued f with
    respect to parameter wrt at args (a tuple wrt takes one direction per parameter and gives
    the blocks (H v) for each)."""
    if func is None:
        return lambda f: _Hvp(f, wrt, jit)
    return _Hvp(func, wrt, jit)


class _Hessian(_Hvp):
    def __call__(self, *args):
        if not self.single:
            raise _clean(AdCompileError("hessian takes one parameter in wrt",
                                        hint="use hvp for several parameters"))
        i = self.wrt[0]
        x = args[i]
        if isinstance(x, np.ndarray):
            cols = []
            e = np.zeros(x.shape)
            for k in np.ndindex(x.shape):
                e[k] = 1.0
                cols.append(np.asarray(_Hvp.__call__(self, *args, e)))
                e[k] = 0.0
            return np.stack(cols, axis=-1).reshape(x.shape + x.shape)
        return _Hvp.__call__(self, *args, 1.0)


def hessian(func=None, *, wrt=0, jit: bool = True):
    """The Hessian of a float-valued function w.r.t. one parameter (n hvp sweeps; for small
    problems): a float for a float parameter, shape x.shape + x.shape for an array."""
    if func is None:
        return lambda f: _Hessian(f, wrt, jit)
    return _Hessian(func, wrt, jit)


__all__ = ["jvp", "jacobian", "hvp", "hessian"]
