"""Where the documentation is on this machine, for hints that point to it: the docs/ folder
of a source checkout (an editable install), else the copy a wheel installs under
<prefix>/share/adcompile/docs (pyproject.toml's data-files)."""
from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_PLACES = (os.path.join(os.path.dirname(_HERE), "docs"),
           os.path.join(sys.prefix, "share", "adcompile", "docs"))


def doc_path(name: str) -> str:
    """The path of docs/<name> that exists here (the checkout's name if none does)."""
    for folder in _PLACES:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    return os.path.join("docs", name)


__all__ = ["doc_path"]
