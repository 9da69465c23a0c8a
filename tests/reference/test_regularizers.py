import jax
import jax.numpy as jnp
import pytest

from fnn import regularizers as fr
from fnn.models import mlp
from reference import gradcheck
from reference import regularizers as rr
from reference.audit import KINK_TOLERANCE, KINKED, SMOOTH_TOLERANCE, away_from_kinks
from tests.reference import harness


@pytest.fixture
def params(key):
    p = mlp.init(key, mlp.MLPConfig((3, 5, 4, 2)), dtype=jnp.float64)
    return jax.tree.map(lambda x: away_from_kinks(x + 0.2), p)


@pytest.mark.parametrize("name", sorted(rr.GRADIENTS))
def test_gradient_equals_autodiff_and_finite_differences(name, params):
    hand = jax.jit(rr.gradient(name))(params)
    harness.assert_close(hand, jax.grad(fr.get(name))(params))
    tolerance = KINK_TOLERANCE if name in KINKED else SMOOTH_TOLERANCE
    assert gradcheck.max_relative_error(hand, gradcheck.numerical_gradient(fr.get(name), params)) <= tolerance
    assert all(float(jnp.max(jnp.abs(layer.b))) == 0 for layer in hand.dense)


def test_elastic_net_gradient_with_beta(params):
    harness.assert_close(rr.elastic_net_grad(params, beta=0.3), jax.grad(lambda p: fr.elastic_net(p, beta=0.3))(params))


def test_unknown_regularizer():
    with pytest.raises(ValueError, match=r"reference.regularizers.gradient: unknown regularizer 'l0'"):
        rr.gradient("l0")
