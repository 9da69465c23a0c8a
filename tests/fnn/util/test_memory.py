import jax
import jax.numpy as jnp
import pytest

from fnn.util import memory


def test_the_bytes_of_a_tree_of_arrays_or_of_their_shapes():
    tree = {"W": jnp.zeros((3, 4), jnp.float32), "b": jnp.zeros(4, jnp.float64)}
    assert memory.tree_bytes(tree) == memory.tree_bytes(jax.eval_shape(lambda: tree)) == 12 * 4 + 4 * 8
    assert memory.training_bytes(tree, (tree, tree)) == 5 * (12 * 4 + 4 * 8)


def test_the_memory_available_is_known_here_and_a_larger_need_is_refused_with_the_estimate():
    available = memory.available_bytes()
    assert available is not None and 2**26 < available
    memory.check_fits("run", 2**29, "half of it", available=2**30)
    with pytest.raises(ValueError, match=r"run: expected a model that fits in the 1.0 GiB of memory available, "
                                         r"got one that needs at least 2.0 GiB \(its weights\)"):
        memory.check_fits("run", 2**31, "its weights", available=2**30)


def test_a_containers_limit_counts(tmp_path):
    (tmp_path / "memory.max").write_text("1073741824\n")
    (tmp_path / "memory.current").write_text("268435456\n")
    assert memory._container_available(str(tmp_path)) == 3 * 2**28
    (tmp_path / "memory.max").write_text("max\n")
    assert memory._container_available(str(tmp_path)) is None
    assert memory._container_available(str(tmp_path / "none")) is None
