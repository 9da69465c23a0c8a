import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import activations as fa
from fnn.util import random_draws

X = np.linspace(-6, 6, 25)


def numpy_reference():
    sig = 1 / (1 + np.exp(-X))
    return {
        "linear": X,
        "sigmoid": sig,
        "tanh": np.tanh(X),
        "relu": np.maximum(X, 0),
        "leaky_relu": np.where(X > 0, X, 0.1 * X),
        "elu": np.where(X > 0, X, np.exp(X) - 1),
        "softplus": np.log1p(np.exp(X)),
        "swish": X * sig,
    }


@pytest.mark.parametrize("name", sorted(fa.ELEMENTWISE))
def test_elementwise_values_match_the_formula(name):
    np.testing.assert_allclose(jax.jit(fa.get(name))(jnp.asarray(X)), numpy_reference()[name], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", sorted(fa.ELEMENTWISE) + ["softmax", "log_softmax"])
def test_stable_and_finite_for_inputs_of_magnitude_1e4(name):
    f = {"softmax": fa.softmax, "log_softmax": fa.log_softmax}.get(name) or fa.get(name)
    a = jnp.array([[-1e4, -3.0, 0.0, 2.0, 1e4]])
    y, grad = f(a), jax.grad(lambda a: jnp.sum(jnp.sin(f(a))))(a)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(grad))


def test_limits_at_large_inputs():
    big = jnp.array([-1e4, 1e4])
    np.testing.assert_array_equal(fa.sigmoid(big), [0.0, 1.0])
    np.testing.assert_array_equal(fa.softplus(big), [0.0, 1e4])
    np.testing.assert_array_equal(fa.elu(big), [-1.0, 1e4])
    np.testing.assert_allclose(fa.log_softmax(jnp.array([0.0, 1e4])), [-1e4, 0.0])


def test_hyperparameters_change_the_function():
    a = jnp.array([-2.0, 3.0])
    np.testing.assert_allclose(fa.leaky_relu(a, slope=0.3), [-0.6, 3.0])
    np.testing.assert_allclose(fa.elu(a, alpha=2.0), [2 * np.expm1(-2.0), 3.0])
    np.testing.assert_allclose(fa.swish(a, beta=0.0), a / 2)
    assert fa.LEAKY_RELU_SLOPE == 0.1


def test_relu_derivative_at_zero_is_zero():
    assert jax.grad(fa.relu)(0.0) == 0.0


EDGES = jnp.array([-1e4, -1.0, -0.0, 0.0, 1.0, 1e4])
JAX_NN = [  # jax.nn shares these functions' derivatives at 0 (leaky_relu does not: jax.nn's is 1 there)
    ("sigmoid", {}, jax.nn.sigmoid),
    ("tanh", {}, jnp.tanh),
    ("relu", {}, jax.nn.relu),
    ("elu", {}, jax.nn.elu),
    ("elu", {"alpha": 1.5}, lambda a: jax.nn.elu(a, alpha=1.5)),
    ("softplus", {}, jax.nn.softplus),
    ("swish", {}, jax.nn.silu),
]


@pytest.mark.parametrize("name, hyper, oracle", JAX_NN, ids=["-".join([n] + [f"{k}={v}" for k, v in h.items()]) for n, h, _ in JAX_NN])
def test_values_and_derivatives_at_0_and_1e4_equal_jax_nn(name, hyper, oracle):
    f = lambda a: fa.get(name)(a, **hyper)  # noqa: E731
    np.testing.assert_allclose(f(EDGES), oracle(EDGES), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(jax.vmap(jax.grad(f))(EDGES), jax.vmap(jax.grad(oracle))(EDGES), rtol=1e-12, atol=1e-15)


def test_derivatives_at_exactly_0():
    at_zero = lambda f: float(jax.grad(f)(0.0))  # noqa: E731
    assert at_zero(fa.softplus) == 0.5  # sigmoid(0), not 0 from the tie in max(a, 0) + log1p(exp(-|a|))
    assert at_zero(fa.elu) == 1.0  # smooth at 0 for alpha = 1, not 0.5 from min(a, 0)
    assert at_zero(lambda a: fa.elu(a, alpha=1.5)) == 1.5  # the convention g'(0) = alpha
    assert at_zero(fa.sigmoid) == 0.25 and at_zero(fa.swish) == 0.5 and at_zero(fa.tanh) == 1.0
    assert at_zero(fa.leaky_relu) == fa.LEAKY_RELU_SLOPE


@pytest.mark.parametrize("name, f", [("softmax", fa.softmax), ("log_softmax", fa.log_softmax)])
def test_softmax_vjp_at_ties_and_1e4_equals_jax_nn(name, f, key):
    a = jnp.array([[0.0, 0.0, 0.0], [1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]])
    oracle = {"softmax": jax.nn.softmax, "log_softmax": jax.nn.log_softmax}[name]
    dY = random_draws.normal(key, a.shape, jnp.float64)
    np.testing.assert_allclose(jax.vjp(f, a)[1](dY)[0], jax.vjp(oracle, a)[1](dY)[0], rtol=1e-12, atol=1e-15)


def test_maxout_gradient_goes_to_the_first_winner_on_ties():
    a = jnp.array([[0.0, 0.0, 0.0, -1.0, 3.0, 3.0]])
    da = jax.vjp(lambda a: fa.maxout(a, pieces=3), a)[1](jnp.array([[10.0, 20.0]]))[0]
    np.testing.assert_array_equal(da, [[10.0, 0.0, 0.0, 0.0, 20.0, 0.0]])  # jnp.max would split 10/3 and 10, 10


def test_softmax_rows_sum_to_one_and_match_log_softmax(key):
    a = 5 * random_draws.normal(key, (4, 7))
    np.testing.assert_allclose(jnp.sum(fa.softmax(a), axis=-1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(jnp.log(fa.softmax(a)), fa.log_softmax(a), rtol=1e-12)
    np.testing.assert_allclose(fa.softmax(a), jax.nn.softmax(a), rtol=1e-13)


def test_maxout_takes_the_max_of_each_group_of_pieces():
    a = jnp.array([[1.0, 5.0, 2.0, -1.0, -3.0, -2.0]])
    np.testing.assert_array_equal(jax.jit(lambda a: fa.maxout(a, pieces=3))(a), [[5.0, -1.0]])
    np.testing.assert_array_equal(fa.maxout(a, pieces=2), [[5.0, 2.0, -2.0]])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fa.maxout(jnp.ones((2, 5)), pieces=2), r"maxout: expected the last dim of a to be a multiple of pieces=2"),
        (lambda: fa.maxout(jnp.ones((2, 4)), pieces=0), r"maxout: expected pieces to be a positive int, got 0"),
        (lambda: fa.leaky_relu(jnp.ones(2), slope=-0.1), r"leaky_relu: expected slope in \[0, 1\), got -0.1"),
        (lambda: fa.elu(jnp.ones(2), alpha=0.0), r"elu: expected alpha in \(0, inf\], got 0.0"),
        (lambda: fa.get("gelu"), r"activations.get: unknown activation 'gelu'; expected one of elu, leaky_relu"),
    ],
)
def test_bad_input_names_function_and_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("name", sorted(fa.ELEMENTWISE))
def test_nan_propagates_through_every_activation(name):
    """A NaN input must never come out as a number (relu used to map it to 0)."""
    assert bool(jnp.isnan(fa.get(name)(jnp.array([jnp.nan]))[0]))
