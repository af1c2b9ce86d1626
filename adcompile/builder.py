"""IR builder: appends typed ops to a block, folds constants and trivial derivative arithmetic."""
from __future__ import annotations

from contextlib import contextmanager

from .errors import AdCompileError, Loc
from .ir import Block, Op, Value, make_op, parent_op
from .primitives import PRIMS
from .types import BOOL, F64, I64


def const_value(v: Value):
    """The Python value of a constant, or None when v is not a constant."""
    op = parent_op(v)
    return op.attrs["value"] if op is not None and op.name == "const" else None


def is_const(v: Value, value=None) -> bool:
    op = parent_op(v)
    if op is None or op.name != "const":
        return False
    return value is None or (op.attrs["value"] == value and type(op.attrs["value"]) is not bool)


class Builder:
    """Builds ops into `block`. `role` tags the ops (primal, adjoint, ...) for codegen comments.

    Outside the primal role, trivial arithmetic with 0 and 1 is simplified (x*1 -> x, x+0 -> x);
    in the primal role only folds that are exact in IEEE arithmetic are made.
    """

    def __init__(self, block: Block, loc: Loc | None = None, role: str = "primal"):
        self.block = block
        self.loc = loc
        self.role = role

    # -- positioning ---------------------------------------------------------------------
    @contextmanager
    def at(self, block: Block):
        saved = self.block
        self.block = block
        try:
            yield self
        finally:
            self.block = saved

    @contextmanager
    def located(self, loc: Loc | None, role: str | None = None):
        saved = self.loc, self.role
        self.loc = loc if loc is not None else self.loc
        self.role = role if role is not None else self.role
        try:
            yield self
        finally:
            self.loc, self.role = saved

    # -- raw ops -------------------------------------------------------------------------
    def emit(self, name, args, result_types, attrs=None, regions=None, hints=None) -> Op:
        hints = hints or [""] * len(result_types)
        results = [Value(t, h) for t, h in zip(result_types, hints)]
        op = make_op(name, args, results, attrs, regions, self.loc, self.role)
        return self.block.append(op)

    def emit_region(self, cls, args, result_types, attrs=None, regions=None, hints=None):
        """A region op of class cls (ir.IfOp, ForOp, WhileOp)."""
        return self.emit(cls.NAME, args, result_types, attrs, regions, hints)

    def trip_count(self, bounds) -> Value:
        """Iterations of range(lo, hi, step); plain hi for range(hi) (a negative hi runs
        none: a count that may be negative)."""
        lo, hi, step = bounds
        if is_const(lo, 0) and is_const(step, 1):
            return hi
        return self.prim("range_len", lo, hi, step, hint="n_trip")

    def const(self, value, type_=None, hint="") -> Value:
        if type_ is None:
            type_ = BOOL if isinstance(value, bool) else I64 if isinstance(value, int) else F64
        if type_ == F64:
            value = float(value)
        return self.emit("const", [], [type_], {"value": value}, hints=[hint]).result

    def undef(self, type_, hint="undef") -> Value:
        return self.emit("undef", [], [type_], hints=[hint]).result

    def as_value(self, x) -> Value:
        return x if isinstance(x, Value) else self.const(x)

    # -- primitives ----------------------------------------------------------------------
    def prim(self, name: str, *args, hint: str = "", **attrs) -> Value:
        p = PRIMS[name]
        vals = [self.as_value(a) for a in args]
        if p.arity is not None and len(vals) != p.arity:
            raise AdCompileError(f"{name} takes {p.arity} arguments, got {len(vals)}", self.loc)
        simple = self._simplify(name, vals)
        if simple is not None:
            return simple
        rtype = p.typing(*vals, **attrs)
        if p.fold and all(is_const(v) for v in vals):
            try:
                value = p.impl(*[const_value(v) for v in vals])
            except (ArithmeticError, ValueError):
                value = None
            if value is not None:
                return self.const(value, rtype, hint)
        return self.emit(name, vals, [rtype], attrs, hints=[hint]).result

    def _simplify(self, name, vals):
        exact = self.role != "primal"
        if name == "select" and is_const(vals[0]) and vals[1].type == vals[2].type:
            return vals[1] if const_value(vals[0]) else vals[2]     # a condition known now
        if name in ("to_f64", "to_i64") and vals[0].type == BOOL:    # Numba has no float(bool)
            return self.prim("bool_f64" if name == "to_f64" else "bool_i64", vals[0])
        if name == "mul" and exact and vals[0].type == F64 and vals[1].type == F64:
            x, y = vals                    # (-a) * b -> -(a * b): lets x + -(a*b) become x - a*b
            for a, b in ((x, y), (y, x)):
                op = parent_op(a)
                if op is not None and op.name == "neg" and op.role != "primal":
                    return self.prim("neg", self.prim("mul", op.args[0], b))
        if name == "mul" and exact:
            x, y = vals
            op = parent_op(y)
            if op is not None and op.name == "div" and is_const(op.args[0], 1.0) \
                    and x.type == F64:
                return self.prim("div", x, op.args[1])
        if name == "mul":
            x, y = vals
            for a, b in ((x, y), (y, x)):
                if is_const(b, 1) and a.type == b.type or is_const(b, 1.0) and a.type == F64:
                    return a
                if exact and is_const(b, -1.0) and a.type == F64:
                    return self.prim("neg", a)
        if name in ("add", "sub"):
            x, y = vals
            if is_const(y, 0) and (exact or x.type == I64) and x.type == _widest(x, y):
                return x
            if name == "add" and is_const(x, 0) and (exact or y.type == I64) \
                    and y.type == _widest(x, y):
                return y
            if name == "sub" and exact and is_const(x, 0.0) and y.type == F64:
                return self.prim("neg", y)
        if name in ("and", "or"):
            x, y = vals
            neutral, absorbing = (True, False) if name == "and" else (False, True)
            for a, b in ((x, y), (y, x)):
                if _is_bool_const(b, neutral):
                    return a
                if _is_bool_const(b, absorbing):
                    return b
        if name == "not":
            op = parent_op(vals[0])
            if op is not None and op.name == "not":
                return op.args[0]
        if name == "add" and exact:
            x, y = vals
            op = parent_op(y)
            if op is not None and op.name == "neg" and x.type == F64:
                return self.prim("sub", x, op.args[0])
        if name == "same_size" and vals[0] is vals[1]:
            return vals[0]                      # a length checked against itself
        if name == "div" and is_const(vals[1], 1.0) and vals[0].type == F64:
            return vals[0]
        if name == "pow" and is_const(vals[1], 1) and vals[0].type == F64:
            return vals[0]
        if name == "pow" and is_const(vals[1], 2) and vals[0].type == F64:
            return self.prim("mul", vals[0], vals[0])     # x ** 2 is x * x, exactly
        if name == "neg" and exact:
            op = parent_op(vals[0])
            if op is not None and op.name == "neg":
                return op.args[0]
        return None

    def __getattr__(self, name):
        if name in PRIMS:
            return lambda *args, **kw: self.prim(name, *args, **kw)
        raise AttributeError(name)


def _is_bool_const(v: Value, value: bool) -> bool:
    op = parent_op(v)
    return op is not None and op.name == "const" and op.attrs["value"] is value


def _widest(x, y):
    from .types import promote
    t = promote(x.type, y.type)
    return I64 if t == BOOL else t
