"""Plain JAX, written as one would by hand: the default ``fnn train`` model (MLP 64-128-128-10,
ReLU, He-normal weights, zero biases, softmax cross-entropy, Adam 1e-3, batch 64) on the
scikit-learn digits (359 test and 359 validation rows held out as fnn does, standardised on the
rest), one epoch, then its validation accuracy. The cold-start peer of
``scripts/bench_cold_start.py``, which times it from launch to the line ``epoch 1``; it imports
nothing of fnn."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.datasets import load_digits

SIZES, BATCH, TEST, VAL = (64, 128, 128, 10), 64, 359, 359


def init(key):
    keys = jax.random.split(key, len(SIZES) - 1)
    return [(jax.random.normal(k, (a, b)) * np.sqrt(2 / a), jnp.zeros(b)) for k, a, b in zip(keys, SIZES, SIZES[1:])]


def loss(params, X, y):
    for W, b in params[:-1]:
        X = jax.nn.relu(X @ W + b)
    logits = X @ params[-1][0] + params[-1][1]
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))


optimizer = optax.adam(1e-3)


@jax.jit
def epoch(params, opt_state, X, y, key):
    steps = X.shape[0] // BATCH
    order = jax.random.permutation(key, X.shape[0])[: steps * BATCH].reshape(steps, BATCH)

    def step(carry, idx):
        params, opt_state = carry
        grads = jax.grad(loss)(params, X[idx], y[idx])
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), None

    return jax.lax.scan(step, (params, opt_state), order)[0]


@jax.jit
def accuracy(params, X, y):
    for W, b in params[:-1]:
        X = jax.nn.relu(X @ W + b)
    return jnp.mean(jnp.argmax(X @ params[-1][0] + params[-1][1], axis=1) == y)


X, y = load_digits(return_X_y=True)
order = np.random.default_rng(0).permutation(len(X))
X, y = X[order].astype(np.float32), y[order]
train, val = slice(TEST + VAL, None), slice(TEST, TEST + VAL)
mean, std = X[train].mean(0), X[train].std(0)
X = (X - mean) / np.where(std > 0, std, 1)
params = init(jax.random.key(0))
params, _ = epoch(params, optimizer.init(params), X[train], y[train], jax.random.key(1))
print(f"epoch 1 validation accuracy {float(accuracy(params, X[val], y[val])):.4f}", flush=True)
