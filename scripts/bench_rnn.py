"""The character language models (simple RNN and GRU): fnn's fused epoch against a hand-written
JAX ``lax.scan`` epoch and PyTorch eager on the same network and Adam, and hand-derived BPTT
against autodiff.

    python scripts/bench_rnn.py                   # 128 hidden units, 96 characters, windows of 64, batch 64
    python scripts/bench_rnn.py --steps-per-epoch 4 --repeats 3

The networks are ``fnn.models.recurrent.language_model(96, cell=cell, hidden=(128,))``:
embedding 32 - cell 128 (simple RNN: s_t = tanh(x_t U + s_{t-1} W + b); GRU: the gates of
``fnn.layers.gated``; one ``lax.scan``) - dense 96 at every step, trained on the mean
cross-entropy of the next character. The JAX peer writes it as one would by hand: an
embedding lookup, a ``lax.scan`` over time, ``jax.grad`` of the cross-entropy,
``optax.adam``, a permutation and ``lax.scan`` over minibatches. PyTorch eager
(``fnn.bench.torch_peers``: ``nn.RNN`` / ``nn.GRU``, whose CPU kernels run the whole sequence
in one call; skipped with a note without ``pip install .[peers]``) runs on as many threads
as XLA:CPU (``--torch-threads``). Candidates alternate and the median of the repeats is
reported (``fnn.bench.timing.interleaved``). The hand-written epoch runs twice, as two separately
compiled copies: they differ only by the machine's noise.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import optax

from fnn import optim, tasks, train
from fnn.bench import optional, page, timing
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
    cells: tuple[str, ...] = ("rnn", "gru")
    torch_threads: int = 0  # 0: as many as XLA:CPU uses
    seed: int = 0
    rounds: int = 1  # every candidate timed again, as compiled the first time
    pause_ms: int = 300  # slept before each sample (fnn.bench.timing.interleaved)


def model(config: Config, cell: str):
    return recurrent.language_model(VOCABULARY, cell=cell, hidden=(config.hidden,))


def rnn_step(s, x, U, W, b):
    """s_t = tanh(x_t U + s_{t-1} W + b)."""
    return jnp.tanh(x @ U + s @ W + b)


def gru_step(h, x, U, W, b, c):
    """r, z = sigma(x U_rz + h W_rz + b_rz); n = tanh(x U_n + b_n + r * (h W_n + c)); h = (1 - z) n + z h."""
    H = W.shape[0]
    a, recurrent_part = x @ U + b, h @ W
    r = jax.nn.sigmoid(a[:, :H] + recurrent_part[:, :H])
    z = jax.nn.sigmoid(a[:, H:2 * H] + recurrent_part[:, H:2 * H])
    n = jnp.tanh(a[:, 2 * H:] + r * (recurrent_part[:, 2 * H:] + c))
    return (1 - z) * n + z * h


def hand_written_loss(params, X, y):
    """The peer's network and mean cross-entropy over every step; ``params`` = (E, cell, V, d) with
    cell = (U, W, b) of a simple RNN or (U, W, b, c) of a GRU, and V, d the output layer's."""
    E, cell, V, d = params
    step = rnn_step if len(cell) == 3 else gru_step
    inputs = jnp.swapaxes(E[X.astype(jnp.int32)], 0, 1)  # (T, N, D)

    def scan_step(s, x):
        s = step(s, x, *cell)
        return s, s

    _, S = jax.lax.scan(scan_step, jnp.zeros((X.shape[0], cell[1].shape[0]), E.dtype), inputs)
    logits = S @ V + d  # (T, N, K)
    log_p = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(log_p, jnp.swapaxes(y, 0, 1)[..., None], axis=-1))


def plain(params):
    """fnn's parameters as the peer's tuple."""
    embedding, cell, head = params
    return embedding.E, tuple(cell), head.W, head.b


def main(config: Config) -> dict:
    """Each cell's results, ``{"rnn": ..., "gru": ...}``."""
    return {cell: bench_cell(config, cell) for cell in config.cells}


def bench_cell(config: Config, cell: str) -> dict:
    key = jax.random.key(config.seed)
    net = model(config, cell)
    objective, optimizer = Objective(net, tasks.PerStep()), optim.adam(1e-3)
    n = config.steps_per_epoch * config.batch_size
    X = jax.random.randint(key, (n, WINDOW), 0, VOCABULARY).astype(jnp.float32)
    y = jax.random.randint(jax.random.fold_in(key, 1), (n, WINDOW), 0, VOCABULARY)
    params = net.init(key, (WINDOW,), dtype=jnp.float32)[1]
    peer_optimizer = optax.adam(1e-3)
    peer = timing.scan_epoch(hand_written_loss, peer_optimizer, config.batch_size)
    peer_args = (plain(params), peer_optimizer.init(plain(params)), X, y, key)
    second_copy = timing.scan_epoch(hand_written_loss, peer_optimizer, config.batch_size)
    others = {"hand-written scan": (peer, peer_args), "hand-written scan" + page.CONTROL: (second_copy, peer_args),
              **optional.torch_epochs(net, params, (X, y), threads=config.torch_threads,
                                       batch_size=config.batch_size, learning_rate=1e-3, seed=config.seed)}
    return timing.against_peers(
        objective, optimizer, params, (X, y), key, batch_size=config.batch_size,
        gradients={"autodiff": train.autodiff, "hand-derived": hand_derived}, peers=others,
        step_calls=config.step_calls, epoch_calls=config.epoch_calls, repeats=config.repeats, rounds=config.rounds,
        pause=config.pause_ms / 1e3,
        title=f"{'simple-RNN' if cell == 'rnn' else cell.upper()} LM, {config.hidden} units, windows of {WINDOW}, "
              f"batch {config.batch_size}, {config.steps_per_epoch} steps per epoch")


def parse(argv=None) -> tuple[Config, str | None]:
    return script.parse_config(Config, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    script.run_script(main, parse)
