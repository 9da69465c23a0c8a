import jax
import jax.numpy as jnp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fnn.layers import dropout as fd
from fnn.util import random_draws
from reference.gradcheck import SMOOTH_TOLERANCE
from reference.layers import dropout as rd
from reference.vjp import custom_vjp
from tests.reference import harness

SHAPES = [(1, 3), (4, 6), (8, 5)]


@pytest.mark.parametrize("form", fd.FORMS)
@given(shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**16))
def test_backward_routes_through_the_same_mask(form, shape, seed):
    key = jax.random.key(seed)
    x = random_draws.normal(jax.random.fold_in(key, 1), shape, jnp.float64)

    def forward(x):
        return fd.apply(x, rate=0.4, train=True, key=key, form=form)

    _, cache = rd.forward(x, rate=0.4, key=key, form=form)
    harness.assert_close(rd.forward(x, rate=0.4, key=key, form=form)[0], forward(x))
    dy, dx = harness.assert_matches_vjp(forward, (x,), lambda dy: (rd.backward(cache, dy),), jax.random.fold_in(key, 2))
    assert bool(jnp.all((dx[0] == 0) == (cache.r == 0)))


def test_backward_matches_finite_differences_and_works_mid_network(key):
    x = random_draws.normal(key, (4, 6), jnp.float64)
    mask_key = jax.random.fold_in(key, 3)

    def forward(x):
        return fd.apply(x, rate=0.3, train=True, key=mask_key)

    _, cache = rd.forward(x, rate=0.3, key=mask_key)
    dy = harness.random_cotangent(key, (4, 6))
    harness.assert_matches_finite_differences(forward, (x,), (rd.backward(cache, dy),), dy, SMOOTH_TOLERANCE)
    hand = custom_vjp(lambda h: rd.forward(h, rate=0.3, key=mask_key), rd.backward)
    harness.assert_same_gradient_in_a_network(lambda p, h: fd.apply(h, rate=0.3, train=True, key=mask_key),
                                              lambda p, h: hand(h), (), 6, 6, key)
