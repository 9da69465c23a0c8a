import jax
import jax.numpy as jnp
import pytest

from fnn import regularizers as fr
from fnn.models import mlp
from reference import gradcheck
from reference import regularizers as rr
from reference.audit import KINKED, away_from_kinks
from reference.gradcheck import KINK_TOLERANCE, SMOOTH_TOLERANCE
from tests.reference import harness

MODEL = mlp.mlp((5, 4), 2, batchnorm="after")


@pytest.fixture
def params(key):
    p = MODEL.init(key, (3,), dtype=jnp.float64)[1]
    return jax.tree.map(lambda x: away_from_kinks(x + 0.2), p)


@pytest.mark.parametrize("name", sorted(rr.GRADIENTS))
def test_gradient_equals_autodiff_and_finite_differences(name, params):
    mask = MODEL.weight_mask(params)
    hand = jax.jit(rr.gradient(name), static_argnums=1)(params, mask)
    penalty = lambda p: fr.get(name)(p, mask)  # noqa: E731
    harness.assert_close(hand, jax.grad(penalty)(params))
    tolerance = KINK_TOLERANCE if name in KINKED else SMOOTH_TOLERANCE
    assert gradcheck.max_relative_error(hand, gradcheck.numerical_gradient(penalty, params)) <= tolerance
    for leaf, is_weight in zip(jax.tree.leaves(hand), jax.tree.leaves(mask)):
        assert is_weight or float(jnp.max(jnp.abs(leaf))) == 0  # biases, gamma and beta: no penalty


def test_gradient_at_the_kink_w_equal_zero_matches_autodiff(params):
    mask = MODEL.weight_mask(params)
    zeroed = jax.tree.map(lambda p, w: p.at[..., 0].set(0.0) if w else p, params, mask)
    for name in ("l1", "elastic_net"):
        harness.assert_close(rr.gradient(name)(zeroed, mask), jax.grad(fr.get(name))(zeroed, mask))


def test_elastic_net_gradient_with_beta(params):
    mask = MODEL.weight_mask(params)
    harness.assert_close(rr.elastic_net_grad(params, mask, beta=0.3),
                         jax.grad(lambda p: fr.elastic_net(p, mask, beta=0.3))(params))


def test_penalty_gradient_is_lambda_times_dR(params):
    mask = MODEL.weight_mask(params)
    penalty = fr.Penalty("elastic_net", 0.01, beta=0.5)
    harness.assert_close(rr.penalty_grad(penalty, params, mask), jax.grad(lambda p: penalty(p, mask))(params))


def test_unknown_regularizer():
    with pytest.raises(ValueError, match=r"reference.regularizers.gradient: unknown regularizer 'l0'"):
        rr.gradient("l0")
