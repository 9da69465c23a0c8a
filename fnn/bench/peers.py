r"""The usual alternatives to fnn as benchmark peers: one ReLU MLP with softmax cross-entropy
and Adam, trained by fnn, by plain JAX (``lax.scan``), by PyTorch eager
(``fnn.bench.torch_peers``) and by scikit-learn's ``MLPClassifier``.

Every builder takes the same starting weights ``[(W, b), ...]`` (W of shape (D_in, D_out),
copied from fnn's parameters by ``dense_weights``) and one epoch of data, and returns a
``Peer``: ``epoch()`` trains one more epoch in place, ``loss(X, y)`` is the mean
cross-entropy of a batch under the current weights, ``weights()`` the current weights as
float32 NumPy arrays.

Conventions, mapped so that all four train the same function the same way:
- Adam with the same learning rate, b1 = 0.9, b2 = 0.999, eps = 1e-8. fnn, optax and
  ``torch.optim.Adam`` run Algorithm 1, theta -= lr mhat / (sqrt(vhat) + eps).
  scikit-learn runs the paper's "efficient" form, theta -= lr sqrt(1 - b2^t) / (1 - b1^t)
  m / (sqrt(v) + eps): Algorithm 1 with eps / sqrt(1 - b2^t) in place of eps (31.6 eps at
  t = 1, tending to eps), a relative change of a step below 1e-6 for gradients above 1e-3.
- No penalty: scikit-learn's ``alpha`` adds alpha / 2 ||W||^2 / B to each minibatch loss
  (squared L2 over the weights, not the biases, divided by the batch size B); alpha = 0.
- Initialisation: scikit-learn draws weights and biases from U(+-sqrt(6 / (fan_in +
  fan_out))) (Glorot), ``torch.nn.Linear`` from U(+-1 / sqrt(fan_in)); both are overwritten
  with fnn's (He normal weights, zero biases).
- Shuffling: fnn and the JAX peer draw a permutation on the device and drop the last
  N mod B samples; PyTorch uses ``torch.randperm``; scikit-learn shuffles the indices each
  epoch (``sklearn.utils.shuffle``) and keeps a last short batch. With N a multiple of B
  every peer takes N / B full steps an epoch.
- Loss: the batch mean of -log softmax(logits)_y; scikit-learn computes softmax
  probabilities and their log loss (clipped at the float epsilon), whose gradient is the
  same p - onehot(y).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from fnn import optim, train
from fnn.bench import timing


class Peer(NamedTuple):
    """A trainer seen from outside: ``epoch()`` trains in place (returns something to wait on),
    ``loss(X, y)`` the mean cross-entropy of a batch, ``weights()`` the current [(W, b), ...]."""

    epoch: Callable[[], Any]
    loss: Callable[[Any, Any], float]
    weights: Callable[[], list]


def dense_weights(params) -> list:
    """fnn MLP parameters as [(W, b), ...] float32 NumPy arrays (the activations' ``()`` dropped)."""
    return [(np.asarray(p.W, np.float32), np.asarray(p.b, np.float32)) for p in params if p != ()]


def plain_mlp_loss(weights, X, y):
    """The peer's ReLU MLP and mean cross-entropy in plain JAX, ``weights`` a list of (W, b)."""
    for W, b in weights[:-1]:
        X = jax.nn.relu(X @ W + b)
    W, b = weights[-1]
    logits = X @ W + b
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))


def _functional_peer(epoch, state, loss, weights, key) -> Peer:
    """A ``Peer`` over a jitted ``epoch(state, key) -> state``; a fresh key each epoch."""
    box = {"state": state, "key": key}

    def run():
        box["key"], epoch_key = jax.random.split(box["key"])
        box["state"] = epoch(box["state"], epoch_key)
        return box["state"]

    return Peer(run, lambda X, y: float(loss(box["state"], X, y)), lambda: weights(box["state"]))


def fnn_peer(objective, params, data, *, batch_size: int, learning_rate: float, key) -> Peer:
    """fnn's fused epoch (``train.make_train_epoch``) with ``fnn.optim.adam``."""
    optimizer = optim.adam(learning_rate)
    epoch = train.make_train_epoch(objective, optimizer, batch_size=batch_size)
    data = tuple(map(jnp.asarray, data))
    return _functional_peer(lambda state, k: epoch(state, data, k)[0], train.init_state(params, optimizer),
                            lambda state, X, y: objective(state.params, (X, y)),
                            lambda state: dense_weights(state.params), key)


def jax_peer(weights, data, *, batch_size: int, learning_rate: float, key) -> Peer:
    """A hand-written JAX epoch: ``jax.value_and_grad(plain_mlp_loss)``, ``optax.adam``, a
    permutation and ``lax.scan`` (``fnn.bench.timing.scan_epoch``)."""
    optimizer = optax.adam(learning_rate)
    epoch = timing.scan_epoch(plain_mlp_loss, optimizer, batch_size)
    X, y = map(jnp.asarray, data)
    weights = [(jnp.asarray(W), jnp.asarray(b)) for W, b in weights]
    return _functional_peer(lambda state, k: epoch(*state, X, y, k)[:2], (weights, optimizer.init(weights)),
                            lambda state, X, y: plain_mlp_loss(state[0], X, y),
                            lambda state: [(np.asarray(W), np.asarray(b)) for W, b in state[0]], key)


def sklearn_peer(weights, data, *, batch_size: int, learning_rate: float, seed: int) -> Peer:
    """scikit-learn's ``MLPClassifier(solver="adam", alpha=0)``, one ``partial_fit`` (one pass
    over the data in minibatches, shuffled) per epoch, float32 throughout."""
    from sklearn.neural_network import MLPClassifier

    X, y = np.asarray(data[0], np.float32), np.asarray(data[1])
    classes = np.arange(weights[-1][0].shape[1])
    model = MLPClassifier(tuple(W.shape[1] for W, _ in weights[:-1]), activation="relu", solver="adam",
                          alpha=0.0, batch_size=batch_size, learning_rate_init=learning_rate, beta_1=0.9,
                          beta_2=0.999, epsilon=1e-8, shuffle=True, random_state=np.random.RandomState(seed))
    model.partial_fit(X[:batch_size], y[:batch_size], classes=classes)  # builds the network (and takes a step)
    model.coefs_ = [W.copy() for W, _ in weights]
    model.intercepts_ = [b.copy() for _, b in weights]
    del model._optimizer  # the next partial_fit starts a fresh Adam (t = 0) over the copied weights

    def batch_loss(X, y):
        probabilities = model.predict_proba(np.asarray(X, np.float32))
        return float(-np.mean(np.log(probabilities[np.arange(len(y)), np.asarray(y)])))

    return Peer(lambda: model.partial_fit(X, y), batch_loss,
                lambda: [(W.copy(), b.copy()) for W, b in zip(model.coefs_, model.intercepts_)])
