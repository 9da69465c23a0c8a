"""What ``fit`` adds to training: compilation on a first and a second call, and the cost of
its per-epoch bookkeeping against the same epochs called bare.

    python scripts/bench_fit.py               # digits MLP 64-128-128-10, Adam, batch 64, 100 epochs
    python scripts/bench_fit.py --epochs 20 --repeats 3

A first ``fit`` compiles its epoch; a second one of the same model, optimizer (another
learning rate) and shapes compiles nothing (``fnn.train`` hands back the compiled epoch).
Bookkeeping is the ratio of ``fit``'s time per epoch (one device call that trains and
scores, one transfer back, the record, the controls) to that of the bare fused epoch,
interleaved, medians of the repeats: with the training and validation sets scored, with
the validation set alone (``train_scores=False``), and with nothing scored (the host's share
alone). The scores are model evaluations, not host work: a forward pass over n samples
costs about n / (3 N) of an epoch's training FLOPs on N samples (forward, backward, update),
so scoring the training set costs about a third of an epoch and digits' validation set
(359 samples against 1079) about a ninth.
"""

from __future__ import annotations

import dataclasses
import time

import jax
import jax.numpy as jnp

from fnn import optim, train
from fnn.bench import timing
from fnn.cli import script
from fnn.data.prepare import prepare
from fnn.fit import fit
from fnn.models import mlp
from fnn.objective import Objective


@dataclasses.dataclass(frozen=True)
class Config:
    epochs: int = 100
    batch_size: int = 64
    repeats: int = 5
    seed: int = 0


def _setup(config: Config):
    key = jax.random.key(config.seed)
    data = prepare("digits", key=key)
    objective = Objective(mlp.mlp((128, 128), 10))
    params = objective.model.init(jax.random.fold_in(key, 1), (64,), dtype=jnp.float32)[1]
    return key, data, objective, params


def compile_seconds(config: Config) -> dict:
    """Wall seconds of a first and a second ``fit`` (another learning rate) of the same shapes."""
    key, data, objective, params = _setup(config)
    seconds = {}
    for name, rate in (("first fit", 1e-3), ("second fit", 3e-3)):
        start = time.perf_counter()
        fit(objective, optim.injectable("adam", learning_rate=rate), params, data.train, val=data.val,
            epochs=config.epochs, batch_size=config.batch_size, key=key)
        seconds[name] = time.perf_counter() - start
    return seconds


def bookkeeping(config: Config) -> dict:
    """Seconds per epoch: the bare epoch, and ``fit`` scoring both sets, the validation set, nothing; interleaved."""
    key, data, objective, params = _setup(config)
    optimizer = optim.injectable("adam", learning_rate=1e-3)
    epoch = train.make_train_epoch(objective, optimizer, batch_size=config.batch_size)
    X, y = map(jnp.asarray, data.train)

    def bare():
        state = train.init_state(params, optimizer)
        for k in range(config.epochs):
            state, _ = epoch(state, (X, y), jax.random.fold_in(key, k))
        return state

    def fitted(val, train_scores):
        return lambda: fit(objective, optimizer, params, (X, y), val=val, epochs=config.epochs,
                           batch_size=config.batch_size, key=key, train_scores=train_scores).state

    candidates = {"bare epochs": (bare, ()), "fit, train + val scores": (fitted(data.val, True), ()),
                  "fit, val scores": (fitted(data.val, False), ()), "fit, no scores": (fitted(None, False), ())}
    total = timing.interleaved(candidates, number=1, repeats=config.repeats)
    return {name: seconds / config.epochs for name, seconds in total.items()}


def main(config: Config) -> dict:
    compiled = compile_seconds(config)
    per_epoch = bookkeeping(config)
    bare = per_epoch["bare epochs"]
    results = {"device": str(jax.devices()[0]), "epochs": config.epochs, "fit_seconds": compiled,
               "epoch_seconds": per_epoch,
               "over_bare": {name: seconds / bare for name, seconds in per_epoch.items() if name != "bare epochs"}}
    print(f"device {results['device']}; digits MLP 64-128-128-10, Adam, batch {config.batch_size}, "
          f"{config.epochs} epochs")
    for name, seconds in compiled.items():
        print(f"  {name:<24} {seconds:8.3f} s")
    for name, seconds in per_epoch.items():
        ratio = f"  x{results['over_bare'][name]:.3f} of bare" if name in results["over_bare"] else ""
        print(f"  {name:<24} {1e3 * seconds:8.3f} ms/epoch{ratio}")
    return results


def parse(argv=None) -> tuple[Config, str | None]:
    return script.parse_config(Config, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    script.run_script(main, parse)
