"""Drivers: IR functions that call a derivative kernel and assemble what it gives.

- forward(): the forward-mode gradient (or Jacobian). The tangent kernel is seeded with
  `width` unit directions per sweep and the output tangents are collected. Coordinates are
  numbered across the differentiated parameters in wrt order (arrays in C order). When every
  differentiated parameter is a float the sweeps are known when compiling: each seeds
  constants and no loop is needed.
- rows(): the reverse-mode Jacobian of a 1-d output: the vector-Jacobian product w^T J once
  per output, w each unit vector (dot_output() makes <F(x), w> for the reverse pass).
- hessian(): the Hessian, H e_k for each unit vector e_k by the Hessian-vector product kernel.

A driver calls its kernels with `call` ops, so codegen writes it like any other function and
writes the kernels into the same module (`register_jitable`): the whole derivative is one
compiled call.
"""
from __future__ import annotations

from dataclasses import replace

from .builder import Builder
from .ir import Block, ForOp, Function, IfOp, Op, Rewriter, Value
from .passes.forward import tangent_params
from .types import F64, I64, Array


class _Driver:
    """A driver function being built: its parameters are the user's."""

    def __init__(self, name: str, primal: Function, names: list, doc: str):
        self.params = [Value(p.type, n) for p, n in zip(primal.params, names)]
        self.fn = Function(name, self.params, Block(list(self.params)), primal.filename,
                           None, primal.loc, primal.result_loc, doc)
        self.b = Builder(self.fn.body)

    def call(self, kernel: Function, args: list, hints: list) -> list:
        """kernel(*args): its results."""
        b = self.b
        args = [b.as_value(a) for a in args]
        op = b.emit("call", args, [r.type for r in kernel.results], {"callee": kernel},
                    hints=hints)
        return op.results

    def loop(self, lo, hi, carried: list, body, step=1, hint="i") -> list:
        """for i in range(lo, hi, step), carrying values: body(i, values) -> new values."""
        b = self.b
        blk = Block([Value(I64, hint)] + [Value(v.type, v.hint) for v in carried])
        with b.at(blk):
            b.emit("yield", body(blk.args[0], list(blk.args[1:])), [])
        bounds = [b.as_value(x) for x in (lo, hi, step)]
        op = b.emit_region(ForOp, bounds + list(carried), [v.type for v in carried],
                           regions=[blk], hints=[v.hint for v in carried])
        return op.results

    def when(self, cond: Value, carried: list, then) -> list:
        """if cond: values = then(values) (an if yielding the new values or the old)."""
        b = self.b
        arms = Block(), Block()
        with b.at(arms[0]):
            b.emit("yield", then(list(carried)), [])
        with b.at(arms[1]):
            b.emit("yield", list(carried), [])
        op = b.emit_region(IfOp, [cond], [v.type for v in carried], regions=list(arms),
                           hints=[v.hint for v in carried])
        return op.results

    def dims(self, arr: Value) -> list:
        return [self.b.prim("dim", arr, k, hint=f"n_{arr.hint}" if arr.type.ndim == 1
                            else f"n{k}_{arr.hint}") for k in range(arr.type.ndim)]

    def unravel(self, flat: Value, dims: list) -> list:
        """The C-order multi-index of a flat index into an array of these dimensions."""
        b, idx, rest = self.b, [], flat
        for n in reversed(dims[1:]):
            idx.append(b.prim("mod", rest, n))
            rest = b.prim("floordiv", rest, n)
        return [rest] + idx[::-1]

    def copy_into(self, acc: Value, src: Value, before=(), after=(), when=None) -> Value:
        """acc[*before, *o, *after] = src[*o] for every index o of src; only if `when` (a
        bool: the outer loop runs no iteration otherwise). `after` may be a function
        building the index where it is used (inside the loops)."""
        b, m = self.b, src.type.ndim if isinstance(src.type, Array) else 0

        def level(k, acc, o):
            if k == m:
                value = b.prim("index", src, *o) if m else src
                tail = after() if callable(after) else after
                return b.prim("store", acc, value, *before, *o, *tail)
            n = b.prim("dim", src, k)
            if k == 0 and when is not None:
                n = b.prim("select", when, n, 0)
            return self.loop(0, n, [acc], lambda i, vals: [level(k + 1, vals[0], o + [i])],
                             hint="o")[0]
        return level(0, acc, [])

    def finish(self, results: list) -> Function:
        self.b.emit("return", results, [])
        return self.fn


