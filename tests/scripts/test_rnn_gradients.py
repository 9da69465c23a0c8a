import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest


def test_the_adding_problem_marks_one_value_in_each_half(load_script):
    script = load_script("rnn_gradients")
    X, y = script.adding_problem(jax.random.key(0), 50, 10)
    markers = np.asarray(X[..., 1])
    assert np.all(markers.sum(axis=1) == 2) and np.all(markers[:, :5].sum(axis=1) == 1)
    np.testing.assert_allclose(y, np.sum(np.asarray(X[..., 0]) * markers, axis=1), rtol=1e-6)


def test_the_state_gradients_are_those_of_the_hand_derived_bptt(load_script, key):
    """g_t = dL/ds_t from the perturbation trick equals the lecture's recursion (reference BPTT)."""
    from fnn.layers import rnn
    from reference.layers import rnn as rr

    script = load_script("rnn_gradients")
    params = rnn.init(key, 3, 5, dtype=jnp.float64)
    X = jax.random.normal(jax.random.fold_in(key, 1), (4, 7, 3), jnp.float64)
    r = jax.random.normal(jax.random.fold_in(key, 2), (5,), jnp.float64)
    S, _, cache = rr.forward(params, X)
    dS = jnp.zeros_like(S).at[:, -1].set(r)
    g = rr.state_gradients(cache, dS) / (1 - S * S)  # da_t = g_t (1 - s_t^2)
    expected = np.mean(np.linalg.norm(np.asarray(g), axis=-1), axis=0)
    np.testing.assert_allclose(script.state_gradient_norms("rnn", params, X, r), expected, rtol=1e-10)


def test_smoke_with_a_tiny_config(load_script, tmp_path, capsys):
    script = load_script("rnn_gradients")
    config = script.parse(["--length", "6", "--units", "4", "--steps", "100", "--clip-length", "4", "--clip-steps", "100",
                           "--out", str(tmp_path)])
    results = script.main(config)
    assert set(results["adding_test_mse"]) == {"rnn", "gru", "lstm"}
    for name in ("gradient_norms.png", "adding.png", "clipping.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "results.json").read_text())["adding_mean_predictor_mse"] == pytest.approx(1 / 6)
    assert "wrote" in capsys.readouterr().out


@pytest.mark.slow
def test_the_simple_rnn_fails_the_adding_problem_gated_cells_learn_it_and_clipping_saves_a_run(tmp_path):
    """The numbers of the RNN page (docs/rnn.md): ``python scripts/rnn_gradients.py`` at its default size
    (about a minute and a half), in a fresh process as the page runs it (float32, no float64 mode)."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "rnn_gradients.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True,
                   env=os.environ | {"JAX_ENABLE_X64": "0"})
    results = json.loads((tmp_path / "results.json").read_text())
    mse = results["adding_test_mse"]
    assert mse["rnn"] > 0.15 and mse["gru"] < 0.01 and mse["lstm"] < 0.01
    trained = results["gradient_norm_at_steps_1_and_T"]["trained on the adding problem"]
    assert trained["rnn"][0] < 1e-10 < 1e-3 < min(trained["gru"][0], trained["lstm"][0])
    assert results["clipping_test_mse"]["no clipping"] is None and results["clipping_test_mse"]["clip_norm 1"] < 0.05
    at_init = results["gradient_norm_at_steps_1_and_T"]["at initialisation"]  # [step 1, step T]
    assert at_init["simple RNN, radius 0.5"][0] < 1e-20 and at_init["GRU"][0] < 1e-9 < at_init["LSTM"][0] < 0.1
    assert at_init["simple RNN, radius 1.5"][0] > 100 * at_init["simple RNN, radius 1.5"][1]
    assert results["clipping_largest_gradient_norm"]["no clipping"] is None  # it overflowed: inf or NaN
