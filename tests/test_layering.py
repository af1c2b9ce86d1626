"""The house rules of the code base, checked on its source (docs/design.md, "Layering"):
the IR owns control flow, passes do not reach into the frontend or write Python, and only
the IR module mutates ownership links."""
import ast
import os

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "adcompile")

FRONTEND = {"frontend", "arrays", "views", "lazy", "resolve", "desugar", "comprehensions",
            "lowering"}
EMITTERS = {"codegen", "drivers", "irprint", "names", "api", "transforms", "jit", "cli"}


def _modules():
    for dirpath, _, files in os.walk(ROOT):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, ROOT)
                with open(path, encoding="utf-8") as fh:
                    yield rel, ast.parse(fh.read(), path)


def _imported(tree) -> set:
    """The adcompile modules a module imports (last dotted component)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            mod = node.module or ""
            if mod:
                out.add(mod.split(".")[-1])
                out.update(mod.split("."))       # from ..frontend.loops import ...
            else:
                out.update(a.name for a in node.names)
            if mod in ("", "passes") or mod.endswith(".passes"):
                out.update(a.name for a in node.names)
    return out


def test_ir_and_types_import_no_pass_and_no_frontend():
    for rel, tree in _modules():
        if rel in ("ir.py", "types.py"):
            bad = _imported(tree) - {"errors", "types", "ir"}
            assert not bad, f"{rel} imports {sorted(bad)}"


def test_passes_import_no_frontend_module_and_write_no_python():
    for rel, tree in _modules():
        if rel.startswith("passes" + os.sep):
            bad = _imported(tree) & (FRONTEND | EMITTERS)
            assert not bad, f"{rel} imports {sorted(bad)}"


def test_no_control_flow_op_names_outside_the_ir():
    """Region ops are told apart by class (IfOp, ForOp, WhileOp), not by name strings."""
    for rel, tree in _modules():
        if rel == "ir.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in ("if", "for", "while"):
                raise AssertionError(f"{rel}:{node.lineno}: the op name {node.value!r}; "
                                     "use the ir classes")


def test_only_the_ir_module_sets_ownership_links():
    """Passes change IR through ir.Rewriter (or Builder), which keeps owner/parent right."""
    for rel, tree in _modules():
        if rel == "ir.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    for sub in ast.walk(t):
                        if isinstance(sub, ast.Attribute) and sub.attr in ("owner", "parent") \
                                and not (isinstance(sub.value, ast.Name) and sub.value.id == "self"):
                            raise AssertionError(f"{rel}:{node.lineno}: sets .{sub.attr} by hand")


def test_the_rewriter_keeps_links_consistent():
    from adcompile.builder import Builder
    from adcompile.ir import Block, ForOp, Function, Rewriter, Value, make_op
    from adcompile.types import F64, I64
    from adcompile.verify import verify

    x = Value(F64, "x")
    top = Block([x])
    b = Builder(top)
    body = Block([Value(I64, "i"), Value(F64, "s")])
    with b.at(body):
        s2 = b.prim("add", body.args[1], x)
        b.emit("yield", [s2], [])
    loop = b.emit_region(ForOp, [b.const(0), b.const(3), b.const(1), x], [F64], {}, [body],
                         ["s"])
    b.emit("return", [loop.results[0]], [])
    fn = Function("f", [x], top)
    rw = Rewriter()
    zero = make_op("const", [], [Value(I64, "n")], {"value": 0})
    rw.insert_before(loop, [zero])
    arg, res = rw.add_loop_carry(loop, zero.result, "n")
    tmp = Block()
    nxt = Builder(tmp).prim("add", arg, 1)
    rw.insert_before_terminator(loop.body, tmp.ops)
    rw.yield_new_carry(loop, nxt)
    assert loop.inits[-1] is zero.result and loop.carried_args[-1] is arg
    assert loop.carried[2][-1] is nxt and loop.results[-1] is res
    verify(fn)
    rw.keep_carries(loop, [1])
    assert loop.carried_args == [arg] and loop.results == [res]


def test_every_subpackage_is_installed():
    """`pip install .` (not editable) ships every package directory pyproject lists."""
    import tomllib
    with open(os.path.join(os.path.dirname(ROOT), "pyproject.toml"), "rb") as fh:
        listed = set(tomllib.load(fh)["tool"]["setuptools"]["packages"])
    found = {os.path.relpath(d, os.path.dirname(ROOT)).replace(os.sep, ".")
             for d, _, files in os.walk(ROOT) if "__init__.py" in files}
    assert found <= listed, f"add {sorted(found - listed)} to pyproject.toml's packages"


def test_frontend_modules_are_small_classes_with_state_made_in_init():
    """The frontend (frontend/, desugar.py, comprehensions.py) is modules of under 500
    lines; a class's attributes are all created in its __init__ (state is explicit, not
    grown by methods)."""
    for rel, tree in _modules():
        if not (rel.startswith("frontend" + os.sep) or rel in ("desugar.py",
                                                                "comprehensions.py")):
            continue
        with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
            assert len(fh.readlines()) < 500, f"{rel} has 500 lines or more: split it"
        for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
            made, set_later = set(), []
            for fn in cls.body:
                if not isinstance(fn, ast.FunctionDef):
                    continue
                for node in ast.walk(fn):
                    targets = node.targets if isinstance(node, ast.Assign) else \
                        [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
                    for t in targets:
                        for sub in ast.walk(t):
                            if isinstance(sub, ast.Attribute) and \
                                    isinstance(sub.value, ast.Name) and sub.value.id == "self":
                                (made.add if fn.name == "__init__" else set_later.append)(
                                    (sub.attr, node.lineno))
            names = {a for a, _ in made} | {f.target.id for f in cls.body
                                             if isinstance(f, ast.AnnAssign)} | \
                {t.id for f in cls.body if isinstance(f, ast.Assign) for t in f.targets
                 if isinstance(t, ast.Name)}
            for attr, line in set_later:
                assert attr in names, f"{rel}:{line}: {cls.name}.{attr} is first set outside " \
                                      "__init__"