def _size(d: _Driver, dims: list, hint: str) -> Value:
    size = dims[0]
    for k, n in enumerate(dims[1:]):
        size = d.b.prim("mul", size, n, hint=hint if k == len(dims) - 2 else "")
    return size


# ---------------------------------------------------------------------------- forward mode
def forward(primal: Function, kernel: Function, wrt: list, width: int, names: list,
            jacobian: bool = False) -> Function:
    """def f_fwd(*params) (f_jacfwd for a Jacobian): the value and the gradient (or the
    Jacobian, out.shape + x.shape per parameter) of primal by the tangent kernel, `width`
    unit directions per sweep."""
    kernel.name = f"{primal.name}_jvp"
    for p, n in zip(kernel.params, list(names) + tangent_params(names, wrt, width)):
        p.hint = n
    what = "Jacobian" if jacobian else "gradient"
    doc = (f"forward-mode {what}: {width} directions ({kernel.params[len(names)].hint}, ...) "
           f"per sweep of {kernel.name}, seeded with unit vectors")
    d = _Driver(f"{primal.name}_{'jacfwd' if jacobian else 'fwd'}", primal, names, doc)
    n_out = len(primal.results)            # several: a tuple output's Jacobian blocks
    if all(not isinstance(d.params[i].type, Array) for i in wrt):
        return _forward_unrolled(d, kernel, wrt, width, jacobian, n_out)
    out_t = kernel.results[0].type
    if n_out == 1 and not (jacobian and isinstance(out_t, Array)):
        return _forward_lanes(d, kernel, wrt, width)
    return _forward_loop(d, kernel, wrt, width, jacobian, n_out)


def _coordinates(d: _Driver, ps: list):
    """(dims per parameter id, at): parameter q's coordinates are at[q] <= k < at[q + 1]."""
    b = d.b
    dims = {p.id: d.dims(p) if isinstance(p.type, Array) else [] for p in ps}
    at = [b.const(0)]
    for q, p in enumerate(ps):
        size = 1 if not dims[p.id] else _size(d, dims[p.id], f"n_{p.hint}")
        hint = f"{ps[q + 1].hint}_at" if q + 1 < len(ps) else "n_in"
        at.append(b.prim("add", at[q], size, hint=hint))
    return dims, at


