"""Run GradBench's own Python tools (jax, pytorch) with a fair timer, unmodified otherwise.

    python benchmarks/gradbench/python_tool.py jax       # cwd: a GradBench source tree

GradBench's `wrap.multiple_runs` (python/gradbench/gradbench/wrap.py) times each run of a
tool's function as `perf_counter` around the call. Two things make that unfair for a
comparison, so this wrapper replaces `gradbench.wrap.multiple_runs` (same signature, same
`Wrapped` result) before GradBench's tool modules are imported, then runs the tool's own
`run.py` as its image does:

- JAX dispatches asynchronously: the call returns before the result is computed, so every
  timed run is `jax.block_until_ready(function(input))` (a no-op on PyTorch's CPU tensors,
  which are computed synchronously).
- The first call of a JAX function on a new shape compiles it. As GradBench's Julia tools
  do (julia/GradBench/src/GradBench.jl: one "warmup" timing before the "evaluate" ones) and
  as adcompile's tool does ("compile"), one untimed-by-convention first call is reported as a
  "warmup" timing; GradBench's scorers only read "evaluate" timings.

Threads: the environment (OMP_NUM_THREADS=1, XLA_FLAGS single-threaded, ...) is set by the
caller; here `torch.set_num_threads(1)` too. GradBench's jax tool pins itself to CPU 0
(`os.sched_setaffinity`) unless given --multithreaded; that is kept.
"""
import os
import runpy
import sys
import time


def sync_for(tool):
    if tool == "jax":
        import jax

        return jax.block_until_ready
    if tool == "pytorch":
        import torch

        torch.set_num_threads(1)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
    return lambda x: x


def patch(sync):
    from gradbench import wrap

    def multiple_runs(*, min_runs=lambda x: x["min_runs"],
                      min_seconds=lambda x: x["min_seconds"], pre, post):
        def decorator(function):
            def wrapped(input_raw):
                input = pre(input_raw)
                start = time.perf_counter_ns()
                output = sync(function(input))
                timings = [{"name": "warmup", "nanoseconds": time.perf_counter_ns() - start}]
                runs, elapsed = 0, 0.0
                n, secs = min_runs(input_raw), min_seconds(input_raw)
                while runs < n or elapsed < secs:
                    start = time.perf_counter_ns()
                    output = sync(function(input))
                    ns = time.perf_counter_ns() - start
                    timings.append({"name": "evaluate", "nanoseconds": ns})
                    runs += 1
                    elapsed += ns / 1e9
                return {"success": True, "output": post(output), "timings": timings}

            return wrap.Wrapped(function=function, wrapped=wrapped)

        return decorator

    wrap.multiple_runs = multiple_runs


def main():
    tool = sys.argv[1]
    script = os.path.join("python", "gradbench", "gradbench", "tools", tool, "run.py")
    patch(sync_for(tool))
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # as `python run.py` would
    sys.argv = [script, *sys.argv[2:]]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
