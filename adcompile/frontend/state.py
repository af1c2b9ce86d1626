"""The lowering's state, as explicit objects (no string keys with a meaning).

An environment maps the user's names (str) to values, and holds three other kinds of entry
under typed keys: the flags and the value of control-flow exits (`RET`, `RETVAL`, `BRK`,
`CONT`), the value an and/or/if-expression chooses (`VALUE`) and the hidden index of
`for v in x` (`ITER`), all `Key`s; and the current version of every array object, under its
`ObjKey`. Keeping them in the one mapping lets branches merge and loops carry them like any
name. `ArrayObjects` numbers the objects; `CopyRecords` remembers the copies made for views.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Value
from ..resolve import FunctionSource
from ..types import BOOL, F64, I64, Array


class Key:
    """An environment entry that is not a user's name. `text` is how it reads in messages,
    `hint` the name its values get in the IR."""
    __slots__ = ("text", "hint")

    def __init__(self, text: str, hint: str):
        self.text = text
        self.hint = hint

    def __repr__(self) -> str:
        return f"Key({self.text})"


RET = Key("__ret", "returned")         # a `return` has run (functions with early returns)
RETVAL = Key("__retval", "ret")        # the value returned
BRK = Key("__brk", "broke")            # a `break` has run in the innermost loop
CONT = Key("__cont", "skip")           # a `continue` has run in the innermost loop
VALUE = Key("$value", "v")             # the operand an and/or/if-expression chooses
ITER = Key("$it", "$it")               # the index of `for v in x`


class NoResult:
    """What a call of a helper that returns nothing gives: it can only be a statement."""
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


@dataclass(frozen=True)
class ObjKey:
    """The environment key of an array object's current version."""
    n: int

    @property
    def text(self) -> str:
        return f"$obj{self.n}"

    hint = "arr"


@dataclass(frozen=True)
class Unset:
    """The environment key of the flag of a user's name that may be unbound on some path
    (bound in one arm of an if only, or first bound inside a loop that may not run): a bool,
    true once bound. A read checks it (Python's UnboundLocalError); a binding drops it."""
    name: str

    @property
    def text(self) -> str:
        return f"$set:{self.name}"

    @property
    def hint(self) -> str:
        return f"{self.name}_set"


def bind_name(env, name: str, value) -> None:
    """Bind a user's name: bound on this path from here on."""
    env[name] = value
    if Unset(name) in env:
        env.pop(Unset(name))


def unset_names(te, ee, env0) -> list:
    """The user's names whose flags a branch merges: bound in one arm only, or with a flag
    (before the if, or in an arm)."""
    out = []
    for n in changed_names(te, ee):
        name = n.name if isinstance(n, Unset) else n
        if not isinstance(name, str) or name in out:
            continue
        key = Unset(name)
        if (name in te) != (name in ee) or key in te or key in ee or key in env0:
            out.append(name)
    return out


GENERIC = ("", "truth", "v")           # value hints an assignment may replace by the name


def hint_of(key) -> str:
    """The IR name of a value bound under `key`."""
    return key if isinstance(key, str) else key.hint


def key_text(key) -> str:
    """How `key` reads in messages (a user's name, or the key's own text)."""
    return key if isinstance(key, str) else key.text


def is_obj(key) -> bool:
    return isinstance(key, ObjKey)


class ArmEnv(dict):
    """An if arm's environment: a copy of the one before the if that records the names the
    arm binds or drops, so the merge looks at those instead of every name in scope (a
    function of n statements and n branches merges in O(n), not O(n^2))."""

    def __init__(self, base):
        super().__init__(base)
        self.changed: dict = {}

    def __setitem__(self, key, value):
        self.changed[key] = None
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self.changed[key] = None
        super().__delitem__(key)

    def pop(self, key, *default):
        self.changed[key] = None
        return super().pop(key, *default)

    def update(self, *args, **kw):
        for key in dict(*args, **kw):
            self.changed[key] = None
        super().update(*args, **kw)

    def setdefault(self, key, default=None):
        self.changed[key] = None
        return super().setdefault(key, default)


def changed_names(te, ee) -> list:
    """Names either arm may have rebound (every name when an arm's env is not recorded)."""
    if isinstance(te, ArmEnv) and isinstance(ee, ArmEnv):
        return list(dict.fromkeys(list(te.changed) + list(ee.changed)))
    return list(dict.fromkeys(list(te) + list(ee)))


@dataclass
class Frame:
    """One function being lowered: the entry point, or a helper inlined into it."""
    src: FunctionSource
    env: dict                          # names and keys -> values (see the module docstring)
    stack: tuple                       # the functions being inlined, outermost first


class ArrayObjects:
    """Which array object each array value is a version of (objects are numbered from 1)."""

    def __init__(self):
        self.count = 0
        self.obj_of: dict[int, int] = {}       # value id -> object number

    def register(self, v: Value) -> ObjKey:
        self.count += 1
        self.obj_of[v.id] = self.count
        return ObjKey(self.count)

    def key_of(self, v: Value) -> ObjKey | None:
        obj = self.obj_of.get(v.id)
        return None if obj is None else ObjKey(obj)

    def adopt(self, key, value: Value):
        """Record that `value` (a merge or loop result) is a version of the object `key`."""
        if isinstance(key, ObjKey):
            self.obj_of[value.id] = key.n


@dataclass
class ViewCopy:
    base: ObjKey             # the base array's object
    version: Value           # the base's version when the copy stands for the view
    text: str                # how the user wrote the slice, for messages


@dataclass
class CopyRecords:
    """The copies made where one array value had to stand for a view (views.py)."""
    protected: set = field(default_factory=set)   # object numbers: writes through refused
    copies: dict = field(default_factory=dict)     # value id -> ViewCopy
    stale_reads: list = field(default_factory=list)  # (ViewCopy, Loc, node): reported at the end


def convert(b, v: Value, t) -> Value:
    """v as a value of scalar type t (an array as the same array type with fewer axes known
    to have length 1: a copy, after a branch or loop joined them)."""
    if v.type == t:
        return v
    if isinstance(t, Array):
        return b.prim("retype", v, ndim=t.ndim, ones=t.ones, hint=v.hint)
    return b.prim({F64: "to_f64", I64: "to_i64", BOOL: "to_bool"}[t], v, hint=v.hint)


__all__ = ["Unset", "bind_name", "unset_names", "Key", "RET", "RETVAL", "BRK", "CONT", "VALUE",
           "ITER", "NoResult", "ObjKey", "GENERIC", "hint_of", "key_text", "is_obj", "ArmEnv", "changed_names", "Frame",
           "ArrayObjects", "ViewCopy", "CopyRecords", "convert"]
