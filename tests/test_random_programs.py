"""Hypothesis: random programs of the scalar subset (straight-line, branches, for and while
loops, calls; arms giving a name equal values, swaps, conditional expressions) differentiated
and checked against finite differences, jit against no-jit, reverse against forward mode,
checkpointed loops (memory=) against recorded ones, the loops as prange against range;
their second derivatives as a nested derivative (jacobian of grad) against hvp and central
differences of the gradient.
More families (array views, int index arrays, unread values, NaN inputs) are in
test_random_families.py."""
import math

from hypothesis import given, strategies as st

import adcompile as ad
from adcompile.timing import richardson

VARS = ["x", "y", "a", "b"]
UNARY = ["math.sin({})", "math.cos({})", "math.tanh({})", "{} / (1.0 + {} * {})",
         "math.sqrt(1.0 + {} * {})", "math.log(1.0 + {} * {})", "math.atan({})",
         "helper({})", "abs({}) * {}", "max({}, 0.5 * {})",
         "{} ** 2", "{} ** 0 * {}"]                 # x ** 0: its derivative is 0, not nan
BINARY = ["{} + {}", "{} - {}", "{} * {}", "0.5 * {} * {}", "math.atan2({}, 1.0 + {} * {})"]


@st.composite
def exprs(draw, depth=2, names=VARS):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            return draw(st.sampled_from(names))
        return repr(draw(st.sampled_from([0.5, 1.5, -0.75, 2.0])))
    if draw(st.booleans()):
        inner = draw(exprs(depth - 1, names))
        template = draw(st.sampled_from(UNARY))
        return "(" + template.replace("{}", inner) + ")"
    left, right = draw(exprs(depth - 1, names)), draw(exprs(depth - 1, names))
    template = draw(st.sampled_from(BINARY))
    return "(" + template.replace("{}", left, 1).replace("{}", right, 1).replace("{}", right) + ")"


@st.composite
def blocks(draw, depth, indent, loop_var=None):
    names = VARS + ([loop_var] if loop_var else [])
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["assign", "assign", "if", "for", "while", "same", "cond"]
                                    if depth else ["assign", "cond"]))
        pad = "    " * indent
        if kind == "assign":
            target = draw(st.sampled_from(["a", "b"]))
            lines.append(f"{pad}{target} = {draw(exprs(2, names))}")
        elif kind == "if":
            lhs, rhs = draw(exprs(1, names)), draw(exprs(1, names))
            cond = f"{lhs} > {rhs}"
            if draw(st.booleans()):             # conditions built from conditions
                other = draw(st.sampled_from(["(a > 0.0)", "(b < x)", "(not (y > a))"]))
                joiner = draw(st.sampled_from([" == ", " != ", " and ", " or "]))
                cond = f"({cond}){joiner}{other}"
            lines.append(f"{pad}if {cond}:")
            lines += draw(blocks(depth - 1, indent + 1, loop_var))
            if draw(st.booleans()):
                lines.append(f"{pad}else:")
                lines += draw(blocks(depth - 1, indent + 1, loop_var))
        elif kind == "same":                    # both arms give a name equal values
            lhs, rhs = draw(exprs(1, names)), draw(exprs(1, names))
            arm = draw(st.sampled_from([f"a, b = b, a * {draw(st.sampled_from(['2.0', '3.0']))}",
                                        "a = b", f"b = {draw(exprs(1, names))}", "a, b = b, a"]))
            other = arm if draw(st.booleans()) else \
                f"a, b = b, a * {draw(st.sampled_from(['2.0', '3.0']))}"
            lines += [f"{pad}if {lhs} > {rhs}:", f"{pad}    {arm}", f"{pad}else:",
                      f"{pad}    {other}"]
        elif kind == "cond":                    # t = a; a = t if c else a
            lhs, rhs = draw(exprs(1, names)), draw(exprs(1, names))
            other = draw(st.sampled_from(["a", "t", draw(exprs(1, names))]))
            lines += [f"{pad}t = a", f"{pad}a = t * b if {lhs} > {rhs} else {other} * b"]
        elif kind == "for":
            var = f"i{indent}"
            lines.append(f"{pad}for {var} in range({draw(st.integers(0, 4))}):")
            lines += draw(blocks(depth - 1, indent + 1, var))
            exit_ = draw(st.sampled_from(["", "break", "continue", "return"]))
            if exit_:
                lines.append(f"{pad}    if a > {draw(st.sampled_from(['b', '3.0', '0.5']))}:")
                lines.append(f"{pad}        " + ("return a * b - 1.0" if exit_ == "return"
                                                  else exit_))
        else:
            c = f"c{indent}"
            lines.append(f"{pad}{c} = 0")
            lines.append(f"{pad}while {c} < {draw(st.integers(0, 3))} and abs(a) < 50.0:")
            lines += draw(blocks(depth - 1, indent + 1, loop_var))
            lines.append(f"{pad}    {c} += 1")
    return lines