def _forward_lanes(d: _Driver, kernel, wrt, width) -> Function:
    """A gradient with some array parameter: a loop over sweeps. Each array parameter has
    one seed array of `width` lanes (x_dots[j] is lane j's direction); a loop over the lanes
    seeds coordinate start + j in lane j, the kernel runs once, and a loop over the lanes
    collects its tangents (np.array of them) and clears the seeds."""
    b = d.b
    ps = [d.params[i] for i in wrt]
    dims, at = _coordinates(d, ps)
    arrays = [q for q, p in enumerate(ps) if dims[p.id]]
    accs = [b.prim("zeros", *dims[p.id], hint=f"d_{p.hint}") if dims[p.id]
            else b.const(0.0, hint=f"d_{p.hint}") for p in ps]
    seeds = [b.prim("zeros", width, *dims[ps[q].id], hint=f"{ps[q].hint}_dots")
             for q in arrays]

    def inside(q, k):
        below = b.prim("lt", k, at[q + 1])
        if not dims[ps[q].id]:
            return b.prim("eq", k, at[q])
        return below if q == 0 else b.prim("and", b.prim("le", at[q], k), below)

    def index(q, k, offset=None):
        """Coordinate k's index into parameter q (offset: k - at[q] if already made)."""
        if offset is None:
            offset = b.prim("sub", k, at[q], hint="i")
        return d.unravel(offset, dims[ps[q].id])

    def sweep(start, carried):
        acc, seed = carried[1:1 + len(ps)], carried[1 + len(ps):]

        def seed_lane(lane, vals):
            k = b.prim("add", start, lane, hint="k")
            return [d.when(inside(q, k), [v], lambda w, q=q: [
                b.prim("store", w[0], 1.0, lane, *index(q, k))])[0]
                for q, v in zip(arrays, vals)]
        seed = d.loop(0, width, seed, seed_lane, hint="lane")
        lanes = []
        for q, p in enumerate(ps):
            for j in range(width):
                if dims[p.id]:
                    lanes.append(b.prim("lane", seed[arrays.index(q)], j))
                else:
                    lanes.append(b.prim("bool_f64", b.prim("eq", b.prim("add", start, j), at[q])))
        outs = d.call(kernel, d.params + lanes, ["value"] + ["tangent"] * width)
        ts = b.prim("array_of", *outs[1:], hint="tangents")

        def collect(lane, vals):
            acc, seed = vals[:len(ps)], vals[len(ps):]
            k = b.prim("add", start, lane, hint="k")

            def take(v, q):          # in the arm that reads it: written where it is used
                i = (b.prim("sub", k, at[q], hint="i")      # named once, unravelled inline
                     if len(dims[ps[q].id]) > 1 else None)
                return [b.prim("store", v[0], b.prim("index", ts, lane), *index(q, k, i)),
                        b.prim("store", v[1], 0.0, lane, *index(q, k, i))]
            for q, p in enumerate(ps):
                if not dims[p.id]:
                    acc[q] = b.prim("select", inside(q, k), b.prim("index", ts, lane), acc[q],
                                    hint=acc[q].hint)
                    continue
                s = arrays.index(q)
                acc[q], seed[s] = d.when(inside(q, k), [acc[q], seed[s]],
                                         lambda v, q=q: take(v, q))
            return acc + seed
        done = d.loop(0, width, acc + seed, collect, hint="lane")
        return [outs[0]] + done

    one = b.prim("max", at[-1], 1)
    value0 = b.undef(kernel.results[0].type, hint="value")
    done = d.loop(0, one, [value0] + accs + seeds, sweep, step=width, hint="start")
    return d.finish(done[:1 + len(ps)])


def _forward_unrolled(d: _Driver, kernel, wrt, width, jacobian, n_out=1) -> Function:
    """Float parameters only: sweep s seeds coordinates s*width ... with constants. Returns
    the values, then the blocks output by output, parameter by parameter."""
    b, n = d.b, len(wrt)
    values, parts = [], [[] for _ in range(n_out)]
    for start in range(0, n, width):
        seeds = [1.0 if q == start + j else 0.0 for q in range(n) for j in range(width)]
        hints = ["value"] * n_out + [f"d_{d.params[wrt[start + j]].hint}" if start + j < n
                                     else "tangent" for j in range(width) for _ in range(n_out)]
        outs = d.call(kernel, d.params + seeds, hints)
        values = outs[:n_out]
        for j in range(min(width, n - start)):
            for o in range(n_out):
                t = outs[n_out + j * n_out + o]
                parts[o].append(b.prim("copy", t, hint=t.hint) if jacobian and
                                isinstance(t.type, Array) else t)
    return d.finish(values + [p for ps in parts for p in ps])


