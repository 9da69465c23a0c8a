"""Test setup: XLA's faster-compiling CPU emitters, float64 and strict dtype promotion before any
array exists; a compilation cache shared by the session's workers; shared fixtures."""

import os
import shutil
import tempfile

FAST_COMPILES = "--xla_cpu_use_fusion_emitters=false"
"""XLA:CPU's older loop emitters: about 60% of the suite's time is compilation, and with them
``tests/reference/test_backprop.py`` compiled and ran in 20.9 s instead of 28.7 s (the default
run of ``fnn train`` ends with bit-identical parameters either way). ``FNN_TEST_XLA_FLAGS=default``
runs the session with XLA's defaults; the docs' blocks always run with them (``test_docs``)."""
if os.environ.get("FNN_TEST_XLA_FLAGS") != "default" and "xla_cpu_use_fusion_emitters" not in os.environ.get(
        "XLA_FLAGS", ""):  # set before JAX starts its backend; the workers and subprocesses inherit it
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {FAST_COMPILES}".strip()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

import hypothesis  # noqa: E402
import pytest  # noqa: E402

from fnn.objective import Objective  # noqa: E402

hypothesis.settings.register_profile("fnn", deadline=None, max_examples=8, derandomize=True)
hypothesis.settings.load_profile("fnn")

_CACHE = "FNN_TEST_COMPILATION_CACHE"


def pytest_configure(config):
    """One persistent compilation cache per test session, shared by the xdist workers and the
    subprocesses they start (they inherit the environment): many tests build the same epoch
    anew, and XLA then compiles it once for the whole session. It starts empty every session.
    ``FNN_TEST_COMPILATION_CACHE=off`` runs the session without it (to measure what it saves)."""
    if os.environ.get(_CACHE) == "off":
        return
    if _CACHE not in os.environ:  # the controller (or a run without xdist) makes it; workers find it
        os.environ[_CACHE] = tempfile.mkdtemp(prefix="fnn-test-jax-cache-")
        config.add_cleanup(lambda: shutil.rmtree(os.environ.pop(_CACHE), ignore_errors=True))
    os.environ |= {"JAX_COMPILATION_CACHE_DIR": os.environ[_CACHE], "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
                   "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "-1"}
    jax.config.update("jax_compilation_cache_dir", os.environ[_CACHE])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)


HAND_VS_AUTODIFF = {"rtol": 1e-10, "atol": 1e-12}
"""Hand-derived vs autodiff in float64 (the atol covers entries whose true value is 0)."""


@pytest.fixture
def key():
    return jax.random.key(0)


def compilations_during(run) -> int:
    """How many executables ``run()`` had XLA build (or load from the compilation cache)."""
    built = []

    def listen(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            built.append(event)

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        run()
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    return len(built)


TRACES = []
"""One entry per trace of any ``CountingObjective``'s training loss, in this process."""


class CountingObjective(Objective):
    """An Objective that counts the traces of its training loss in ``TRACES``. Equal objectives
    share one compiled epoch (``fnn.train``), so a retrace may run through another instance:
    count the growth of ``TRACES`` around the calls, not per instance."""

    def train_loss(self, params, model_state, batch, key):
        TRACES.append(1)
        return super().train_loss(params, model_state, batch, key)


@pytest.fixture
def fnn_command():
    """Run ``fnn ARGS`` as a page shows it: a fresh process, float32, without the test session's
    float64 and strict promotion (which move the last digits of a long run); fails on a non-zero exit."""
    import subprocess
    import sys

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "fnn.cli", *args], capture_output=True, text=True,
                              env=os.environ | {"JAX_ENABLE_X64": "0"})
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    return run
