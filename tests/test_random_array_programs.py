"""Hypothesis: random array programs (elementwise chains with broadcasting, reductions with
and without axis, slices, index arrays and masks read and written, views written through and read after writes to their base, arrays
bound by both arms of an if, indexed loops with writes into work arrays, arrays made in each
iteration of a loop and carried to the next, kept past it, or not) checked against
central differences, across jit=True/False and reverse/forward mode, inputs never mutated."""
import numpy as np
from hypothesis import given, settings, strategies as st

import adcompile as ad
from test_arrays import _fd
from conftest import examples

VEC = ["x", "v", "x[::-1]", "np.sin(x)", "A[0, :]", "A[:, 1]", "A[1][::-1]",   # shape (3,)
       "x[np.array([2, 0, 0])]", "A[np.arange(3), np.array([1, 2, 1])]", "A[[0, 2, 2], 1]",
       "np.take(A, np.array([4, 0, 8]))", "A[..., 2]"]
MAT = ["A", "A * A", "np.tanh(A)", "A.T"]                                     # shape (3, 3)
UNIT = ["A[:, :1]", "A[-1:]", "A[1:2, ::-1]", "A.T[:, 2:3]", "np.cos(A)[:1, :]"]  # (3,1), (1,3)
UNARY = ["np.sin({})", "np.tanh({})", "({}) * ({})", "np.exp(-({}) * ({}))",
         "np.maximum({}, 0.1)", "np.abs({})", "np.sqrt(1.0 + ({}) ** 2)", "-({})"]
BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / (1.5 + np.cos({}))"]


@st.composite
def vec_exprs(draw, depth=2):
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(VEC))
    if draw(st.booleans()):
        inner = draw(vec_exprs(depth - 1))
        return draw(st.sampled_from(UNARY)).replace("{}", inner)
    a, b = draw(vec_exprs(depth - 1)), draw(vec_exprs(depth - 1))
    return "(" + draw(st.sampled_from(BINARY)).replace("{}", a, 1).replace("{}", b) + ")"


@st.composite
def mat_exprs(draw):
    m = draw(st.sampled_from(MAT))
    v = draw(vec_exprs(1))
    u = draw(st.sampled_from(UNIT))             # a length-1 axis of a view broadcasts
    return draw(st.sampled_from([f"({m}) * ({v})", f"({m}) + ({v})", f"np.sin({m}) * c",
                                 f"({m}) @ np.tanh(A) * ({v})", f"({m}) * {u}",
                                 f"{u} - np.sin({m})"]))


# A state carried by a loop, mixed with arrays from before it: the adjoint's arrays take
# their length from the state read back from the record, which a shape check equates with
# the outside array's (passes/checks.py _sizes_from_outside), so they take buffers made
# once (passes/reuse.py). Stages as in an ODE step, in nested, while and branched loops,
# the state rebuilt by concatenation or rows of a 2-d state, kept as rows or not.
STAGE = ["np.sin(y) * x", "np.tanh(y * c + v)", "y * x - v * 0.5", "np.cos(y + x) * c",
         "np.concatenate((y[1:], y[:1])) * x", "rhs(y, x)"]


