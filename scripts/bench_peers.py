"""fnn's fused epoch against the usual alternatives, in one interleaved run on the same MLPs and Adam:
a hand-written JAX ``lax.scan`` epoch, PyTorch eager and scikit-learn's ``MLPClassifier``.

    python scripts/bench_peers.py          # digits MLP 64-128-128-10 (batch 64), 784-1024-1024-10 (batch 256)
    python scripts/bench_peers.py --steps-per-epoch 5 --repeats 3
    python scripts/bench_peers.py --wide 0 --rounds 5 --epoch-calls 20 --pause-ms 0   # the digits MLP alone

Every peer starts from fnn's initial weights and trains the same epoch: N = steps x B
samples (the first N standardised digits; standard normal inputs and uniform random labels
for the wide MLP), N / B Adam steps (learning rate 1e-3, b1 0.9, b2 0.999, eps 1e-8), all in
float32; ``fnn.bench.peers`` maps the libraries' conventions. Runs alternate between the peers
(``epoch_calls`` epochs a sample) and the median of the repeats is reported with the time
over fnn's, GFLOP/s (6 x weights x samples per epoch) and its share of a float32 matmul peak
measured in the same run (a ``peak_size``^3 ``jnp.dot``, 2 n^3 FLOPs). "matmuls alone" is the
epoch's matrix products and nothing else (``fnn.bench.timing.matmuls_epoch``), "Adam updates
alone" its optimizer steps (``fnn.bench.timing.updates_epoch``). PyTorch runs on as many threads
as XLA:CPU (the CPUs this process may use; ``--torch-threads`` to change it), scikit-learn on
NumPy's BLAS threads. The hand-written JAX epoch runs twice, as two separately compiled
copies: they differ only by the machine's noise. Each sample starts after a pause of
``pause_ms`` (``fnn.bench.timing.interleaved``): OpenBLAS's threads keep spinning for a while
after scikit-learn's calls, and took the cores from the trainers timed after it. A peer whose
package is missing (``pip install .[peers]``) is skipped with a note. The load average before
and after is printed: on a shared machine other jobs slow the peers unequally (PyTorch's
OpenMP threads most, when a core is taken).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os

import jax
import jax.numpy as jnp
import numpy as np

from fnn import optim
from fnn.bench import optional, page, peers, timing
from fnn.cli import script
from fnn.data import datasets, preprocessing
from fnn.models import mlp
from fnn.objective import Objective

PACKAGES = {"PyTorch eager": "torch", "scikit-learn": "sklearn"}
"""Peer name -> the package it needs."""


@dataclasses.dataclass(frozen=True)
class Config:
    models: tuple[tuple[str, tuple[int, ...], int], ...] = (
        ("digits", (64, 128, 128, 10), 64), ("synthetic", (784, 1024, 1024, 10), 256))
    steps_per_epoch: int = 20
    epoch_calls: int = 5
    repeats: int = 7
    peak_size: int = 2048
    torch_threads: int = 0  # 0: as many as XLA:CPU uses
    learning_rate: float = 1e-3
    seed: int = 0
    rounds: int = 1  # each model's candidates timed again, as compiled the first time
    pause_ms: int = 300  # slept before each sample (fnn.bench.timing.interleaved)
    wide: int = 1  # 0: the first model (the digits MLP) alone


def epoch_data(dataset: str, sizes, n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One epoch of ``n`` samples: the first ``n`` standardised digits, or synthetic data."""
    if dataset == "digits":
        digits = datasets.digits()
        if n > digits.X.shape[0] or sizes[0] != digits.X.shape[1]:
            raise ValueError(f"bench_peers: digits has {digits.X.shape[0]} samples of {digits.X.shape[1]} "
                             f"pixels, got {n} samples for inputs of {sizes[0]}; take fewer steps per epoch")
        X = preprocessing.transform(preprocessing.fit_standardize(digits.X), digits.X)
        return np.asarray(X[:n], np.float32), np.asarray(digits.y[:n], np.int32)
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, sizes[0]), np.float32), rng.integers(0, sizes[-1], n, np.int32)


def make_peers(objective, params, data, *, batch_size: int, learning_rate: float, seed: int) -> dict:
    """name -> ``fnn.bench.peers.Peer``, every one from ``params``; a peer without its package is left out."""
    weights = peers.dense_weights(params)
    key = jax.random.key(seed)
    options = dict(batch_size=batch_size, learning_rate=learning_rate)
    builders = {
        "fnn": lambda: peers.fnn_peer(objective, params, data, key=key, **options),
        "hand-written JAX scan": lambda: peers.jax_peer(weights, data, key=key, **options),
        "hand-written JAX scan" + page.CONTROL: lambda: peers.jax_peer(weights, data, key=key, **options),
        "PyTorch eager": lambda: _torch_peer(objective.model, params, data, seed=seed, **options),
        "scikit-learn": lambda: peers.sklearn_peer(weights, data, seed=seed, **options),
    }
    missing = [name for name, package in PACKAGES.items() if importlib.util.find_spec(package) is None]
    for name in missing:
        print(f"note: {name} skipped, {PACKAGES[name]} is not installed (pip install .[peers])")
    return {name: build() for name, build in builders.items() if name not in missing}


