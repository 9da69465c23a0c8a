import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import checkpoint
from fnn.models import mlp


@pytest.fixture
def params(key):
    return init_params(key, (4,))


def init_params(key, hidden, **options):
    return mlp.mlp(hidden, 2, **options).init(key, (3,), dtype=jnp.float64)[1]


def test_round_trip(params, tmp_path):
    path = checkpoint.save_params(tmp_path / "p.npz", params)
    loaded = checkpoint.load_params(path, params)
    assert jax.tree.structure(loaded) == jax.tree.structure(params)
    for a, b in zip(jax.tree.leaves(loaded), jax.tree.leaves(params)):
        np.testing.assert_array_equal(a, b)


def test_truncated_file_is_a_clear_error(params, tmp_path):
    path = checkpoint.save_params(tmp_path / "p.npz", params)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"checkpoint: cannot read .*p.npz"):
        checkpoint.load_params(path, params)


def test_mismatched_structure_names_the_leaf(params, tmp_path, key):
    path = checkpoint.save_params(tmp_path / "p.npz", params)
    wider = init_params(key, (5,))
    with pytest.raises(ValueError, match=r"p.npz leaf \[0\].W has shape \(3, 4\) dtype float64, expected shape \(3, 5\)"):
        checkpoint.load_params(path, wider)
    deeper = init_params(key, (4, 4))
    with pytest.raises(ValueError, match=r"load_params: .*p.npz does not match the model: missing leaves \['\[4\].W'"):
        checkpoint.load_params(path, deeper)
    with pytest.raises(ValueError, match=r"checkpoint: cannot read .*missing.npz"):
        checkpoint.load_params(tmp_path / "missing.npz", params)


from fnn import optim  # noqa: E402
from fnn.fit import Controls, fit  # noqa: E402
from fnn.objective import Objective  # noqa: E402
from fnn.optim import control  # noqa: E402

RUN = mlp.mlp((12,), 3, batchnorm="before", dropout=0.2)


def init_run(key, model=RUN):
    return model.init(key, (4,), dtype=jnp.float64)[1]


def run(tmp, epochs, key, resume=None):
    X = jax.random.normal(jax.random.key(1), (60, 4))
    y = jnp.argmax(X[:, :3], axis=1).astype(jnp.int32)
    params = init_run(jax.random.key(2))
    controls = Controls(plateau=control.ReduceOnPlateau(factor=0.5, patience=0, threshold=0.5),
                        early_stopping=control.EarlyStopping(patience=50))
    return fit(Objective(RUN), optim.injectable("adam", learning_rate=0.02), params, (X, y), val=(X, y),
               epochs=epochs, batch_size=16, key=key, checkpoint_dir=tmp, resume=resume, controls=controls,
               run_config={"test": True})


def test_an_interrupted_and_resumed_run_is_bit_identical(tmp_path, key):
    whole = run(tmp_path / "whole", 6, key)
    run(tmp_path / "cut", 3, key)  # the "interruption": only 3 of 6 epochs ran
    resumed = run(tmp_path / "cut", 6, key, resume=tmp_path / "cut" / "last.npz")
    for a, b in zip(jax.tree.leaves(whole.state), jax.tree.leaves(resumed.state)):
        a, b = (jax.random.key_data(x) if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key) else x for x in (a, b))
        np.testing.assert_array_equal(a, b)
    strip = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert strip(whole.history) == strip(resumed.history) and len(resumed.history) == 6
    assert [r["learning_rate"] for r in whole.history] != [0.02] * 6  # the plateau acted, and was restored


def test_fit_writes_last_and_best(tmp_path, key):
    result = run(tmp_path, 4, key)
    like = {"state": result.state, "loop_key": key, "best_params": result.state.params}
    last = checkpoint.load_checkpoint(tmp_path / "last.npz", like)
    best = checkpoint.load_checkpoint(tmp_path / "best.npz", like)
    assert last.epoch == 4 and len(last.history) == 4 and last.config == {"test": True}
    assert best.epoch == min(result.history, key=lambda r: r["val_loss"])["epoch"]


def test_corrupted_and_mismatched_checkpoints_are_named(tmp_path, key):
    result = run(tmp_path, 2, key)
    like = {"state": result.state, "loop_key": key, "best_params": result.state.params}
    path = tmp_path / "last.npz"
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match=r"checkpoint: cannot read .*last.npz"):
        checkpoint.load_checkpoint(path, like)
    path.write_bytes(good)
    other = init_run(jax.random.key(0), mlp.mlp((10,), 3, batchnorm="before", dropout=0.2))
    with pytest.raises(ValueError, match=r"load_checkpoint: .*last.npz leaf \['best_params'\]\[0\].W has shape \(4, 12\)"):
        checkpoint.load_checkpoint(path, {**like, "state": result.state._replace(params=other),
                                          "best_params": other})
    checkpoint.save_params(tmp_path / "p.npz", result.state.params)
    with pytest.raises(ValueError, match=r"load_checkpoint: .*p.npz has no __meta__ entry"):
        checkpoint.load_checkpoint(tmp_path / "p.npz", like)


def test_resuming_with_other_controls_is_a_clear_error(tmp_path, key):
    run(tmp_path, 2, key)
    X = jax.random.normal(jax.random.key(1), (60, 4))
    y = jnp.argmax(X[:, :3], axis=1).astype(jnp.int32)
    params = init_run(jax.random.key(2))
    with pytest.raises(ValueError, match=r"fit: .*last.npz was saved with early_stopping; resume with the controls"):
        fit(Objective(RUN), optim.injectable("adam", learning_rate=0.02), params, (X, y), val=(X, y), epochs=4,
            batch_size=16, key=key, resume=tmp_path / "last.npz",
            controls=Controls(plateau=control.ReduceOnPlateau(factor=0.5, patience=0, threshold=0.5)))
