import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import regularizers as fr
from fnn.layers.dense import DenseParams
from fnn.models import mlp


@pytest.fixture
def params(key):
    p = mlp.init(key, mlp.MLPConfig((3, 4, 2)), dtype=jnp.float64)
    return jax.tree.map(lambda x: x + 0.3, p)  # non-zero biases


def test_values_sum_over_weight_matrices(params):
    Ws = [np.asarray(layer.W) for layer in params.dense]
    np.testing.assert_allclose(jax.jit(fr.l1)(params), sum(np.abs(W).sum() for W in Ws), rtol=1e-14)
    np.testing.assert_allclose(jax.jit(fr.l2)(params), sum((W**2).sum() for W in Ws), rtol=1e-14)
    np.testing.assert_allclose(fr.elastic_net(params, beta=0.3),
                               sum((0.3 * W**2 + np.abs(W)).sum() for W in Ws), rtol=1e-14)


@pytest.mark.parametrize("name", sorted(fr.BY_NAME))
def test_biases_are_never_penalised(name, params):
    shifted = params._replace(dense=tuple(layer._replace(b=layer.b + 7.0) for layer in params.dense))
    assert fr.get(name)(shifted) == fr.get(name)(params)
    grads = jax.grad(fr.get(name))(params)
    assert all(np.all(layer.b == 0) for layer in grads.dense)


def test_weights_are_found_by_field_name():
    tree = {"a": DenseParams(jnp.ones((2, 2)), jnp.ones(2)), "b": [DenseParams(jnp.ones((1, 3)), jnp.ones(3))]}
    assert [w.shape for w in fr.weights(tree)] == [(2, 2), (1, 3)]


def test_bad_input():
    with pytest.raises(ValueError, match=r"regularizers: expected params with at least one weight field named 'W'"):
        fr.l2({"b": jnp.ones(3)})
    with pytest.raises(ValueError, match=r"regularizers.get: unknown regularizer 'l3'"):
        fr.get("l3")
