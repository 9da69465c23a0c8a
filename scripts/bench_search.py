"""Many search trials at once: one vmapped epoch of T trials against the epoch of one trial.

    python scripts/bench_search.py                 # digits MLP 64-128-128-10, Adam, batch 64, 64 trials
    python scripts/bench_search.py --trials 16 --repeats 3

``fnn search`` trains the trials that differ only in traced numbers (here T learning rates
and initialisations) in one jitted call per epoch, ``jax.vmap`` of ``fit``'s scored epoch
over the trial axis (``fnn.search.trials.make_trials_epoch``); one trial alone runs ``fit``'s
scored epoch itself. Both train one epoch and score the validation set, interleaved, medians
of the repeats. The issue's goal is T = 64 trials in at most 8 times one trial's time; the
work itself is T times larger, so on a CPU whose one trial does not leave the cores idle the
ratio cannot fall far below T (the speed-up over T trials one after the other is
T x one / all). The floor printed last is that bound measured: T times one trial's FLOPs at
the matmul peak, over one trial's time. When JAX sees several devices the vmapped trials are
also timed split over all of them (``fnn search --trial-devices N``); on a CPU, give it one
host device per core:

    XLA_FLAGS=--xla_force_host_platform_device_count=2 python scripts/bench_search.py
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from fnn import optim, train
from fnn.bench import timing
from fnn.cli import script
from fnn.data.prepare import prepare
from fnn.models import mlp
from fnn.objective import Objective
from fnn.search import trials as search_trials


@dataclasses.dataclass(frozen=True)
class Config:
    trials: int = 64
    batch_size: int = 64
    width: int = 128
    epochs: int = 3
    repeats: int = 5
    seed: int = 0


def _states(config: Config, objective, in_dim: int):
    """One TrainState per trial: its own initialisation and Adam learning rate (log-spaced 1e-4..1e-2)."""
    rates = np.geomspace(1e-4, 1e-2, config.trials)
    states = []
    for k, rate in enumerate(rates):
        key = jax.random.fold_in(jax.random.key(config.seed), k)
        params = objective.model.init(key, (in_dim,), dtype=jnp.float32)[1]
        optimizer = optim.injectable("adam", learning_rate=float(rate))
        states.append(train.init_state(params, optimizer, key=key))
    return states, optimizer


def _flops(config: Config, n_train: int, n_val: int) -> int:
    """One trial's epoch: forward and backward over the trained minibatches, forward over the validation set."""
    sizes = (64, config.width, config.width, 10)
    trained = n_train // config.batch_size * config.batch_size
    return timing.training_flops(sizes, trained) + timing.training_flops(sizes, n_val) // 3


def _candidates(config: Config, objective, states, optimizer, data) -> dict:
    """One trial's scored epoch, the vmapped trials on one device, and on all devices when there are several."""
    epoch = train.make_train_epoch(objective, optimizer, batch_size=config.batch_size)
    evaluate = train.make_eval_step(objective)
    train_set, scored = tuple(map(jnp.asarray, data.train)), {"val": tuple(map(jnp.asarray, data.val))}
    keys = jax.random.split(jax.random.key(config.seed), config.trials)
    trials_epoch = search_trials.make_trials_epoch(objective, optimizer, batch_size=config.batch_size)
    stacked = search_trials.stack(states)
    candidates = {
        "one trial": (train.make_scored_epoch(epoch, evaluate), (states[0], keys[0], train_set, scored)),
        f"{config.trials} trials, vmapped": (trials_epoch, ({}, stacked, keys, train_set, scored)),
    }
    devices = jax.device_count()
    if devices > 1:
        (split, split_keys), *shared = search_trials.on_devices(devices, config.trials, (stacked, keys), train_set,
                                                                scored)
        candidates[f"... over {devices} devices"] = (trials_epoch, ({}, split, split_keys, *shared))
    return candidates


def main(config: Config) -> dict:
    data = prepare("digits", key=jax.random.key(config.seed))
    objective = Objective(mlp.mlp((config.width, config.width), 10))
    states, optimizer = _states(config, objective, data.train[0].shape[1])
    seconds = timing.interleaved(_candidates(config, objective, states, optimizer, data), number=config.epochs,
                                    repeats=config.repeats)
    peak = timing.matmul_gflops(1024)
    one = seconds.pop("one trial")
    flops = _flops(config, len(data.train[1]), len(data.val[1]))
    gflops = {"one trial": flops / one / 1e9} | {name: flops * config.trials / value / 1e9
                                                  for name, value in seconds.items()}
    results = {"device": str(jax.devices()[0]), "devices": jax.device_count(), "trials": config.trials,
               "epoch_seconds": {"one trial": one} | seconds, "gflops": gflops, "peak_gflops": peak,
               "all_over_one": {name: value / one for name, value in seconds.items()},
               "floor_at_peak": config.trials * gflops["one trial"] / peak}
    print(f"device {results['device']} ({results['devices']} devices); digits MLP 64-{config.width}-{config.width}-10, "
          f"Adam, batch {config.batch_size}, one epoch + validation scores per call; matmul peak {peak:.1f} GFLOP/s")
    for name, value in results["epoch_seconds"].items():
        ratio = f"  {value / one:6.2f}x one trial (goal: at most 8x)" if name != "one trial" else ""
        print(f"  {name:<22} {1e3 * value:9.2f} ms/epoch {gflops[name]:7.1f} GFLOP/s "
              f"({100 * gflops[name] / peak:.0f}% peak){ratio}")
    print(f"  floor: {config.trials} times one trial's FLOPs at the matmul peak take {results['floor_at_peak']:.1f}x "
          "one trial's time")
    return results


def parse(argv=None) -> tuple[Config, str | None]:
    return script.parse_config(Config, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    script.run_script(main, parse)
