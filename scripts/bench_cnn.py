"""The digits CNN: fnn's fused epoch against a hand-written JAX ``lax.scan`` epoch and PyTorch eager
on the same network and Adam, and the hand-derived convolution step against autodiff.

    python scripts/bench_cnn.py                   # the network of fnn train --model cnn, batch 64
    python scripts/bench_cnn.py --steps-per-epoch 5 --repeats 3

The network is ``fnn.models.cnn.cnn((8, 8, 1), 10, **PRESETS["image"], hidden=(128, 128))``:
conv 32 (3x3, same) - relu - max-pool 2 - conv 64 - relu - max-pool 2 - dense 128 - 128 - 10.
The peer writes it in plain JAX as one would by hand: ``lax.conv_general_dilated``,
``lax.reduce_window`` max-pooling, ``jax.grad`` of the cross-entropy, ``optax.adam``, a
permutation and ``lax.scan``. PyTorch eager (``fnn.bench.torch_peers``: ``nn.Conv2d``,
``nn.MaxPool2d``, ``torch.optim.Adam``, a Python loop over minibatches; skipped with a note
without ``pip install .[peers]``) runs on as many threads as XLA:CPU (``--torch-threads``).
Candidates alternate and the median of the repeats is reported (``fnn.bench.timing.interleaved``).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import optax

from fnn import optim, train
from fnn.bench import optional, timing
from fnn.cli import script
from fnn.models import cnn
from fnn.objective import Objective
from reference.backprop import value_and_grad as hand_derived


@dataclasses.dataclass(frozen=True)
class Config:
    batch_size: int = 64
    steps_per_epoch: int = 16
    step_calls: int = 20
    epoch_calls: int = 5
    repeats: int = 7
    torch_threads: int = 0  # 0: as many as XLA:CPU uses
    seed: int = 0
    rounds: int = 1  # every candidate timed again, as compiled the first time
    pause_ms: int = 300  # slept before each sample (fnn.bench.timing.interleaved)


def hand_written_loss(params, X, y):
    """The peer's network and cross-entropy, ``params`` a list of (W, b)."""
    A = X.reshape(X.shape[0], 8, 8, 1)
    for W, b in params[:2]:
        A = jax.nn.relu(jax.lax.conv_general_dilated(A, W, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")) + b)
        A = jax.lax.reduce_window(A, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
    A = A.reshape(A.shape[0], -1)
    for W, b in params[2:-1]:
        A = jax.nn.relu(A @ W + b)
    W, b = params[-1]
    logits = A @ W + b
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))


def hand_written_epoch(batch_size: int):
    """The peer: the same CNN and Adam in plain JAX, ``(params, opt_state, X, y, key)``."""
    optimizer = optax.adam(1e-3)
    return timing.scan_epoch(hand_written_loss, optimizer, batch_size), optimizer


def main(config: Config) -> dict:
    key = jax.random.key(config.seed)
    model = cnn.cnn((8, 8, 1), 10, **cnn.PRESETS["image"], hidden=(128, 128))
    objective, optimizer = Objective(model), optim.adam(1e-3)
    n = config.steps_per_epoch * config.batch_size
    X = jax.random.normal(key, (n, 64), jnp.float32)
    y = jax.random.randint(key, (n,), 0, 10)
    params = model.init(key, (64,), dtype=jnp.float32)[1]
    peer, peer_optimizer = hand_written_epoch(config.batch_size)
    plain = [(layer.W, layer.b) for layer in params if layer != ()]
    others = {"hand-written scan": (peer, (plain, peer_optimizer.init(plain), X, y, key)),
              **optional.torch_epochs(model, params, (X, y), threads=config.torch_threads,
                                       batch_size=config.batch_size, learning_rate=1e-3, seed=config.seed)}
    return timing.against_peers(
        objective, optimizer, params, (X, y), key, batch_size=config.batch_size,
        gradients={"autodiff": train.autodiff, "hand-derived": hand_derived}, peers=others,
        step_calls=config.step_calls,
        epoch_calls=config.epoch_calls, repeats=config.repeats, rounds=config.rounds, pause=config.pause_ms / 1e3,
        title=f"digits CNN, batch {config.batch_size}, {config.steps_per_epoch} steps per epoch")


def parse(argv=None) -> tuple[Config, str | None]:
    return script.parse_config(Config, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    script.run_script(main, parse)
