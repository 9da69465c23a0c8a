"""Hand-derived vs autodiff training: time per step and per epoch, their ratio, GFLOP/s;
fnn's fused epoch against a hand-written JAX ``lax.scan`` epoch of the same MLP and Adam;
and the cost of per-layer monitoring (``fit(monitor=True)``) on the autodiff epoch.

    python scripts/bench_train_step.py            # digits MLP (batch 64) and 784-1024-1024-10 (batch 256)
    python scripts/bench_train_step.py --steps-per-epoch 5 --repeats 3

Both gradient routes train the same MLP with the same Adam step (the hand-derived one is
the generic ``reference.backprop``); the peer is plain JAX: a ReLU MLP as a list of (W, b),
``jax.grad`` of its cross-entropy, ``optax.adam``, a permutation and ``lax.scan``. Runs
alternate between them and the median of the repeats is reported. GFLOP/s counts
6 x weights x samples.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import optax

from fnn import optim, train
from fnn.bench import peers, timing
from fnn.cli import script
from fnn.models import mlp
from fnn.objective import Objective
from reference.backprop import value_and_grad as hand_derived

GRADIENTS = {"autodiff": train.autodiff, "hand-derived": hand_derived}


@dataclasses.dataclass(frozen=True)
class Config:
    models: tuple[tuple[tuple[int, ...], int], ...] = (((64, 128, 128, 10), 64), ((784, 1024, 1024, 10), 256))
    steps_per_epoch: int = 20
    step_calls: int = 20
    epoch_calls: int = 5
    repeats: int = 7
    seed: int = 0


def hand_written_epoch(batch_size: int):
    """The peer: a plain-JAX epoch of the MLP with Adam, ``(params, opt_state, X, y, key)``."""
    optimizer = optax.adam(1e-3)
    return timing.scan_epoch(peers.plain_mlp_loss, optimizer, batch_size), optimizer


def bench_model(sizes, batch_size, config: Config) -> dict:
    key = jax.random.key(config.seed)
    objective = Objective(mlp.mlp(sizes[1:-1], sizes[-1]))
    optimizer = optim.adam(1e-3)
    n = config.steps_per_epoch * batch_size
    X = jax.random.normal(key, (n, sizes[0]), jnp.float32)
    y = jax.random.randint(key, (n,), 0, sizes[-1])
    params = objective.model.init(key, (sizes[0],), dtype=jnp.float32)[1]
    state = train.init_state(params, optimizer)
    steps, epochs = {}, {}
    for name, value_and_grad in GRADIENTS.items():
        step = train.make_train_step(objective, optimizer, value_and_grad=value_and_grad)
        epoch = train.make_train_epoch(objective, optimizer, batch_size=batch_size, value_and_grad=value_and_grad)
        steps[name] = (step, (state, (X[:batch_size], y[:batch_size])))
        epochs[name] = (epoch, (state, (X, y), key))
    epochs["autodiff + monitor"] = (
        train.make_train_epoch(objective, optimizer, batch_size=batch_size, monitor=True), (state, (X, y), key))
    epochs["autodiff + grad norm"] = (
        train.make_train_epoch(objective, optimizer, batch_size=batch_size, grad_norm=True), (state, (X, y), key))
    peer, peer_optimizer = hand_written_epoch(batch_size)
    plain = [(layer.W, layer.b) for layer in params if layer != ()]
    epochs["hand-written scan"] = (peer, (plain, peer_optimizer.init(plain), X, y, key))
    step_s = timing.interleaved(steps, number=config.step_calls, repeats=config.repeats)
    epoch_s = timing.interleaved(epochs, number=config.epoch_calls, repeats=config.repeats)
    flops_per_step = timing.training_flops(sizes, batch_size)
    return {
        "model": "-".join(map(str, sizes)),
        "batch_size": batch_size,
        "step_seconds": step_s,
        "epoch_seconds": epoch_s,
        "steps_per_epoch": config.steps_per_epoch,
        "hand_over_auto_step": step_s["hand-derived"] / step_s["autodiff"],
        "hand_over_auto_epoch": epoch_s["hand-derived"] / epoch_s["autodiff"],
        "monitor_overhead_epoch": epoch_s["autodiff + monitor"] / epoch_s["autodiff"],
        "fnn_over_scan_epoch": epoch_s["autodiff"] / epoch_s["hand-written scan"],
        "grad_norm_overhead_epoch": epoch_s["autodiff + grad norm"] / epoch_s["autodiff"],
        "gflops_epoch": {k: flops_per_step * config.steps_per_epoch / v / 1e9 for k, v in epoch_s.items()},
    }


def main(config: Config) -> dict:
    peak = timing.matmul_gflops()
    results = {"device": str(jax.devices()[0]), "matmul_gflops": peak,
               "models": [bench_model(sizes, b, config) for sizes, b in config.models]}
    print(f"device {results['device']}; measured float32 matmul peak {peak:.1f} GFLOP/s")
    print(f"{'model':<18} {'batch':>5} {'gradients':<13} {'ms/step':>9} {'ms/epoch':>9} {'GFLOP/s':>8} {'% peak':>7}")
    for r in results["models"]:
        for name in GRADIENTS:
            g = r["gflops_epoch"][name]
            print(f"{r['model']:<18} {r['batch_size']:>5} {name:<13} {1e3 * r['step_seconds'][name]:>9.3f} "
                  f"{1e3 * r['epoch_seconds'][name]:>9.2f} {g:>8.1f} {100 * g / peak:>6.1f}%")
        print(f"{'':<18} {'':>5} {'hand / auto':<13} {r['hand_over_auto_step']:>9.3f} {r['hand_over_auto_epoch']:>9.3f}")
        print(f"{'':<18} {'':>5} {'monitor/plain':<13} {'':>9} {r['monitor_overhead_epoch']:>9.3f}")
        print(f"{'':<18} {'':>5} {'fnn / scan':<13} {'':>9} {r['fnn_over_scan_epoch']:>9.3f}"
              f"  (hand-written lax.scan epoch {1e3 * r['epoch_seconds']['hand-written scan']:.2f} ms)")
        print(f"{'':<18} {'':>5} {'+grad norm':<13} {'':>9} {r['grad_norm_overhead_epoch']:>9.3f}")
    return results


def parse(argv=None) -> tuple[Config, str | None]:
    return script.parse_config(Config, __doc__.splitlines()[0], argv, fields=("steps_per_epoch", "step_calls", "epoch_calls", "repeats", "seed"))


if __name__ == "__main__":
    script.run_script(main, parse)
