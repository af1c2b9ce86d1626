"""Generated files are content-hashed in the cache directory, and a second process with the
same function and types loads Numba's cached machine code instead of compiling again."""
import os
import subprocess
import sys
import textwrap

import adcompile as ad
import programs as P

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    sys.path.insert(0, {benchmarks!r})
    import adcompile as ad
    import programs as P
    g = ad.value_and_grad(P.nested_loops)
    print(g(0.6, 5)[1])
    stats = g.kernel.stats
    print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
    print(g.source_path)
""")


def test_second_process_loads_the_compiled_code(tmp_path):
    env = dict(os.environ, ADCOMPILE_CACHE_DIR=str(tmp_path),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = SCRIPT.format(tests=os.path.join(ROOT, "tests"),
                         benchmarks=os.path.join(ROOT, "benchmarks"))
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, check=True).stdout.split("\n") for _ in range(2)]
    (grad1, stats1, path1, _), (grad2, stats2, path2, _) = runs
    assert grad1 == grad2 and path1 == path2
    assert stats1 == "0 1"             # first process: compiled
    assert stats2 == "1 0"             # second process: loaded from Numba's cache
    assert path1.startswith(str(tmp_path)) and os.path.exists(path1)


def test_generated_file_is_named_by_content(tmp_path, monkeypatch):
    monkeypatch.setenv("ADCOMPILE_CACHE_DIR", str(tmp_path))
    g = ad.grad(P.straight, jit=False)
    g(0.7, -1.3)
    path = str(g.source_path)
    with open(path) as fh:
        assert fh.read() == g.source
    import hashlib
    from adcompile.jit import fingerprint
    key = (fingerprint() + "\0" + g.source).encode()   # the source and what it builds on
    assert hashlib.sha256(key).hexdigest()[:16] in os.path.basename(path)


def test_one_compilation_per_signature():
    g = ad.grad(P.overwrite_in_loop)
    g(0.8, 3)
    g(0.9, 4)
    first = g.kernel
    g(0.8, True)                       # a bool for n: a new signature
    assert len(g._cache) == 2
    g(0.8, 3)                          # the first signature again: nothing compiled
    assert len(g._cache) == 2
    assert any(c.func is first for c in g._cache.values())
