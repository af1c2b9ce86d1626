"""The IR interpreter as an oracle: the frontend's IR computes what the Python function
computes; the reverse pass's IR computes what the generated code computes; and the table's
JVP rules agree with finite differences."""
import pytest

from adcompile.builder import Builder
from adcompile.frontend import build_function
from adcompile.interp import interpret
from adcompile.ir import Block, Function, Value
from adcompile.passes.reverse import reverse
from adcompile.primitives import jvp
from adcompile.api import arg_type
from test_control_flow import CASES
from test_primitives import POINTS, SPELLING


def _types(args):
    return [arg_type(str(i), a) for i, a in enumerate(args)]


@pytest.mark.parametrize("func,args", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_frontend_ir_computes_the_function(func, args):
    fn = build_function(func, _types(args))
    (value,) = interpret(fn, args)
    assert value == pytest.approx(func(*args), rel=1e-14, abs=1e-14)


@pytest.mark.parametrize("func,args", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_reverse_ir_matches_generated_code(func, args):
    import adcompile as ad
    floats = [i for i, a in enumerate(args) if isinstance(a, float)]
    vg = reverse(build_function(func, _types(args)), floats)
    value, *grads = interpret(vg, args)
    v2, g2 = ad.value_and_grad(func, wrt=tuple(floats), jit=False)(*args)
    assert value == v2
    assert grads == pytest.approx(list(g2), rel=1e-13, abs=1e-15)


# polygamma(n, x): its order n is an int, not a float to perturb (test_numpy_breadth_ufuncs
# tests it)
@pytest.mark.parametrize("name", sorted(n for n in SPELLING if n != "polygamma"))
def test_jvp_rules_against_finite_differences(name):
    """Build y = prim(x, y) and its tangent with primitives.jvp; interpret at a point."""
    from adcompile.primitives import PRIMS
    from adcompile.types import F64
    prim = PRIMS[name]
    arity = 2 if prim.arity in (2, 3, None) else 1
    params = [Value(F64, n) for n in ("x", "y", "tx", "ty")]
    body = Block(list(params))
    b = Builder(body)
    xs, ts = params[:arity], params[2:2 + arity]
    if name == "select":                      # select(x > y, x, y): the condition first
        xs, ts = [b.prim("gt", params[0], params[1])] + params[:2], [None] + params[2:]
    out = b.prim(name, *xs)
    tangent = jvp(b, name, out, xs, ts)
    b.emit("return", [out, tangent], [])
    fn = Function(name, params, body)
    _, domain = SPELLING[name]
    for point in POINTS[domain]:
        direction = (0.3, -0.7)
        _, t = interpret(fn, (*point, *direction))
        h = 1e-5
        up = [p + h * d for p, d in zip(point, direction)]
        down = [p - h * d for p, d in zip(point, direction)]
        f = prim.impl if name != "select" else (lambda x, y: x if x > y else y)
        fd = (f(*up[:arity]) - f(*down[:arity])) / (2 * h)
        assert t == pytest.approx(fd, rel=1e-6, abs=1e-8), (name, point)
