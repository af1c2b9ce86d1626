"""Bit-level building blocks of the vectorisable math runtime, compiled to single instructions.

`f2i`/`i2f` reinterpret the 64 bits of a double as an int64 and back (LLVM `bitcast`); `fma`
is the fused multiply-add a * b + c rounded once (LLVM `llvm.fma.f64`, one instruction where
the CPU has FMA). All three are branch-free, so loops calling them stay vectorisable. They
are Numba intrinsics: call them from compiled code only.
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
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


__all__ = ["f2i", "i2f", "fma"]
