"""The simple-RNN character language model: fnn's fused epoch against a hand-written JAX
``lax.scan`` epoch of the same network and Adam, and hand-derived BPTT against autodiff.

    python scripts/bench_rnn.py                   # 128 hidden units, 96 characters, windows of 64, batch 64
    python scripts/bench_rnn.py --steps-per-epoch 4 --repeats 3

The network is ``fnn.models.recurrent.language_model(96, cell="rnn", hidden=(128,))``:
embedding 32 - simple RNN 128 (s_t = tanh(x_t U + s_{t-1} W + b), one ``lax.scan``) - dense
96 at every step, trained on the mean cross-entropy of the next character. The peer writes
it in plain JAX as one would by hand: an embedding lookup, a ``lax.scan`` over time,
``jax.grad`` of the cross-entropy, ``optax.adam``, a permutation and ``lax.scan`` over
minibatches. Candidates alternate and the median of the repeats is reported
(``fnn.bench.timing.interleaved``).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import optax

from fnn import optim, tasks, train
from fnn.bench import timing
from fnn.cli import script
from fnn.models import recurrent
from fnn.objective import Objective
from reference.backprop import value_and_grad as hand_derived

VOCABULARY, WINDOW = 96, 64


@dataclasses.dataclass(frozen=True)
class Config:
    batch_size: int = 64
    hidden: int = 128
    steps_per_epoch: int = 16
    step_calls: int = 20
    epoch_calls: int = 5
    repeats: int = 7
    seed: int = 0


def model(config: Config):
    return recurrent.language_model(VOCABULARY, cell="rnn", hidden=(config.hidden,))


def hand_written_loss(params, X, y):
    """The peer's network and mean cross-entropy over every step; ``params`` = (E, U, W, b, V, c)."""
    E, U, W, b, V, c = params
    inputs = jnp.swapaxes(E[X.astype(jnp.int32)], 0, 1)  # (T, N, D)

    def step(s, x):
        s = jnp.tanh(x @ U + s @ W + b)
        return s, s

    _, S = jax.lax.scan(step, jnp.zeros((X.shape[0], W.shape[0]), E.dtype), inputs)
    logits = S @ V + c  # (T, N, K)
    log_p = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(log_p, jnp.swapaxes(y, 0, 1)[..., None], axis=-1))


def plain(params):
    """fnn's parameters as the peer's tuple."""
    embedding, cell, head = params
    return embedding.E, cell.U, cell.W, cell.b, head.W, head.b


def main(config: Config) -> dict:
    key = jax.random.key(config.seed)
    net = model(config)
    objective, optimizer = Objective(net, tasks.PerStep()), optim.adam(1e-3)
    n = config.steps_per_epoch * config.batch_size
    X = jax.random.randint(key, (n, WINDOW), 0, VOCABULARY).astype(jnp.float32)
    y = jax.random.randint(jax.random.fold_in(key, 1), (n, WINDOW), 0, VOCABULARY)
    params = net.init(key, (WINDOW,), dtype=jnp.float32)[1]
    peer_optimizer = optax.adam(1e-3)
    peer = timing.scan_epoch(hand_written_loss, peer_optimizer, config.batch_size)
    return timing.against_peer(
        objective, optimizer, params, (X, y), key, batch_size=config.batch_size,
        gradients={"autodiff": train.autodiff, "hand-derived": hand_derived},
        peer=(peer, (plain(params), peer_optimizer.init(plain(params)), X, y, key)), step_calls=config.step_calls,
        epoch_calls=config.epoch_calls, repeats=config.repeats,
        title=f"simple-RNN LM, {config.hidden} units, windows of {WINDOW}, batch {config.batch_size}, "
              f"{config.steps_per_epoch} steps per epoch")


def parse(argv=None) -> tuple[Config, str | None]:
    return script.parse_config(Config, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    script.run_script(main, parse)
