"""Binders of np.linalg's functions and of the contractions (np.einsum, np.tensordot,
np.kron, np.trace): arity, keywords and array ranks checked, naming the user's call; tuple
results (slogdet, eigh, qr, lstsq) are tuples of rows' values."""
from __future__ import annotations

import ast

from ..types import F64


def operands(low, call, count, ranks, keywords=()):
    """The call's array arguments as float arrays of the given ranks (one tuple of allowed
    ranks per argument); keywords other than `keywords` are an error."""
    for k in call.node.keywords:
        if k.arg not in keywords:
            low.unsupported(call.node, f"{call.label}() keyword argument {k.arg}= is not "
                                       "supported")
    args = call.values()
    if len(args) not in (count if isinstance(count, tuple) else (count,)):
        low.type_error(call.node, f"{call.label}() takes {count} array argument(s), "
                                  f"got {len(args)}")
    out = []
    for v, want in zip(args, ranks):
        out.append(as_float_array(low, call, v, want))
    return out + args[len(ranks):]


def as_float_array(low, call, v, want=None):
    if isinstance(v, tuple) or not low.is_array(v):
        low.type_error(call.node, f"{call.label}() takes arrays")
    if v.type.dtype != F64:
        v = low.elementwise("to_f64", [v], call.node)
    v = low.materialize(v)
    if want is not None and v.type.ndim not in want:
        low.type_error(call.node, f"{call.label}() takes a "
                                  f"{' or '.join(f'{n}-d' for n in want)} array here, "
                                  f"got a {v.type.ndim}-d array")
    return v


def constant(low, call, node, what):
    """The Python value of a literal argument (a string, an int, a list of ints, np.inf)."""
    try:
        return ast.literal_eval(node)
    except ValueError:
        pass
    v = low.expr(node)
    from ..builder import const_value
    value = None if isinstance(v, tuple) else const_value(v)
    if value is None:
        low.unsupported(node, f"{call.label}(): {what} must be a constant")
    return value


def keyword(call, name, position=None):
    for k in call.node.keywords:
        if k.arg == name:
            return k.value
    if position is not None and len(call.node.args) > position:
        return call.node.args[position]
    return None


def matrix(low, call):
    """det, inv, cholesky, logabsdet: one square matrix."""
    (A,) = operands(low, call, 1, [(2,)])
    return call.prim(A)


def slogdet(low, call):
    (A,) = operands(low, call, 1, [(2,)])
    return (low.b.prim("det_sign", A), low.b.prim("logabsdet", A))


def solve(low, call):
    A, B = operands(low, call, 2, [(2,), (1, 2)])
    return call.prim(A, B)


def eigh(low, call):
    (A,) = operands(low, call, 1, [(2,)])
    return (low.b.prim("eigh_w", A), low.b.prim("eigh_v", A))


def eigvalsh(low, call):
    (A,) = operands(low, call, 1, [(2,)])
    return low.b.prim("eigh_w", A)


def qr(low, call):
    mode = keyword(call, "mode", 1)
    if mode is not None and constant(low, call, mode, "mode") != "reduced":
        low.unsupported(call.node, "np.linalg.qr() supports mode='reduced' only")
    (A,) = operands(low, call, (1, 2), [(2,)], ("mode",))[:1]
    return (low.b.prim("qr_q", A), low.b.prim("qr_r", A))


def lstsq(low, call):
    """np.linalg.lstsq(A, b, rcond=None): (x, residuals, rank, singular values); x is
    differentiable (A of full column rank), the rest are not."""
    A, B = operands(low, call, (2, 3), [(2,), (1, 2)], ("rcond",))[:2]
    b = low.b
    return (b.prim("lstsq", A, B), b.prim("lstsq_rest", A, B, part=1),
            b.prim("lstsq_rest", A, B, part=2), b.prim("lstsq_rest", A, B, part=3))


def trace(low, call):
    (A,) = operands(low, call, 1, [(2,)])
    return call.prim(A)


def einsum(low, call):
    """np.einsum("ij,jk->ik", A, B): explicit or implicit output, repeated letters (traces),
    any number of operands; no ellipsis."""
    if call.node.keywords:
        low.unsupported(call.node, "np.einsum() keyword arguments are not supported")
    if not call.node.args:
        low.type_error(call.node, "np.einsum() needs a subscripts string")
    spec = constant(low, call, call.node.args[0], "the subscripts")
    if not isinstance(spec, str):
        low.type_error(call.node, "np.einsum() takes the subscripts as a string")
    spec = spec.replace(" ", "")
    if "." in spec:
        low.unsupported(call.node, "np.einsum() with an ellipsis (...) is not supported",
                        "name every axis")
    ins, arrow, out = spec.partition("->")
    terms = ins.split(",")
    arrays = [as_float_array(low, call, low.expr(a)) for a in call.node.args[1:]]
    if len(terms) != len(arrays):
        low.type_error(call.node, f"np.einsum(): {len(terms)} operand(s) in the subscripts, "
                                  f"{len(arrays)} given")
    for t, a in zip(terms, arrays):
        if len(t) != a.type.ndim or not t.isalpha():
            low.type_error(call.node, f"np.einsum(): subscripts {t!r} for a "
                                      f"{a.type.ndim}-d array")
    if not arrow:
        letters = "".join(terms)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(set(out)) != len(out) or any(c not in ins for c in out):
        low.type_error(call.node, f"np.einsum(): output subscripts {out!r} are not valid")
    return low.contract(arrays, terms, out, call.node)


def tensordot(low, call):
    """np.tensordot(a, b, axes): an int (the last axes of a with the first of b) or a pair
    of lists of axes."""
    a, c = operands(low, call, (2, 3), [None, None], ("axes",))[:2]
    node = keyword(call, "axes", 2)
    axes = 2 if node is None else constant(low, call, node, "axes")
    na, nc = a.type.ndim, c.type.ndim
    if isinstance(axes, int):
        if not 0 <= axes <= min(na, nc):
            low.type_error(call.node, f"np.tensordot(): axes={axes} for {na}-d and {nc}-d arrays")
        pa, pc = list(range(na - axes, na)), list(range(axes))
    else:
        try:
            pa, pc = ([x] if isinstance(x, int) else list(x) for x in axes)
        except (TypeError, ValueError):
            low.type_error(call.node, "np.tensordot(): axes must be an int or a pair of lists")
        pa = [k + na if k < 0 else k for k in pa]
        pc = [k + nc if k < 0 else k for k in pc]
        if len(pa) != len(pc) or any(not 0 <= k < na for k in pa) or \
                any(not 0 <= k < nc for k in pc):
            low.type_error(call.node, f"np.tensordot(): axes {axes} do not fit")
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    ta = [next(letters) for _ in range(na)]
    tc = [None] * nc
    for i, j in zip(pa, pc):
        tc[j] = ta[i]
    tc = [t or next(letters) for t in tc]
    out = [t for k, t in enumerate(ta) if k not in pa] + [t for k, t in enumerate(tc)
                                                         if k not in pc]
    return low.contract([a, c], ["".join(ta), "".join(tc)], "".join(out), call.node)


def kron(low, call):
    a, c = operands(low, call, 2, [(1, 2), (1, 2)])
    if a.type.ndim != c.type.ndim:
        low.type_error(call.node, "np.kron() takes two arrays of the same number of dimensions")
    return low.kron(a, c, call.node)


__all__ = ["operands", "matrix", "slogdet", "solve", "eigh", "eigvalsh", "qr", "lstsq",
           "trace", "einsum", "tensordot", "kron"]