@st.composite
def stage_lines(draw):
    k1, k2 = (draw(st.sampled_from(STAGE)) for _ in range(2))
    step = [f"k1 = {k1}", f"k2 = {k2.replace('y', '(y + 0.5 * k1)')}",
            draw(st.sampled_from(["y = y + 0.2 * (k1 + k2)", "y = y * x + 0.1 * k2",
                                  "y[:] = y + 0.2 * k1 * k2", "y += 0.1 * (k1 - k2)"]))]
    inplace = "y[:]" in step[2] or "+=" in step[2]    # (an array a loop rebinds is not
    if draw(st.booleans()):                    # written in place: docs/supported.md)
        other = "y[:] = y * v + x" if inplace else "y = y * v + x"
        step = ["if c > 0.6:", *["    " + ln for ln in step], "else:", "    " + other]
    loop = draw(st.sampled_from(["for", "while", "nested", "rows"]))
    if loop == "for":
        body = ["for k in range(3):", *["    " + ln for ln in step]]
    elif loop == "while":
        body = ["k = 0", "while k < 3:", *["    " + ln for ln in step], "    k = k + 1"]
    elif loop == "nested":
        body = ["for k in range(2):", "    for j in range(2):", *["        " + ln for ln in step],
                "    y *= 0.9" if inplace else "    y = y * 0.9"]
    else:                                      # a 2-d state, the stages row by row
        body = ["Y = A * 1.0", "for k in range(2):", "    Y = np.tanh(Y * A)",
                "    for r in range(3):", "        y = Y[r]", *["        " + ln for ln in step],
                "        Y[r] = y", "y = Y[1] + Y[2]"]
    tail = []
    if draw(st.booleans()):                    # every state kept as a row (a reference
        at = 1 + next(i for i, ln in enumerate(body) if ln.endswith(":"))   # outlives
        pad = " " * (len(body[at]) - len(body[at].lstrip()))               # the step)
        body = ["kept = np.zeros((3, 3))"] + body[:at] + [pad + "kept[k] = y"] + body[at:]
        tail = ["c = c + 0.1 * np.sum(kept[-1] * kept[0])"]
    lines = ["y = v * 1.0"] + body + tail
    return ["    " + ln for ln in lines] + ["    v = v + y"]


@st.composite
def programs(draw):
    lines = ["import numpy as np", "", "def rhs(y, x):", "    z = np.zeros(y.shape[0])",
             "    z[0] = x[0]", "    z[1:] = x[1:] * y[:-1]", "    return z", "",
             "def f(x, A, c):", "    v = x * c"]
    for k in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["vec", "mat", "loop", "slice", "rebind", "matloop",
                                     "view", "alias", "fancy", "mask", "rows", "carried",
                                     "stages"]))
        if kind == "rows":                     # rows' sums the adjoint reaches one of (or
            w = draw(vec_exprs(1))             # the positive ones): the others skip
            red = draw(st.sampled_from([       # their loop (passes/zeroskip.py)
                "np.min(np.sum((A - {}) ** 2, axis=1))",
                "np.sum(np.maximum(np.sum(A * ({}), axis=1), 0.0) ** 2)",
                "np.max(np.sum(np.abs(A - ({})), axis=1))"]))
            lines.append(f"    c = c + 0.1 * {red.format(w)}")
        elif kind == "vec":
            lines.append(f"    v = {draw(vec_exprs())}")
        elif kind == "mat":
            expr = draw(mat_exprs())
            red = draw(st.sampled_from(["np.sum({})", "np.mean({})", "np.max({})",
                                        "np.sum({}, axis=0)[1]", "np.min({}, axis=-1)[0]"]))
            lines.append(f"    c = c + 0.1 * {red.format(expr)}")
        elif kind == "loop":
            lines += ["    w = np.zeros(3)", "    for i in range(3):",
                      f"        w[i] = v[i] * {draw(st.sampled_from(['x[i]', 'c', 'w[i - 1]']))}"
                      " + A[i % 2, i]", "    v = v + w"]
        elif kind == "slice":
            lines += ["    u = np.zeros(4)", "    u[1:] = v", "    u[0] += c",
                      "    v = u[:3] * u[1:]"]
        elif kind == "carried":                # arrays made in each iteration, some
            make = draw(st.sampled_from(["np.zeros(3)", "np.ones(3)", "v * 0.5"]))  # kept
            keep = draw(st.sampled_from(["prev = w", "if w[k] > c:\n            prev = w",
                                         "t = w * 1.0"]))   # past it (passes/reuse.py)
            lines += ["    prev = np.zeros(3)", "    for k in range(3):", f"        w = {make}",
                      f"        w[k] = v[k] * {draw(st.sampled_from(['c', 'x[k]', 'w[k]']))}",
                      "        for j in range(2):", "            h = np.zeros(3)",
                      "            h[j] = w[j] * c", "            c = c + 0.1 * np.sum(h * w)",
                      "        c = c + 0.1 * np.sum(w * prev)", f"        {keep}",
                      "    v = v + prev"]
        elif kind == "stages":                 # a state carried through stages that
            lines += draw(stage_lines())       # mix it with arrays from before the loop
        elif kind == "rebind":                 # a new array every iteration
            lines += ["    for k in range(2):", "        w = np.zeros(3)",
                      "        w[1:] = v[:2] * c", f"        v = v + 0.5 * {draw(vec_exprs(1))} * w"]
        elif kind == "view":                   # a view sees writes to its base, and back
            sl = draw(st.sampled_from(["[1:]", "[::-1]", "[:2]"]))
            lines += ["    y = v * 1.0", f"    u = y{sl}",
                      f"    y[1] = y[0] * {draw(st.sampled_from(['c', 'x[2]']))}",
                      f"    u[0] += {draw(st.sampled_from(['x[2]', 'c * u[1]']))}",
                      f"    v = y * {draw(vec_exprs(1))} + u[1]"]
        elif kind == "fancy":                  # index-array writes: NumPy's repeat rules
            idx = draw(st.sampled_from(["np.array([0, 2, 0])", "np.array([1, -1, 1])",
                                        "np.argsort(x)"]))
            op = draw(st.sampled_from(["=", "+=", "*="]))
            lines += ["    y = v * 1.0", f"    y[{idx}] {op} {draw(vec_exprs(1))}"]
            if draw(st.booleans()):
                lines.append(f"    np.add.at(y, {idx}, x * c)")
            lines.append("    v = y + v")
        elif kind == "mask":                   # masks: reads, writes (a kink at the cut)
            cut = draw(st.sampled_from(["v > 0.1", "(x < 0.5) & (v > -0.5)", "~(v > 0.3)"]))
            lines += ["    y = v * 1.0", f"    m = {cut}",
                      f"    y[m] {draw(st.sampled_from(['=', '*=', '+=']))} "
                      f"{draw(st.sampled_from(['0.5', 'c', 'x[m]', 'np.sin(y[m])']))}",
                      "    c = c + np.sum(y[~m] ** 2)", "    v = y * v"]
        elif kind == "alias":                  # both arms bind the same array
            cond = draw(st.sampled_from(["c > 0.5", "x[0] > x[1]"]))
            lines += ["    y = v * 1.0", f"    if {cond}:",
                      "        z = y", "    else:", "        z = y", "    z[0] = x[1] * c",
                      "    v = y + v"]
        else:                                  # products inside a loop
            lines += ["    P = A.copy()", "    for k in range(2):",
                      "        P = np.tanh(P @ A) * c", "    v = v + P[0, :] + P @ x"]
    lines.append(f"    return np.sum({draw(vec_exprs(1))} * v) + c")
    return "\n".join(lines) + "\n"


