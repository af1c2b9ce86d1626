"""Bit-level building blocks of the vectorisable math runtime, compiled to single instructions.

`f2i`/`i2f` reinterpret the 64 bits of a double as an int64 and back (LLVM `bitcast`); `fma`
is the fused multiply-add a * b + c rounded once (LLVM `llvm.fma.f64`, one instruction where
the CPU has FMA); `fdiv` a division with no zero check. All four are branch-free, so loops calling them stay vectorisable. They
are Numba intrinsics: call them from compiled code only.
"""
from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic


@intrinsic
def f2i(typingctx, x):
    """The bits of the double x as an int64."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def i2f(typingctx, n):
    """The double whose bits are the int64 n."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c with a single rounding."""
    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        f = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(f, args)
    return types.float64(types.float64, types.float64, types.float64), codegen


@intrinsic
def fdiv(typingctx, a, b):
    """a / b as one IEEE division (Numba's `/` checks b == 0 first under its default error
    model: a branch, which stops a loop from vectorising)."""
    def codegen(context, builder, signature, args):
        return builder.fdiv(args[0], args[1])
    return types.float64(types.float64, types.float64), codegen


@intrinsic
def horner(typingctx, x, c):
    """c[0] + x * (c[1] + x * (... + x * c[-1])) for a tuple c of floats (a module constant),
    one fma per coefficient, written out in LLVM: the polynomial evaluation of the runtime."""
    n = len(c)

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        f = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        coeffs = [builder.extract_value(args[1], k) for k in range(n)]
        p = coeffs[-1]
        for k in range(n - 2, -1, -1):
            p = builder.call(f, [args[0], p, coeffs[k]])
        return p
    return types.float64(x, c), codegen


def inlined(fn):
    """numba.njit(fn), its compiled versions marked alwaysinline for LLVM: inlined into
    every caller (a call left in a loop stops its vectorisation), but typed and compiled
    once per signature (Numba's own inline="always" retypes the body at every call site,
    which made the runtime's first compile take seconds)."""
    d = njit(fn)
    add = d.add_overload

    def add_overload(cres):
        f = cres.library.get_function(cres.fndesc.llvm_func_name)
        if not any(b"alwaysinline" in a for a in f.attributes):
            f.add_function_attribute("alwaysinline")
        add(cres)
    d.add_overload = add_overload
    return d


__all__ = ["f2i", "i2f", "fma", "fdiv", "horner", "inlined"]
