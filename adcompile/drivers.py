"""Generated drivers around a forward-mode (tangent) kernel.

A forward-mode gradient or Jacobian seeds the tangent kernel with `width` basis directions
per sweep and collects the output tangents; the driver is generated Python compiled with the
kernel (the kernel is `register_jitable`, so Numba inlines it), so the whole gradient is one
compiled call. Coordinates are numbered across the differentiated parameters in wrt order
(arrays in C order).
"""
from __future__ import annotations

from .codegen import generate_module
from .types import Array


def kernel_module(fn, kernel: str, origin: str, what: str, params: list, driver: str = "") -> str:
    """The module source of tangent kernel `kernel` (callable from njit code) plus a driver."""
    src = generate_module(fn, kernel, origin, what, params=params)
    head, _, body = src.partition(f"\ndef {kernel}(")
    imports = ["from numba.extending import register_jitable"]
    if "import numpy as np" not in head and "np." in driver:
        imports.insert(0, "import numpy as np")
    src = head.rstrip("\n") + "\n" + "\n".join(imports) + \
        f"\n\n\n@register_jitable\ndef {kernel}(" + body
    return src + ("\n\n" + driver if driver else "")


class _Locals:
    """Names of the driver's locals, clear of the user's parameter names."""

    def __init__(self, params):
        self.taken = set(params)
        self.names: dict = {}

    def __getitem__(self, key: str) -> str:
        if key not in self.names:
            name = key
            while name in self.taken:
                name += "_"
            self.taken.add(name)
            self.names[key] = name
        return self.names[key]


def _seed_lines(L, wrt_names, types, value: str) -> list:
    lines = []
    k, lane = L["k"], L["lane"]
    for p, t in zip(wrt_names, types):
        at = L[p + "_at"]
        if isinstance(t, Array):
            lines += [f"        if {at} <= {k} < {at} + {p}.size:",
                      f"            {L[p + '_seed']}[{lane}, {k} - {at}] = {value}"]
        else:
            lines += [f"        if {k} == {at}:", f"            {L[p + '_dots']}[{lane}] = {value}"]
    return lines


def forward_driver(name: str, kernel: str, params: list, wrt: list, types: list, width: int,
                   out_ndim: int = 0) -> str:
    """def name(*params): value and the gradient (or Jacobian, for an array output) of the
    kernel's function by forward mode, `width` directions per sweep."""
    from .names import RESERVED
    safe = _Locals(sorted(RESERVED) + [name, kernel])    # parameters named np, f_jvp, ...
    params = [safe[p] for p in params]
    L = _Locals(params + [name, kernel, "np"])
    wrt_names = [params[i] for i in wrt]
    wrt_types = [types[i] for i in wrt]
    jacobian = out_ndim > 0
    what = "Jacobian" if jacobian else "gradient"
    k, lane, start, out, value = L["k"], L["lane"], L["start"], L["out"], L["value"]
    n_in, acc = L["n_in"], L["out_dots" if jacobian else "grad"]
    lines = [f"def {name}({', '.join(params)}):",
             f"    # forward-mode {what}: {width} directions (x_dot, x_dot_1, ...) per sweep of "
             f"{kernel}, seeded with unit vectors"]
    at = "0"
    for p, t in zip(wrt_names, wrt_types):
        p_at, dots = L[p + "_at"], L[p + "_dots"]
        lines.append(f"    {p_at} = {at}")
        if isinstance(t, Array):
            lines += [f"    {dots} = np.zeros(({width},) + {p}.shape)",
                      f"    {L[p + '_seed']} = {dots}.reshape({width}, {p}.size)"]
            at = f"{p_at} + {p}.size"
        else:
            lines.append(f"    {dots} = np.zeros({width})")
            at = f"{p_at} + 1"
    lanes = [f"{L[p + '_dots']}[{j}]" for p in wrt_names for j in range(width)]
    lines += [f"    {n_in} = {at}",
              f"    {value} = np.zeros({(0,) * out_ndim})" if jacobian else f"    {value} = 0.0",
              f"    {acc} = np.zeros((1, {n_in}))" if jacobian else f"    {acc} = np.zeros({n_in})",
              f"    for {start} in range(0, max({n_in}, 1), {width}):",
              f"        for {lane} in range({width}):",
              f"            {k} = {start} + {lane}"]
    lines += ["    " + ln for ln in _seed_lines(L, wrt_names, wrt_types, "1.0")]
    lines += [f"        {out} = {kernel}({', '.join(params + lanes)})",
              f"        {value} = {out}[0]"]
    if jacobian:
        lines += [f"        if {start} == 0:",
                  f"            {acc} = np.zeros(({value}.size, {n_in}))"]
    lines += [f"        for {lane} in range({width}):",
              f"            {k} = {start} + {lane}",
              f"            if {k} < {n_in}:",
              f"                {acc}[:, {k}] = {out}[1 + {lane}].ravel()" if jacobian else
              f"                {acc}[{k}] = {out}[1 + {lane}]"]
    lines += ["    " + ln for ln in _seed_lines(L, wrt_names, wrt_types, "0.0")]
    results = []
    for p, t in zip(wrt_names, wrt_types):
        p_at = L[p + "_at"]
        if jacobian:
            shape = f"{value}.shape + {p}.shape" if isinstance(t, Array) else f"{value}.shape"
            part = (f"{acc}[:, {p_at}:{p_at} + {p}.size].copy().reshape({shape})"
                    if isinstance(t, Array) else f"{acc}[:, {p_at}].copy().reshape({shape})")
        else:
            part = (f"{acc}[{p_at}:{p_at} + {p}.size].copy().reshape({p}.shape)"
                    if isinstance(t, Array) else f"{acc}[{p_at}]")
        results.append(L["d_" + p])
        lines.append(f"    {results[-1]} = {part}")
    lines.append(f"    return {value}, {', '.join(results)}")
    return "\n".join(lines) + "\n"


__all__ = ["kernel_module", "forward_driver"]
