"""The source of a batch driver (batching.py): a Numba function, compiled with
parallel=True, that calls the per-sample kernel once per sample from a `prange` loop.

Two shapes of driver, both readable (`.source` of a batched gradient shows them):

    def loss_per_sample(w, x, y, value_out, w_bar_out):       # reduce=None
        n = x.shape[0]
        for i in prange(n):                                   # samples in parallel
            r = kernel(w, x[i], y[i])                         # the compiled gradient
            value_out[i] = r[0]
            w_bar_out[i] = r[1]
        return n

    def loss_sum_over_samples(w, x, y, n_chunks, value_acc, w_bar_acc, value_out, w_bar_out):
        n = x.shape[0]
        for c in prange(n_chunks):                            # one chunk per thread
            lo = c * n // n_chunks
            hi = (c + 1) * n // n_chunks
            value_c = 0.0                                     # the chunk's own accumulators
            w_bar_c = np.zeros_like(w_bar_acc[c])
            for i in range(lo, hi):                           # samples in order
                r = kernel(w, x[i], y[i])
                value_c += r[0]
                w_bar_c += r[1]
            value_acc[c] = value_c
            w_bar_acc[c] = w_bar_c
        for c in range(n_chunks):                             # chunks in order
            value_out[0] += value_acc[c]
            w_bar_out += w_bar_acc[c]
        return n

A sum is therefore ((0 + s_0) + s_1) + ... over the chunks, each s_c summed sample by sample
in order: the same bits at every call with the same number of chunks (threads). A
differentiated parameter that is itself batched has one gradient per sample also when the
sum is asked for (the gradient of the sum with respect to x is the stack of the per-sample
gradients): it is written per sample (`x_bar_out[i] = ...`).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    """One result of the kernel the driver collects: its name, how it is read from the
    kernel's result `r`, whether it is an array (else a float), and whether it is stacked
    per sample (else summed over samples when reducing)."""
    name: str
    access: str
    array: bool
    stacked: bool = False


def per_sample(name: str, doc: str, args: list, batched: set, outputs: list) -> str:
    """The driver writing each output of every sample into its row of `<name>_out`; ok[i]
    False where sample i raised (batching.py runs it again in Python for the error)."""
    outs = [f"{o.name}_out" for o in outputs]
    one = [f"def {name}_one(i, {', '.join(args + outs)}):",
           '    """Sample i into row i of the outputs (False if it raised)."""',
           "    try:",
           f"        r = kernel({_call_args(args, batched)})"]
    one += [f"        {o.name}_out[i] = {o.access}" for o in outputs]
    one += ["    except Exception:", "        return False", "    return True"]
    lines = [f"def {name}({', '.join(args + outs + ['ok'])}):", f'    """{doc}"""',
             f"    n = {args[min(batched)]}.shape[0]",
             "    for i in prange(n):",
             f"        ok[i] = {name}_one(i, {', '.join(args + outs)})",
             "    return n"]
    return _jitable(one) + _module(lines)


def summed(name: str, doc: str, args: list, batched: set, outputs: list) -> str:
    """The driver summing outputs over samples with one accumulator per chunk (stacked
    outputs written per sample); ok[c] False where a sample of chunk c raised."""
    sums = [o for o in outputs if not o.stacked]
    accs = [f"{o.name}_acc" for o in sums]
    outs = [f"{o.name}_out" for o in outputs]
    rows = [f"{o.name}_out" for o in outputs if o.stacked]
    chunk = [f"def {name}_chunk(lo, hi, {', '.join(args + accs + rows)}):",
             '    """Samples lo, ..., hi - 1 in order, summed into this chunk\'s accumulators '
             '(False if one raised)."""']
    chunk += [f"    {o.name}_c = np.zeros_like({o.name}_acc)" if o.array else
              f"    {o.name}_c = 0.0" for o in sums]
    chunk += ["    try:", "        for i in range(lo, hi):",
              f"            r = kernel({_call_args(args, batched)})"]
    chunk += [f"            {o.name}_out[i] = {o.access}" if o.stacked else
              f"            {o.name}_c += {o.access}" for o in outputs]
    chunk += ["    except Exception:", "        return False"]
    chunk += [f"    {o.name}_acc += {o.name}_c" if o.array else f"    {o.name}_acc[0] = {o.name}_c"
              for o in sums]
    chunk.append("    return True")
    lines = [f"def {name}({', '.join(args + ['n_chunks'] + accs + outs + ['ok'])}):",
             f'    """{doc}"""',
             f"    n = {args[min(batched)]}.shape[0]",
             "    for c in prange(n_chunks):",
             "        lo = c * n // n_chunks",
             "        hi = (c + 1) * n // n_chunks",
             f"        ok[c] = {name}_chunk(lo, hi, "
             f"{', '.join(args + [a + '[c]' for a in accs] + rows)})"]
    if sums:
        lines.append("    for c in range(n_chunks):       # the chunks in order")
        lines += [f"        {o.name}_out += {o.name}_acc[c]" for o in sums]
    lines.append("    return n")
    return _jitable(chunk) + _module(lines)


def _jitable(lines: list) -> str:
    """A helper the driver calls (compiled into it; plain Python without jit)."""
    return "@register_jitable\n" + _module(lines) + "\n\n"


def _call_args(args: list, batched: set) -> str:
    return ", ".join(f"{a}[i]" if k in batched else a for k, a in enumerate(args))


def _module(lines: list) -> str:
    return "\n".join(lines) + "\n"


def module(header: str, kernel_text: str, function: str) -> str:
    """The generated module: its docstring, imports, the kernel global (set when the module
    is loaded: `kernel_text` says which compiled function it is) and the driver."""
    return (f'"""{header}"""\nimport numpy as np\nfrom numba import prange\n'
            f"from numba.extending import register_jitable\n\n"
            f"kernel = None  # {kernel_text}\n\n\n{function}")


__all__ = ["Output", "per_sample", "summed", "module"]
