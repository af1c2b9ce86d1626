"""GradBench's hand-written C++ `manual` tool as a timed tool.

    python benchmarks/gradbench/manual_tool.py        # cwd: a GradBench source tree

GradBench runs it as `python3 python/gradbench/gradbench/cpp.py manual`, whose `define`
rebuilds `tools/manual/bin/<eval>` with the tool Makefile's defaults (-O3 -march=native, no
OpenMP) and whose `evaluate` runs that program on the input (the program reports one
"evaluate" timing per run, computation only). Here the same `gradbench.cpp` module runs, with
one difference: `define` builds into a copy, `tools/manual-native/`, so the drivers' golden
binaries (`tools/manual/bin`, built -march-neutral as GradBench's eval images do) stay as they
are, and it passes the include path of json.hpp from the `nlohmann-json` pip package.
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

NAME = "manual-native"


def build(module):
    from run import build as make  # run.py's build: same flags, NATIVE selectable

    src, dst = os.path.join("tools", "manual"), os.path.join("tools", NAME)
    os.makedirs(dst, exist_ok=True)
    for f in os.listdir(src):
        if os.path.isfile(os.path.join(src, f)):
            shutil.copy2(os.path.join(src, f), os.path.join(dst, f))
    make(".", [module], tool=NAME, native=True)


def main():
    from gradbench import cpp

    def define(*, args, module):
        try:
            build(module)
            return {"success": True}
        except Exception as e:
            return {"success": False, "error": f"{type(e).__name__}: {e}"}

    cpp.define = define
    sys.argv = ["cpp.py", NAME]
    cpp.main()


if __name__ == "__main__":
    main()