def _forward_loop(d: _Driver, kernel, wrt, width, jacobian, n_out=1) -> Function:
    """Some parameter is an array: a loop over sweeps, each seeding the next `width`
    coordinates (1.0 in lane j at coordinate start + j) and clearing them afterwards.
    Several outputs (a tuple): the values, then the blocks output by output."""
    b = d.b
    ps = [d.params[i] for i in wrt]
    dims = {p.id: d.dims(p) if isinstance(p.type, Array) else [] for p in ps}
    at = [b.const(0)]                      # coordinates of p: at[q] <= k < at[q + 1]
    for q, p in enumerate(ps):
        size = 1 if not dims[p.id] else _size(d, dims[p.id], f"n_{p.hint}")
        hint = f"{ps[q + 1].hint}_at" if q + 1 < len(ps) else "n_in"
        at.append(b.prim("add", at[q], size, hint=hint))
    out_ts = [r.type for r in kernel.results[:n_out]]
    ms = [t.ndim if jacobian and isinstance(t, Array) else 0 for t in out_ts]
    accs = []                              # the gradient or Jacobian blocks, d_x ...
    for m in ms:
        for p in ps:                       # allocated once the output's shape is known
            if m:
                accs.append(b.prim("zeros", *[0] * (m + len(dims[p.id])), hint=f"d_{p.hint}"))
            elif dims[p.id]:
                accs.append(b.prim("zeros", *dims[p.id], hint=f"d_{p.hint}"))
            else:
                accs.append(b.const(0.0, hint=f"d_{p.hint}"))
    lane_names = tangent_params([p.hint for p in ps], range(len(ps)), width)
    seeds = [b.prim("zeros", *dims[p.id], hint=lane_names[q * width + j])
             for q, p in enumerate(ps) if dims[p.id] for j in range(width)]
    seed_of = {}                           # (q, j) -> position in seeds
    for q, p in enumerate(ps):
        for j in range(width):
            if dims[p.id]:
                seed_of[q, j] = len(seed_of)
    n_acc = len(accs)

    def inside(q, k):
        """Is coordinate k one of parameter q's?"""
        if not dims[ps[q].id]:
            return b.prim("eq", k, at[q])
        below = b.prim("lt", k, at[q + 1])
        return below if q == 0 else b.prim("and", b.prim("le", at[q], k), below)

    def index(q, k):
        """Parameter q's multi-index of coordinate k (only when inside(q, k))."""
        if not dims[ps[q].id]:
            return []
        return d.unravel(b.prim("sub", k, at[q], hint="i"), dims[ps[q].id])

    def mark(seed, q, k, value):
        """seed[index(q, k)] = value where coordinate k is parameter q's."""
        return d.when(inside(q, k), [seed], lambda v: [
            b.prim("store", v[0], value, *index(q, k))])[0]

    def sweep(start, carried):
        acc, seed = carried[n_out:n_out + n_acc], carried[n_out + n_acc:]
        ks = [b.prim("add", start, j, hint=f"k{j}") for j in range(width)]
        lanes = []
        for q, p in enumerate(ps):
            for j in range(width):
                if dims[p.id]:
                    s = seed_of[q, j]
                    seed[s] = mark(seed[s], q, ks[j], 1.0)
                    lanes.append(seed[s])
                else:
                    lanes.append(b.prim("bool_f64", b.prim("eq", ks[j], at[q]),
                                        hint=lane_names[q * width + j]))
        outs = d.call(kernel, d.params + lanes, ["value"] * n_out + ["tangent"] * width * n_out)
        ts = outs[n_out:]
        for o, m in enumerate(ms):         # the output's shape is known after the first sweep
            if m:
                for q, p in enumerate(ps):
                    a = acc[o * len(ps) + q]
                    acc[o * len(ps) + q] = b.prim("select", b.prim("eq", start, 0), b.prim(
                        "zeros", *[b.prim("dim", ts[o], k) for k in range(m)], *dims[p.id]),
                        a, hint=a.hint)
        for j in range(width):
            for q, p in enumerate(ps):
                for o, m in enumerate(ms):
                    a, t = o * len(ps) + q, ts[j * n_out + o]
                    if m:                  # acc[o..., index] = t[o...], o over the output
                        acc[a] = d.copy_into(acc[a], t, when=inside(q, ks[j]),
                                             after=lambda q=q, j=j: index(q, ks[j]))
                    elif dims[p.id]:       # acc[index] = t
                        acc[a] = d.when(inside(q, ks[j]), [acc[a]], lambda v, q=q, j=j, t=t: [
                            b.prim("store", v[0], t, *index(q, ks[j]))])[0]
                    else:
                        acc[a] = b.prim("select", inside(q, ks[j]), t, acc[a],
                                        hint=acc[a].hint)
                if dims[p.id]:             # the seed cleared
                    s = seed_of[q, j]
                    seed[s] = mark(seed[s], q, ks[j], 0.0)
        return outs[:n_out] + acc + seed

    one = b.prim("max", at[-1], 1)
    values0 = [b.undef(t, hint="value") for t in out_ts]
    done = d.loop(0, one, values0 + accs + seeds, sweep, step=width, hint="start")
    return d.finish(done[:n_out + n_acc])


