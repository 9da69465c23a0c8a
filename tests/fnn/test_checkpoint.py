import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import checkpoint
from fnn.models import mlp


@pytest.fixture
def params(key):
    return mlp.init(key, mlp.MLPConfig((3, 4, 2)), dtype=jnp.float64)


def test_round_trip(params, tmp_path):
    path = checkpoint.save_params(tmp_path / "p.npz", params)
    loaded = checkpoint.load_params(path, params)
    assert jax.tree.structure(loaded) == jax.tree.structure(params)
    for a, b in zip(jax.tree.leaves(loaded), jax.tree.leaves(params)):
        np.testing.assert_array_equal(a, b)


def test_truncated_file_is_a_clear_error(params, tmp_path):
    path = checkpoint.save_params(tmp_path / "p.npz", params)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"load_params: cannot read .*p.npz"):
        checkpoint.load_params(path, params)


def test_mismatched_structure_names_the_leaf(params, tmp_path, key):
    path = checkpoint.save_params(tmp_path / "p.npz", params)
    wider = mlp.init(key, mlp.MLPConfig((3, 5, 2)), dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"p.npz leaf .dense\[0\].W has shape \(3, 4\) dtype float64, expected shape \(3, 5\)"):
        checkpoint.load_params(path, wider)
    deeper = mlp.init(key, mlp.MLPConfig((3, 4, 4, 2)), dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"p.npz holds leaves .*expected"):
        checkpoint.load_params(path, deeper)
    with pytest.raises(ValueError, match=r"cannot read .*missing.npz"):
        checkpoint.load_params(tmp_path / "missing.npz", params)
