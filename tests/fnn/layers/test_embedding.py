import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import Embedding
from fnn.layers import embedding


def test_the_lookup_is_the_one_hot_product(key):
    layer = Embedding(6, 3)
    out_shape, params, _ = layer.init(key, (4,), dtype=jnp.float64)
    ids = jnp.array([[0, 5, 2, 2], [1, 1, 3, 4]])
    Y, _ = layer.apply(params, (), ids, train=True)
    assert out_shape == (4, 3) and Y.shape == (2, 4, 3)
    np.testing.assert_allclose(Y, jax.nn.one_hot(ids, 6, dtype=jnp.float64) @ params.E, rtol=1e-15)
    np.testing.assert_array_equal(layer.apply(params, (), ids.astype(jnp.float32), train=True)[0], Y)


@pytest.mark.parametrize("ids, message", [
    (jnp.array([[0, 6]]), r"embedding.apply: expected token ids in \[0, 6\) \(the vocabulary\), got ids in \[0, 6\]"),
    (jnp.array([[-1, 2]]), r"expected token ids in \[0, 6\) \(the vocabulary\), got ids in \[-1, 2\]"),
    (jnp.array([[0.5, 2.0]]), r"embedding.apply: expected integer token ids, got non-integer values such as 0.5"),
])
def test_ids_outside_the_vocabulary_are_named(ids, message, key):
    params = embedding.EmbeddingParams(jnp.zeros((6, 2)))
    with pytest.raises(ValueError, match=message):
        embedding.apply(params, ids)


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="Embedding: expected vocabulary to be a positive int, got 0"):
        Embedding(0, 3)
    with pytest.raises(ValueError, match="Embedding: expected dim to be a positive int, got -2"):
        Embedding(5, -2)
