"""The ``fnn`` command keeps JAX's persistent compilation cache: a second run of the same model compiles nothing."""

import json
import os
import subprocess
import sys
import textwrap

from fnn.util import compile_cache

COUNTED = textwrap.dedent("""
    import json, sys
    import jax
    counts = {"/jax/compilation_cache/cache_hits": 0, "/jax/compilation_cache/cache_misses": 0}

    def listen(event, **kwargs):
        if event in counts:
            counts[event] += 1

    jax.monitoring.register_event_listener(listen)
    from fnn import cli
    status = cli.main(["train", "--hidden", "8", "--epochs", "2", "--out", sys.argv[1], "--overwrite", "--no-progress",
                     "--no-plots"])
    print(json.dumps({"status": status, "hits": counts["/jax/compilation_cache/cache_hits"],
                      "misses": counts["/jax/compilation_cache/cache_misses"]}))
""")


def test_a_second_run_of_the_same_model_loads_every_executable_from_the_cache(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("JAX_COMPILATION_CACHE_DIR", "FNN_TEST_COMPILATION_CACHE")}
    env["FNN_COMPILATION_CACHE"] = str(tmp_path / "cache")

    def counted():
        done = subprocess.run([sys.executable, "-c", COUNTED, str(tmp_path / "run")], env=env, capture_output=True,
                              text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    first, second = counted(), counted()
    assert first["status"] == second["status"] == 0
    assert first["misses"] > 0 and first["hits"] == 0 and any((tmp_path / "cache").iterdir())
    assert second["misses"] == 0 and second["hits"] == first["misses"]


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FNN_COMPILATION_CACHE", "off")
    assert compile_cache.folder() is None
    monkeypatch.setenv("FNN_COMPILATION_CACHE", str(tmp_path / "c"))
    assert compile_cache.folder() == tmp_path / "c"
    monkeypatch.delenv("FNN_COMPILATION_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert compile_cache.folder() == tmp_path / "xdg" / "fnn" / "jax"