def _torch_peer(model, params, data, **options) -> peers.Peer:
    """``fnn.bench.torch_peers.peer``, its weights as [(W, b), ...] like the other peers'."""
    from fnn.bench import torch_peers

    trainer = torch_peers.peer(model, params, data, **options)
    return trainer._replace(weights=lambda: peers.dense_weights(trainer.weights()))


def bench_model(dataset: str, sizes, batch_size: int, config: Config, peak: float) -> dict:
    key = jax.random.key(config.seed)
    samples = config.steps_per_epoch * batch_size
    data = epoch_data(dataset, sizes, samples, seed=config.seed)
    objective = Objective(mlp.mlp(sizes[1:-1], sizes[-1]))
    params = objective.model.init(jax.random.fold_in(key, 2), (sizes[0],), dtype=jnp.float32)[1]
    trainers = make_peers(objective, params, data, batch_size=batch_size, learning_rate=config.learning_rate,
                          seed=config.seed)
    candidates = {name: (peer.epoch, ()) for name, peer in trainers.items()}
    candidates["matmuls alone"] = timing.matmuls_epoch(sizes, batch_size, config.steps_per_epoch)
    candidates["Adam updates alone"] = timing.updates_epoch(optim.adam(config.learning_rate), params,
                                                               config.steps_per_epoch)
    model = "-".join(map(str, sizes))
    print(f"{model} on {dataset} data, batch {batch_size}, {config.steps_per_epoch} Adam steps per epoch")
    rounds, tables = [], []
    measure = lambda: timing.interleaved(candidates, number=config.epoch_calls, repeats=config.repeats,  # noqa: E731
                                         pause=config.pause_ms / 1e3)
    for number, round_ in enumerate(timing.in_rounds(config.rounds, measure), 1):
        rounds.append(round_)
        if config.rounds > 1:
            print(f"  round {number} of {config.rounds}, load {round_['load']:.2f}")
        tables.append(timing.print_epochs({name: value for name, value in round_.items() if name != "load"},
                                          baseline="fnn", flops=timing.training_flops(sizes, samples), peak=peak,
                                          no_flops=("Adam updates alone",)))
    seconds = rounds[0]
    parts = seconds["matmuls alone"] + seconds["Adam updates alone"]
    print(f"  fnn / matmuls alone {seconds['fnn'] / seconds['matmuls alone']:.3f}; "
          f"fnn / (matmuls alone + Adam updates alone) {seconds['fnn'] / parts:.3f} (round 1)")
    return {"model": model, "data": dataset, "batch_size": batch_size, "steps_per_epoch": config.steps_per_epoch,
            "epochs": tables[0], "rounds": rounds, "fnn_over_matmuls": seconds["fnn"] / seconds["matmuls alone"],
            "fnn_over_matmuls_and_updates": seconds["fnn"] / parts}


def main(config: Config) -> dict:
    threads = config.torch_threads or len(os.sched_getaffinity(0))
    optional.torch_available(threads, note=False)  # make_peers notes a missing peer
    peak = timing.matmul_gflops(config.peak_size)
    results = {"device": str(jax.devices()[0]), "matmul_gflops": peak, "peak_size": config.peak_size,
               "torch_threads": threads, "load_average_before": os.getloadavg()[0]}
    print(f"device {results['device']}; float32 matmul peak ({config.peak_size}^3) {peak:.1f} GFLOP/s; "
          f"PyTorch on {threads} threads (XLA:CPU uses {len(os.sched_getaffinity(0))}); "
          f"load average {results['load_average_before']:.2f}")
    models = config.models if config.wide else config.models[:1]
    results["models"] = [bench_model(*model, config, peak) for model in models]
    results["load_average_after"] = os.getloadavg()[0]
    print(f"load average after {results['load_average_after']:.2f} (other jobs slow the peers unequally)")
    return results


def parse(argv=None) -> tuple[Config, str | None]:
    fields = ("steps_per_epoch", "epoch_calls", "repeats", "peak_size", "torch_threads", "seed", "rounds", "pause_ms",
              "wide")
    return script.parse_config(Config, __doc__.splitlines()[0], argv, fields=fields)


if __name__ == "__main__":
    script.run_script(main, parse)
