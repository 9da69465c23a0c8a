r"""He et al. 2015: a 30-layer ReLU network, Xavier-style vs He initialisation, variance by depth and training.

Math (Z_k = A_{k-1} W_k + b_k, A_k = relu(Z_k), b = 0, W_k of n_{k-1} rows drawn with variance v):
    Var Z_k = n_{k-1} v E[A_{k-1}^2] = n_{k-1} v Var Z_{k-1} / 2   (relu keeps half of a symmetric Z)
    Xavier-style v = 1 / n_{k-1} (lecun_normal):  Var Z_k = Var Z_{k-1} / 2, log2 Var Z_k falls by 1 per layer
    He           v = 2 / n_{k-1} (he_normal):     Var Z_k = Var Z_{k-1}, constant over depth
The backward pass has the same factor (n_k v / 2 with fan-out), so with the Xavier-style rule
the gradients reaching the first layers, and the output signal, shrink by 2^-30 ~ 1e-9.
Measured: Var Z_k over a batch of standardised digits, averaged over ``repeats`` draws of the
weights (in log2), its slope in k fitted by least squares; then the same networks trained on
digits with SGD with momentum (as the paper) and with Adam.
Reference: He, Zhang, Ren and Sun, "Delving deep into rectifiers", ICCV 2015 (section 2.2, Figure 3).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from fnn import optim
from fnn.experiments import common
from fnn.models import mlp
from fnn.util import validate

INITIALIZERS = {"xavier": "lecun_normal", "he": "he_normal"}
OPTIMIZERS = ("momentum", "adam")
"""SGD with momentum (as the paper) and Adam."""


@dataclasses.dataclass(frozen=True)
class Config:
    depth: int = 30
    width: int = 128
    batch: int = 500
    repeats: int = 10
    epochs: int = 60
    momentum_learning_rate: float = 3e-3
    adam_learning_rate: float = 1e-3
    optimizers: tuple = OPTIMIZERS
    batch_size: int = 64
    seed: int = 0


SIZES = {"small": Config(width=64, batch=100, repeats=3, epochs=1, optimizers=("momentum",)), "full": Config()}


def model_for(config: Config, name: str):
    return mlp.mlp((config.width,) * config.depth, 10, activation="relu", initializer=INITIALIZERS[name])


def log2_variances(config: Config, name: str, X) -> np.ndarray:
    """mean over ``repeats`` weight draws of log2 Var Z_k, k = 1..depth (variance over the batch and units)."""
    model = model_for(config, name)
    keys = jax.random.split(jax.random.key(config.seed), config.repeats)
    draws = [model.init(key, X.shape[1:], dtype=common.DTYPE)[1] for key in keys]
    forward = jax.jit(jax.vmap(lambda params: jnp.stack(
        [jnp.log2(jnp.var(z)) for z in common.hidden_signals(model, params, X)[1]])))
    return np.asarray(jnp.mean(forward(jax.tree.map(lambda *leaves: jnp.stack(leaves), *draws)), axis=0))


def slope(values) -> float:
    """Least-squares slope of ``values`` against the layer index."""
    return float(np.polyfit(np.arange(1, len(values) + 1), values, 1)[0])


def train(config: Config, name: str, optimizer: str, data) -> dict:
    """Train from the initialisation ``name`` with ``optimizer`` (from ``OPTIMIZERS``); return the
    validation accuracy and training loss per epoch and the test accuracy."""
    validate.choice("he.train", "optimizer", optimizer, OPTIMIZERS)
    chosen = (optim.momentum(config.momentum_learning_rate) if optimizer == "momentum"
              else optim.adam(config.adam_learning_rate))
    objective, result = common.fit_classifier(model_for(config, name), data, chosen, epochs=config.epochs,
                                              batch_size=config.batch_size, key=jax.random.key(config.seed))
    return {"val_accuracy": [r["val_accuracy"] for r in result.history],
            "train_loss": [r["train_loss"] for r in result.history],
            "test_accuracy": common.scores(objective, result, data.test)["accuracy"]}


def run(config: Config, out, *, progress: bool = False) -> dict:
    """The variance by depth of both rules, and each trained with both optimizers on digits."""
    data = common.digits(config.seed)
    X = data.train[0][:config.batch]
    variance = {name: log2_variances(config, name, X) for name in INITIALIZERS}
    jobs = [(name, optimizer) for optimizer in config.optimizers for name in INITIALIZERS]
    runs = {f"{name}, {optimizer}": train(config, name, optimizer, data)
            for name, optimizer in tqdm(jobs, desc="he", disable=not progress)}
    summary = {f"{name} log2 Var Z slope per layer": slope(v) for name, v in variance.items()}
    summary |= {f"{name} Var Z_{config.depth} / Var Z_1": float(2.0 ** (v[-1] - v[0])) for name, v in variance.items()}
    summary |= {f"{label} test accuracy": r["test_accuracy"] for label, r in runs.items()}
    numbers = {"summary": summary, "log2_variance_by_layer": {k: v.tolist() for k, v in variance.items()}, "runs": runs}
    return common.finish(out, config, numbers, {"he": figure(variance, runs, config)})


def figure(variance: dict, runs: dict, config: Config):
    """log2 Var Z_k by depth for both rules, and validation accuracy per epoch of every run."""
    fig, axes = common.subplots(1, 2, panel=(6.0, 4.2))
    left, right = axes[0]
    layers = np.arange(1, config.depth + 1)
    for name, v in variance.items():
        left.plot(layers, v, "o-", ms=3, label=f"{name} ({INITIALIZERS[name]}): slope {slope(v):.3f}")
    left.set(xlabel="layer k", ylabel="log2 Var Z_k (pre-activations)",
             title=f"ReLU, {config.depth} layers of {config.width}, mean of {config.repeats} draws")
    for label, r in runs.items():
        right.plot(range(1, len(r["val_accuracy"]) + 1), r["val_accuracy"],
                   label=f"{label} (test acc {r['test_accuracy']:.3f})")
    right.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1),
              title=f"digits: momentum SGD {config.momentum_learning_rate:g}, Adam {config.adam_learning_rate:g}")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("He et al. 2015: Xavier-style (var 1/n) vs He (var 2/n) initialisation")
    fig.tight_layout()
    return fig