@settings(max_examples=examples(25))
@given(src=programs(), seed=st.integers(0, 2**16))
def test_random_array_program(src, seed, tmp_path_factory):
    from conftest import compiled, load_source
    m = load_source(tmp_path_factory.mktemp("arr"), src, "arrprog")
    rng = np.random.default_rng(seed)
    args = (rng.uniform(-1, 1, 3), rng.uniform(-1, 1, (3, 3)), float(rng.uniform(0.2, 1)))
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    expect = m.f(*args)
    v0, g0 = ad.value_and_grad(m.f, wrt=(0, 1, 2), jit=False)(*args)
    v1, g1 = ad.value_and_grad(m.f, wrt=(0, 1, 2))(*args) if compiled(src) else (v0, g0)
    vf, gf = ad.value_and_grad(m.f, wrt=(0, 1, 2), mode="forward", jit=False)(*args)
    assert np.isclose(v1, expect, rtol=1e-12, atol=1e-12), src
    assert np.isclose(v0, expect, rtol=1e-13, atol=1e-13), src
    assert np.isclose(vf, expect, rtol=1e-12, atol=1e-12), src
    for a, b, c in zip(g1, g0, gf):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11, err_msg=src)
        np.testing.assert_allclose(c, b, rtol=1e-9, atol=1e-11, err_msg="forward\n" + src)
    for i in range(3):
        fd1, fd2 = _fd(m.f, args, i, 1e-5), _fd(m.f, args, i, 1e-7)
        if np.allclose(fd1, fd2, rtol=1e-4, atol=1e-6):      # smooth here (no kink nearby)
            np.testing.assert_allclose(g1[i], fd1, rtol=1e-4, atol=1e-6, err_msg=src)
    for a, c in zip(args, copies):
        assert np.array_equal(a, c)
