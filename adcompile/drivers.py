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


def _seed_lines(wrt_names, types, width, value: str) -> list:
    lines = []
    for p, t in zip(wrt_names, types):
        if isinstance(t, Array):
            lines += [f"        if {p}_at <= k < {p}_at + {p}.size:",
                      f"            {p}_seed[lane, k - {p}_at] = {value}"]
        else:
            lines += [f"        if k == {p}_at:", f"            {p}_dots[lane] = {value}"]
    return lines


def forward_driver(name: str, kernel: str, params: list, wrt: list, types: list, width: int,
                   out_ndim: int = 0) -> str:
    """def name(*params): value and the gradient (or Jacobian, for an array output) of the
    kernel's function by forward mode, `width` directions per sweep."""
    wrt_names = [params[i] for i in wrt]
    wrt_types = [types[i] for i in wrt]
    jacobian = out_ndim > 0
    what = "Jacobian" if jacobian else "gradient"
    lines = [f"def {name}({', '.join(params)}):",
             f"    # forward-mode {what}: {width} directions (x_dot, x_dot_1, ...) per sweep of "
             f"{kernel}, seeded with unit vectors"]
    at = "0"
    for p, t in zip(wrt_names, wrt_types):
        lines.append(f"    {p}_at = {at}")
        if isinstance(t, Array):
            lines += [f"    {p}_dots = np.zeros(({width},) + {p}.shape)",
                      f"    {p}_seed = {p}_dots.reshape({width}, {p}.size)"]
            at = f"{p}_at + {p}.size"
        else:
            lines.append(f"    {p}_dots = np.zeros({width})")
            at = f"{p}_at + 1"
    lanes = [f"{p}_dots[{k}]" for p in wrt_names for k in range(width)]
    lines += [f"    n_in = {at}",
              f"    value = np.zeros({(0,) * out_ndim})" if jacobian else "    value = 0.0",
              "    out_dots = np.zeros((1, n_in))" if jacobian else "    grad = np.zeros(n_in)",
              f"    for start in range(0, max(n_in, 1), {width}):",
              f"        for lane in range({width}):",
              "            k = start + lane"]
    lines += ["    " + ln for ln in _seed_lines(wrt_names, wrt_types, width, "1.0")]
    lines += [f"        out = {kernel}({', '.join(params + lanes)})",
              "        value = out[0]"]
    if jacobian:
        lines += ["        if start == 0:",
                  "            out_dots = np.zeros((value.size, n_in))"]
    lines += [f"        for lane in range({width}):",
              "            k = start + lane",
              "            if k < n_in:",
              "                out_dots[:, k] = out[1 + lane].ravel()" if jacobian else
              "                grad[k] = out[1 + lane]"]
    lines += ["    " + ln for ln in _seed_lines(wrt_names, wrt_types, width, "0.0")]
    results = []
    for p, t in zip(wrt_names, wrt_types):
        if jacobian:
            shape = f"value.shape + {p}.shape" if isinstance(t, Array) else "value.shape"
            part = (f"out_dots[:, {p}_at:{p}_at + {p}.size].copy().reshape({shape})"
                    if isinstance(t, Array) else f"out_dots[:, {p}_at].copy().reshape({shape})")
        else:
            part = (f"grad[{p}_at:{p}_at + {p}.size].copy().reshape({p}.shape)"
                    if isinstance(t, Array) else f"grad[{p}_at]")
        lines.append(f"    d_{p} = {part}")
        results.append(f"d_{p}")
    lines.append(f"    return value, {', '.join(results)}")
    return "\n".join(lines) + "\n"


__all__ = ["kernel_module", "forward_driver"]
