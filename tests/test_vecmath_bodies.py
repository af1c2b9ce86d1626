"""The runtime's compiled bodies kept on disk as LLVM IR (adcompile/vecmath/bodies.py): a
later process links them without compiling, gets the same numbers and still vectorises;
a damaged file is compiled again; a cache that cannot be written changes nothing."""
import json
import os
import subprocess
import sys

import numpy as np

SNIPPET = r"""
import json, math, numba, numpy as np
from adcompile import vecmath as vm
from adcompile.vecmath import bodies

@numba.njit
def loop(x, out):
    for i in range(x.shape[0]):
        out[i] = vm.exp(x[i]) + vm.sin(x[i]) * vm.log1p(abs(x[i]))

x = np.linspace(-5.0, 5.0, 257)
out = np.empty_like(x)
loop(x, out)
asm = loop.inspect_asm(loop.signatures[0])
print(json.dumps({"out": out.tolist(), "packed": "zmm" in asm or "ymm" in asm,
                  "compiled": sorted(k for k, v in bodies._BODIES.items()
                                     if not v[0].name.startswith("adcompile.vecmath."))}))
"""


def run(cache):
    env = dict(os.environ, ADCOMPILE_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", SNIPPET], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_later_process_links_the_bodies_without_compiling(tmp_path):
    first = run(tmp_path)
    assert len(first["compiled"]) == 3                 # exp, sin, log1p compiled here
    files = sorted((tmp_path / "vecmath").glob("*.ll"))
    assert len(files) == 3
    second = run(tmp_path)
    assert second["compiled"] == []                    # all three read back
    assert second["out"] == first["out"]
    assert second["packed"] and first["packed"]
    x = np.linspace(-5.0, 5.0, 257)
    expect = np.exp(x) + np.sin(x) * np.log1p(np.abs(x))
    assert np.allclose(second["out"], expect, rtol=1e-14, atol=0)


def test_a_damaged_body_is_compiled_again(tmp_path):
    first = run(tmp_path)
    for f in (tmp_path / "vecmath").glob("*.ll"):
        text = f.read_text()
        f.write_text(text[: len(text) // 2])           # cut in the middle
    again = run(tmp_path)
    assert len(again["compiled"]) == 3
    assert again["out"] == first["out"]
    assert run(tmp_path)["compiled"] == []             # and written whole again


def test_a_cache_it_cannot_write(tmp_path):
    if os.geteuid() == 0:
        blocked = tmp_path / "file-not-dir"
        blocked.write_text("")                         # root writes anywhere: a file instead
        cache = blocked
    else:
        cache = tmp_path / "ro"
        cache.mkdir()
        cache.chmod(0o500)
    got = run(cache)
    x = np.linspace(-5.0, 5.0, 257)
    assert np.allclose(got["out"], np.exp(x) + np.sin(x) * np.log1p(np.abs(x)), rtol=1e-14)
