"""The source of a batch driver (batching.py): a Numba function, compiled with
parallel=True, that calls the per-sample kernel once per sample from a `prange` loop.

Both cut the samples into n_chunks chunks of consecutive samples (batching.py picks
n_chunks: 64, fewer for few samples) and run the chunks in a `prange` loop (Numba's static
schedule shares them out among the threads). A chunk is a helper (`register_jitable`: compiled into the driver)
whose loop runs inside try/except, because an exception cannot leave a parallel loop: a
chunk that raised returns False in ok[c], and batching.py runs its samples again in Python
for the user's error. reduce=None:

    def loss_per_sample_chunk(lo, hi, w, x, y, w_bar_out):
        try:
            for i in range(lo, hi):
                r = kernel(w, x[i], y[i])                     # the compiled (value, gradient)
                w_bar_out[i] = r[1]                           # row i of the output
        except Exception:
            return False
        return True

    def loss_per_sample(w, x, y, n_chunks, w_bar_out, ok):
        n = x.shape[0]
        for c in prange(n_chunks):
            lo = c * n // n_chunks
            hi = (c + 1) * n // n_chunks
            ok[c] = loss_per_sample_chunk(lo, hi, w, x, y, w_bar_out)
        return n

reduce="sum": each chunk sums its samples in order into accumulators of its own (locals,
stored in row c of `<name>_acc` at its end: no two threads write one cache line per sample),
and the driver then adds the rows in chunk order:

    def loss_sum_over_samples_chunk(lo, hi, w, x, y, value_acc, w_bar_acc):
        value_c = 0.0
        w_bar_c = np.zeros_like(w_bar_acc)
        try:
            for i in range(lo, hi):
                r = kernel(w, x[i], y[i])
                value_c += r[0]
                w_bar_c += r[1]
        except Exception:
            return False
        value_acc[0] = value_c
        w_bar_acc += w_bar_c
        return True
        ...
        for c in range(n_chunks):                             # the chunks' sums, in order
            value_out += value_acc[c]
            w_bar_out += w_bar_acc[c]

A sum is therefore ((0 + s_0) + s_1) + ... over the chunks, each s_c summed sample by sample
in order: the same bits at every call with the same number of chunks, whatever the number of
threads. A differentiated parameter that is itself batched has one gradient per sample also
when the sum is asked for (the gradient of the sum with respect to x is the stack of the
per-sample gradients): it is written per sample (`x_bar_out[i] = ...`).
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
    """The driver writing each output of every sample into its row of `<name>_out`; ok[c]
    False where a sample of chunk c raised (batching.py runs it again in Python for the
    error)."""
    outs = [f"{o.name}_out" for o in outputs]
    chunk = [f"def {name}_chunk(lo, hi, {', '.join(args + outs)}):",
             '    """Samples lo, ..., hi - 1 into their rows of the outputs (False if one '
             'raised)."""',
             "    try:", "        for i in range(lo, hi):",
             f"            r = kernel({_call_args(args, batched)})"]
    chunk += [f"            {o.name}_out[i] = {o.access}" for o in outputs]
    chunk += ["    except Exception:", "        return False", "    return True"]
    return _jitable(chunk) + _driver(name, doc, args, batched, ["n_chunks"] + outs, outs, [])


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
    after = []
    if sums:
        after.append("    for c in range(n_chunks):           # the chunks' sums, in order")
        after += [f"        {o.name}_out += {o.name}_acc[c]" for o in sums]
    return _jitable(chunk) + _driver(name, doc, args, batched, ["n_chunks"] + accs + outs,
                                     [a + "[c]" for a in accs] + rows, after)


def _driver(name, doc, args, batched, extra, passed, after) -> str:
    """The parallel loop over chunks of consecutive samples (Numba's static schedule)."""
    lines = [f"def {name}({', '.join(args + extra + ['ok'])}):", _docstring(doc),
             f"    n = {args[min(batched)]}.shape[0]",
             "    for c in prange(n_chunks):",
             "        lo = c * n // n_chunks",
             "        hi = (c + 1) * n // n_chunks",
             f"        ok[c] = {name}_chunk(lo, hi, {', '.join(args + passed)})",
             ]
    return _module(lines + after + ["    return n"])


def _docstring(doc: str) -> str:
    import textwrap
    text = textwrap.fill(doc[0].upper() + doc[1:] + ".", 88, initial_indent='    """',
                         subsequent_indent="    ")
    return text + '\n    """' if "\n" in text else text + '"""'


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
    import textwrap
    header = "\n\n".join(textwrap.fill(p, 88) for p in header.split("\n\n"))
    return (f'"""{header}\n"""\nimport numpy as np\n'
            f"from numba import prange\n"
            f"from numba.extending import register_jitable\n\n"
            f"kernel = None  # {kernel_text}\n\n\n{function}")


__all__ = ["Output", "per_sample", "summed", "module"]