@st.composite
def programs(draw):
    body = draw(blocks(2, 1))
    ret = draw(exprs(1))
    return "\n".join(["import math", "", "def helper(u):", "    return math.sin(u) * u", "",
                      "def f(x, y):", "    a = x", "    b = y"] + body +
                     [f"    return a + b + {ret}", ""])


POINT = st.tuples(st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))


def _fd_reliable(f, point, i):
    """Is f smooth near the point along parameter i? Central differences at two step sizes
    agree, and so do the one-sided differences (a kink makes them differ by its jump)."""
    d1, d2 = richardson(f, point, i, 1e-3), richardson(f, point, i, 1e-4)
    h = 1e-6
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    f0 = f(*point)
    right, left = (f(*up) - f0) / h, (f0 - f(*down)) / h
    smooth = math.isclose(right, left, rel_tol=1e-3, abs_tol=1e-4)
    return smooth and math.isclose(d1, d2, rel_tol=1e-6, abs_tol=1e-8), d1


@given(src=programs(), point=POINT)
def test_random_program(src, point, tmp_path_factory):
    from conftest import compiled, load_source
    module = load_source(tmp_path_factory.mktemp("rand"), src, "randprog")
    f = module.f
    expect = f(*point)
    if not math.isfinite(expect) or abs(expect) > 1e6:
        return
    v0, g0 = ad.value_and_grad(f, wrt=(0, 1), jit=False)(*point)
    v1, g1 = ad.value_and_grad(f, wrt=(0, 1))(*point) if compiled(src) else (v0, g0)
    vf, gf = ad.value_and_grad(f, wrt=(0, 1), mode="forward", jit=False)(*point)
    assert math.isclose(v1, expect, rel_tol=1e-12, abs_tol=1e-12), src
    assert v0 == expect, src
    assert math.isclose(vf, expect, rel_tol=1e-12, abs_tol=1e-12), src
    vc, gc = ad.value_and_grad(f, wrt=(0, 1), jit=False, memory="1GB")(*point)
    assert (vc, gc) == (v0, g0), (src, "checkpointed", gc, g0)     # the same operations
    from conftest import tight_checkpointed   # three levels where two need more
    assert tight_checkpointed(f, point, wrt=(0, 1), jit=False) == (v0, g0), (src, "tight")
    if " in range(" in src:                   # its loops as prange: in parallel (in chunks)
        psrc = src.replace(" in range(", " in prange(").replace(
            "import math\n", "import math\nfrom numba import prange\n", 1)
        pf = load_source(tmp_path_factory.mktemp("rand"), psrc, "randprange").f
        vp, gp = ad.value_and_grad(pf, wrt=(0, 1), jit=False)(*point)   # where nothing
        assert math.isclose(vp, v0, rel_tol=1e-12, abs_tol=1e-12), psrc   # can race
        for a, b in zip(gp, g0):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-11), (psrc, gp, g0)
    for a, b, c in zip(g1, g0, gf):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-11), (src, g1, g0)
        assert math.isclose(c, b, rel_tol=1e-9, abs_tol=1e-11), (src, "forward", gf, g0)
    for i in (0, 1):
        ok, fd = _fd_reliable(f, point, i)
        if ok:
            assert math.isclose(g1[i], fd, rel_tol=1e-5, abs_tol=1e-6), (src, i, g1[i], fd)
    _check_second_derivatives(f, point, src)


def _check_second_derivatives(f, point, src):
    """The Jacobian of the gradient (a nested derivative: forward over the gradient's IR)
    is the Hessian: as hvp gives it (columns H e_j), and as central differences of the
    gradient give it where they are reliable."""
    grad = ad.grad(f, wrt=(0, 1), jit=False)
    H = ad.jacobian(grad, wrt=(0, 1), jit=False)(*point)
    hvp = ad.hvp(f, wrt=(0, 1), jit=False)
    for j, e in enumerate(((1.0, 0.0), (0.0, 1.0))):
        col = hvp(*point, *e)
        for i in (0, 1):
            assert math.isclose(H[i][j], col[i], rel_tol=1e-9, abs_tol=1e-11), (src, H, i, j)
    for i in (0, 1):
        for j in (0, 1):
            ok, fd = _fd_reliable(lambda x, y: grad(x, y)[i], point, j)
            if ok and all(_fd_reliable(f, point, k)[0] for k in (0, 1)):
                assert math.isclose(H[i][j], fd, rel_tol=1e-4, abs_tol=1e-5), (src, H, i, j, fd)
