import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import initializers as fi

N_IN, N_OUT = 400, 600  # 240,000 draws: the sample variance is within 0.3% (1 sigma) of the truth

STATED_VARIANCE = {
    "zeros": 0.0,
    "small_random": 1e-4,
    "lecun_normal": 1 / N_IN,
    "glorot_normal": 2 / (N_IN + N_OUT),
    "glorot_uniform": 2 / (N_IN + N_OUT),
    "he_normal": 2 / N_IN,
    "he_uniform": 2 / N_IN,
    "tanh_uniform": 1 / N_IN,
    "glorot_bengio_standard": 1 / (3 * N_IN),
    "pytorch_uniform": 1 / (3 * N_IN),
    "orthogonal": 1 / max(N_IN, N_OUT),
}
UNIFORM_LIMIT = {
    "glorot_uniform": np.sqrt(6 / (N_IN + N_OUT)),
    "he_uniform": np.sqrt(6 / N_IN),
    "tanh_uniform": np.sqrt(3 / N_IN),
    "glorot_bengio_standard": 1 / np.sqrt(N_IN),
    "pytorch_uniform": 1 / np.sqrt(N_IN),
}


@pytest.mark.parametrize("name", sorted(STATED_VARIANCE))
def test_empirical_variance_matches_the_docstring(name, key):
    W = jax.jit(fi.get(name), static_argnums=(1, 2))(key, (N_IN, N_OUT), jnp.float64)
    assert W.shape == (N_IN, N_OUT) and W.dtype == jnp.float64
    np.testing.assert_allclose(np.var(W), STATED_VARIANCE[name], rtol=0.02, atol=0)
    assert abs(np.mean(W)) <= 4 * np.sqrt(STATED_VARIANCE[name] / W.size)


@pytest.mark.parametrize("name", sorted(UNIFORM_LIMIT))
def test_uniform_schemes_fill_their_interval(name, key):
    W = fi.get(name)(key, (N_IN, N_OUT), jnp.float64)
    limit = UNIFORM_LIMIT[name]
    assert np.max(np.abs(W)) <= limit
    assert np.max(np.abs(W)) > 0.999 * limit


def test_parametrised_initializers(key):
    np.testing.assert_array_equal(fi.constant(0.5)(key, (2, 3), jnp.float64), np.full((2, 3), 0.5))
    np.testing.assert_allclose(np.var(fi.normal(3.0)(key, (500, 500), jnp.float64)), 9.0, rtol=0.02)
    np.testing.assert_allclose(np.var(fi.uniform(3.0)(key, (500, 500), jnp.float64)), 3.0, rtol=0.02)


@pytest.mark.parametrize("shape", [(7, 7), (9, 4), (4, 9)])
def test_orthogonal_has_orthonormal_columns_or_rows(shape, key):
    W = np.asarray(fi.orthogonal(key, shape, jnp.float64))
    small = min(shape)
    gram = W.T @ W if shape[0] >= shape[1] else W @ W.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)
    with pytest.raises(ValueError, match=r"initializers.orthogonal: expected a 2-D shape \(n_in, n_out\), got \(3, 3, 2\)"):
        fi.orthogonal(key, (3, 3, 2))


def test_aliases_are_the_same_functions():
    assert fi.get("xavier_normal") is fi.glorot_normal
    assert fi.get("kaiming_uniform") is fi.he_uniform


def test_fans_of_dense_conv_and_vector_shapes():
    assert fi.fans((3, 5)) == (3, 5)
    assert fi.fans((3, 3, 16, 32)) == (144, 288)
    assert fi.fans((7,)) == (7, 7)


def test_bad_input():
    with pytest.raises(ValueError, match=r"initializers.get: unknown initializer 'glorot'"):
        fi.get("glorot")
    with pytest.raises(ValueError, match=r"initializers.normal: expected stddev in \(0, inf\], got -1"):
        fi.normal(-1)
    with pytest.raises(ValueError, match=r"initializers.fans: expected a shape with at least 1 dim"):
        fi.fans(())
