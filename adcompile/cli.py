"""The `adcompile` command: inspect (reverse or --forward), grad, diagnose and demo.

Exit codes: 0 success; 1 an error in the user's program or at the point (an adcompile
error naming the file and line); 2 a mistake on the command line (as argparse reports them:
unknown options, FILE:FUNC that does not resolve, unreadable --at values); 3 `diagnose`
found an artifact. Messages go to stderr, never with a traceback.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import sys

from .errors import AdCompileError


class UsageError(Exception):
    """A mistake on the command line."""


def load_target(spec: str):
    """FILE:FUNC -> the Python function (the undecorated one if it carries @grad)."""
    if ":" not in spec:
        raise UsageError(f"expected FILE:FUNC, got {spec!r} (e.g. examples/seed_graph.py:f)")
    path, _, name = spec.rpartition(":")
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    path = os.path.abspath(path)
    mod_name = "adcompile_cli_" + os.path.splitext(os.path.basename(path))[0]
    sys.path.insert(0, os.path.dirname(path))
    spec_ = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(spec_)
    sys.modules[mod_name] = module
    try:
        spec_.loader.exec_module(module)
    except AdCompileError:
        raise
    except Exception as exc:
        raise UsageError(f"importing {path} failed: {type(exc).__name__}: {exc}") from None
    if not hasattr(module, name):
        funcs = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
                       and getattr(v, "__module__", None) == mod_name)
        raise UsageError(f"{path} has no function {name!r}"
                         + (f"; it defines: {', '.join(funcs)}" if funcs else ""))
    func = getattr(module, name)
    func = getattr(func, "_adcompile_wrapped", func)
    if not callable(func):
        raise UsageError(f"{name!r} in {path} is not a function")
    return func


def parse_pairs(text: str, what: str) -> dict:
    out = {}
    for item in filter(None, (s.strip() for s in _split_top(text or ""))):
        if "=" not in item:
            raise UsageError(f"{what}: expected name=value, got {item!r}")
        k, v = (s.strip() for s in item.split("=", 1))
        out[k] = v
    return out


def _split_top(text: str) -> list:
    """Split at the commas outside brackets and quotes: `x=[1,2],p={"a": 1, "b": [3]}`."""
    parts, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]


_SPECIAL = {"nan": float("nan"), "inf": float("inf"), "+inf": float("inf"),
            "-inf": float("-inf"), "infinity": float("inf"), "-infinity": float("-inf")}


def parse_value(name: str, text: str):
    """A value on the command line: a number, True/False, nan/inf, a list (an array), a
    tuple or dict of those, or @file.npy (an array) / @file.npz (a dict of arrays)."""
    t = text.strip()
    if t.lower() in _SPECIAL:                # as float() reads them; 1e400 is inf too
        return _SPECIAL[t.lower()]
    if t.startswith("@"):
        return _load_file(name, t[1:])
    try:
        value = ast.literal_eval(t)
    except (ValueError, SyntaxError):
        raise UsageError(f"--at: cannot read the value of {name!r}: {text!r}") from None
    return _argument(name, value, text)


def _argument(name, value, text):
    import numpy as np
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, list):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise UsageError(f"--at: {name!r} must be a list of numbers (an array), got {text!r}")
        return arr
    if isinstance(value, tuple):
        return tuple(_argument(name, v, text) for v in value)
    if isinstance(value, dict):
        return {k: _argument(name, v, text) for k, v in value.items()}
    raise UsageError(f"--at: {name!r} must be a number, True/False, a list of numbers, or a "
                     f"tuple or dict of those (or @file.npy), got {text!r}")


def _load_file(name, path):
    import numpy as np
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--at: cannot read {name!r} from {path}: {exc}") from None
    if isinstance(data, np.ndarray):
        return data
    with data:                                 # an .npz: a dict of its arrays
        return {k: data[k] for k in data.files}


def as_floats(value):
    """A differentiated argument as floats: 1 and [1, 2] mean 1.0 and [1.0, 2.0]."""
    import numpy as np
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iub":
        return value.astype(np.float64)
    if isinstance(value, tuple):
        return tuple(map(as_floats, value))
    if isinstance(value, dict):
        return {k: as_floats(v) for k, v in value.items()}
    return value


def parse_wrt(text, params):
    if not text:
        return 0
    items = [s.strip() for s in text.split(",") if s.strip()]
    out = tuple(int(s) if s.lstrip("-").isdigit() else s for s in items)
    return out if len(out) > 1 else out[0]


def cmd_inspect(args) -> int:
    from .api import GradFunction
    func = load_target(args.target)
    mode = "forward" if args.forward else "reverse"
    g = GradFunction(func, wrt=parse_wrt(args.wrt, None), jit=False, mode=mode)
    types = parse_pairs(args.types, "--types")
    unknown = set(types) - set(g.params)
    if unknown:
        raise UsageError(f"--types names unknown parameters: {', '.join(sorted(unknown))}")
    from .types import parse_type
    for name, text in types.items():
        try:
            parse_type(text)
        except AdCompileError as exc:
            raise UsageError(f"--types: {exc.message}") from None
    if args.after:
        return _inspect_after(g, types, args.after)
    compiled = g.specialise(**types)
    show_ir, show_adj = args.ir, args.adjoint
    if not (show_ir or show_adj):
        show_ir = show_adj = True
    if show_ir:
        print(compiled.ir)
    if show_ir and show_adj:
        print()
    if show_adj:
        print(compiled.source, end="")
    return 0


def _inspect_after(g, types, after: str) -> int:
    """Print the IR after each named pass (or `all`) of the pipeline that compiles g."""
    from . import pipeline
    names = [s.strip() for s in after.split(",") if s.strip()]
    known = set(pipeline.PASSES) | set(pipeline.STAGES) | {"all"}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"--after: unknown pass {unknown[0]!r}; the passes are "
                         f"{', '.join(sorted(known - {'all'}))}, or all")
    saved = os.environ.get("ADCOMPILE_PRINT_AFTER")
    os.environ["ADCOMPILE_PRINT_AFTER"] = ",".join(names)
    try:
        with pipeline.collect_prints() as texts:
            g.specialise(**types)
    finally:
        if saved is None:
            del os.environ["ADCOMPILE_PRINT_AFTER"]
        else:
            os.environ["ADCOMPILE_PRINT_AFTER"] = saved
    print("\n".join(texts), end="")
    return 0


def cmd_grad(args) -> int:
    from .api import GradFunction
    func = load_target(args.target)
    wrt = parse_wrt(args.wrt, None)
    g = GradFunction(func, wrt=wrt, jit=not args.no_jit, with_value=True,
                     mode="forward" if args.forward else "reverse")
    at = parse_pairs(args.at, "--at")
    unknown = set(at) - set(g.params)
    if unknown:
        raise UsageError(f"--at names unknown parameters: {', '.join(sorted(unknown))}")
    values = {k: parse_value(k, v) for k, v in at.items()}
    for i in g.wrt:                       # 1.5 and 1 mean the same point on the command line
        name = g.params[i]
        if name in values:
            values[name] = as_floats(values[name])
    value, grads = g(**values)
    grads = grads if isinstance(grads, tuple) else (grads,)
    print(f"value = {value!r}")
    for i, d in zip(g.wrt, grads):
        print(f"d/d{g.params[i]} = {d!r}")
    return 0


ARTIFACT_EXIT = 3


def cmd_diagnose(args) -> int:
    from .diagnose import diagnose
    func = load_target(args.target)
    import inspect
    params = list(inspect.signature(func).parameters)
    at = parse_pairs(args.at, "--at")
    unknown = set(at) - set(params)
    if unknown:
        raise UsageError(f"--at names unknown parameters: {', '.join(sorted(unknown))}")
    values = {k: parse_value(k, v) for k, v in at.items()}
    wrt = parse_wrt(args.wrt, None) if args.wrt else None
    named = wrt if isinstance(wrt, tuple) else (wrt,)
    for name, v in values.items():           # --wrt t --at t=0 means the float 0.0
        if name in named:
            values[name] = as_floats(v)
    rep = diagnose(func, wrt=wrt, seed=args.seed, **values)
    print(rep.to_json() if args.json else rep)
    return ARTIFACT_EXIT if rep.verdict == "artifact" else 0


def cmd_demo(args) -> int:
    from .demo import run_demo
    run_demo(repeat=args.repeat)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="adcompile", description="Source-transforming automatic "
                                "differentiation for a subset of Python, compiled with Numba.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    ins = sub.add_parser("inspect", help="print the IR and the generated gradient source",
                         description="Print the typed SSA IR of FUNC and the generated "
                                     "forward-plus-adjoint source (both unless one is chosen).")
    ins.add_argument("target", metavar="FILE:FUNC")
    ins.add_argument("--types", default="", help='parameter types, e.g. "x=f64,n=i64" '
                     "(default: annotations, defaults, else f64)")
    ins.add_argument("--wrt", default="", help="parameters to differentiate (names or "
                     "indices, comma-separated; default: the first)")
    ins.add_argument("--ir", action="store_true", help="print the IR")
    ins.add_argument("--adjoint", action="store_true", help="print the generated source")
    ins.add_argument("--forward", action="store_true", help="forward mode: the generated "
                     "source is the tangent code and its gradient driver")
    ins.add_argument("--after", default="", metavar="PASS", help="print the IR after these "
                     "passes of the pipeline (comma-separated, or all): frontend, cse, dce, "
                     "reverse, forward, fold_identities, hoist_checks, ... "
                     "(docs/design.md lists them)")
    ins.set_defaults(run=cmd_inspect)
    gr = sub.add_parser("grad", help="evaluate the value and gradient at a point",
                        description="Compile FUNC's gradient and evaluate it at --at.")
    gr.add_argument("target", metavar="FILE:FUNC")
    gr.add_argument("--at", required=True, help='the point, e.g. "w1=1.5,w2=0.5", "x=[1,2,3]", '
                    '"X=@data.npy", "params={\"w\": [1, 2], \"b\": 0.5}" (a dict)')
    gr.add_argument("--wrt", default="", help="parameters to differentiate (default: first)")
    gr.add_argument("--no-jit", action="store_true", help="run the generated source as Python")
    gr.add_argument("--forward", action="store_true", help="compute it by forward mode")
    gr.set_defaults(run=cmd_grad)
    dg = sub.add_parser("diagnose", help="check AD's derivative at a point for nonsmooth "
                        "artifacts", description="Run the nonsmooth diagnostics of FUNC at --at: "
                        "kinks hit, static findings, and a verdict. Exit status 3 when the "
                        "verdict is 'artifact' (AD's value is not a slope the function has near the "
                        "point), "
                        "0 otherwise, 1 on an error in the program, 2 on a command-line "
                        "mistake.")
    dg.add_argument("target", metavar="FILE:FUNC")
    dg.add_argument("--at", required=True, help='the point, e.g. "t=0.0"')
    dg.add_argument("--wrt", default="", help="parameters (default: every float parameter)")
    dg.add_argument("--seed", type=int, default=0, help="seed of the random directions")
    dg.add_argument("--json", action="store_true", help="print the report as JSON")
    dg.set_defaults(run=cmd_diagnose)
    de = sub.add_parser("demo", help="the seed computation-graph example, end to end",
                        description="Compile the seeds' computation-graph example: its IR, "
                                    "the adjoint source, a finite-difference check, timings.")
    de.add_argument("--repeat", type=_positive_int, default=200_000,
                    help="calls per timing (at least 1)")
    de.set_defaults(run=cmd_demo)
    return p


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


USAGE_EXIT, ERROR_EXIT = 2, 1


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:              # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"adcompile: error: {exc}", file=sys.stderr)
        return USAGE_EXIT
    except AdCompileError as exc:
        print(f"adcompile: error: {exc}", file=sys.stderr)
        return ERROR_EXIT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
