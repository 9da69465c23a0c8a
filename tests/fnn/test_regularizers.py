import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import regularizers as fr
from fnn.layers.dense import DenseParams
from fnn.models import mlp

MODEL = mlp.mlp((4,), 2)


@pytest.fixture
def params(key):
    p = MODEL.init(key, (3,), dtype=jnp.float64)[1]
    return jax.tree.map(lambda x: x + 0.3, p)  # non-zero biases


def test_values_sum_over_weight_matrices(params):
    mask = MODEL.weight_mask(params)
    Ws = [np.asarray(params[0].W), np.asarray(params[2].W)]
    np.testing.assert_allclose(jax.jit(fr.l1, static_argnums=1)(params, mask), sum(np.abs(W).sum() for W in Ws), rtol=1e-14)
    np.testing.assert_allclose(jax.jit(fr.l2, static_argnums=1)(params, mask), sum((W**2).sum() for W in Ws), rtol=1e-14)
    np.testing.assert_allclose(fr.elastic_net(params, mask, beta=0.3),
                               sum((0.3 * W**2 + np.abs(W)).sum() for W in Ws), rtol=1e-14)


@pytest.mark.parametrize("name", sorted(fr.BY_NAME))
def test_biases_are_never_penalised(name, params):
    mask = MODEL.weight_mask(params)
    shifted = (params[0]._replace(b=params[0].b + 7.0), (), params[2]._replace(b=params[2].b + 7.0))
    assert fr.get(name)(shifted, mask) == fr.get(name)(params, mask)
    grads = jax.grad(fr.get(name))(params, mask)
    assert np.all(grads[0].b == 0) and np.all(grads[2].b == 0)


@pytest.mark.parametrize("name", ["l1", "elastic_net"])
def test_the_l1_subgradient_at_zero_is_zero(name):
    """|w| is written w sign(w): autodiff gives sign(0) = 0, the convention of reference.regularizers."""
    params = {"W": jnp.array([0.0, 1.5, -2.0])}
    np.testing.assert_array_equal(jax.grad(fr.get(name), argnums=0)(params, {"W": True})["W"] - (
        2 * params["W"] if name == "elastic_net" else 0), [0.0, 1.0, -1.0])


def test_the_mask_selects_the_weights_whatever_their_names():
    tree = {"a": DenseParams(jnp.ones((2, 2)), jnp.ones(2)), "kernel": jnp.ones((1, 3))}
    assert [w.shape for w in fr.weights(tree, {"a": DenseParams(True, False), "kernel": True})] == [(2, 2), (1, 3)]


def test_bad_input():
    with pytest.raises(ValueError, match=r"regularizers: expected a mask with at least one weight matrix"):
        fr.l2({"b": jnp.ones(3)}, {"b": False})
    with pytest.raises(ValueError, match=r"regularizers: expected a mask shaped like params"):
        fr.l2({"b": jnp.ones(3)}, {"c": True})
    with pytest.raises(ValueError, match=r"regularizers.get: unknown regularizer 'l3'"):
        fr.get("l3")