# ---------------------------------------------------------------------------- reverse mode
def dot_output(fn: Function) -> Function:
    """<F(x), w> for fn returning a 1-d array: a new last parameter w (in place)."""
    ret = fn.body.ops[-1]
    w = Value(ret.args[0].type, "w")
    fn.params.append(w)
    Rewriter.add_block_arg(fn.body, w)
    dot = Op("matmul", [ret.args[0], w], [Value(F64, "out")], {}, loc=ret.loc)
    Rewriter.insert_before_terminator(fn.body, [dot])
    ret.args = [dot.result]
    return fn


def rows(primal: Function, vjp: Function, wrt: list, names: list) -> Function:
    """def f_jacrev(*params): the value and the Jacobian (one row per output) of primal,
    returning a 1-d array, by the vector-Jacobian product kernel vjp(*params, w)."""
    value = replace(primal, name=f"{primal.name}_value")
    vjp.name = f"{primal.name}_vjp"
    for p, n in zip(vjp.params, list(names) + ["w"]):
        p.hint = n
    d = _Driver(f"{primal.name}_jacrev", primal, names,
                f"reverse-mode Jacobian: row i is w^T J with w the i-th unit vector, by "
                f"{vjp.name}")
    b = d.b
    ps = [d.params[i] for i in wrt]
    y = d.call(value, d.params, ["value"])[0]
    n_out = b.prim("dim", y, 0, hint="n_out")
    w0 = b.prim("zeros", n_out, hint="w")
    dims = {p.id: d.dims(p) if isinstance(p.type, Array) else [] for p in ps}
    jac = [b.prim("zeros", n_out, *dims[p.id], hint=f"d_{p.hint}") for p in ps]

    def row(i, carried):
        w = b.prim("store", carried[0], 1.0, i)
        outs = d.call(vjp, d.params + [w], ["value"] + [f"{p.hint}_bar" for p in ps])
        w = b.prim("store", w, 0.0, i)
        return [w] + [d.copy_into(J, g, before=[i]) for J, g in zip(carried[1:], outs[1:])]
    done = d.loop(0, n_out, [w0] + jac, row)
    return d.finish([y] + done[1:])


# ---------------------------------------------------------------------------- hessian
def hessian(primal: Function, hvp: Function, wrt: list, names: list) -> Function:
    """def f_hessian(*params): the Hessian of primal with respect to parameter wrt[0]
    (x.shape + x.shape for an array x), one Hessian-vector product per unit vector."""
    hvp.name = f"{primal.name}_hvp"
    for p, n in zip(hvp.params, list(names) + tangent_params(names, wrt, 1)):
        p.hint = n
    d = _Driver(f"{primal.name}_hessian", primal, names,
                f"Hessian: column k is H e_k, e_k the k-th unit vector, by {hvp.name}")
    b = d.b
    x = d.params[wrt[0]]
    hint = f"{x.hint}_dot"
    if not isinstance(x.type, Array):
        return d.finish([d.call(hvp, d.params + [1.0], ["", "hessian"])[1]])
    dims = d.dims(x)
    H0 = b.prim("zeros", *dims, *dims, hint="hessian")
    e0 = b.prim("zeros", *dims, hint=hint)

    def level(k, carried, at):
        if k == len(dims):
            e = b.prim("store", carried[1], 1.0, *at)
            hv = d.call(hvp, d.params + [e], ["", f"{x.hint}_bar_dot"])[1]
            e = b.prim("store", e, 0.0, *at)
            return [d.copy_into(carried[0], hv, after=at), e]
        return d.loop(0, dims[k], carried, lambda i, vals: level(k + 1, vals, at + [i]),
                      hint="k")
    H = level(0, [H0, e0], [])[0]
    return d.finish([H])


__all__ = ["forward", "rows", "dot_output", "hessian"]
