r"""Overfitting and early stopping: a large MLP on 100 digits, training vs validation loss, and the stopping point.

Math: the training loss J_train keeps falling towards 0 (a 512-512 network can memorise 100
images); the validation loss J_val, an estimate of the generalisation error, reaches its
minimum and rises as the network fits the training set's accidents. Early stopping
(``fnn.optim.control.EarlyStopping``, the lecture's patience rule: on an improvement below
threshold * best, patience = max(patience, 2 e); stop when e >= patience) ends the run and
restores the parameters of the best validation epoch.
Measured: both losses per epoch of a run without stopping, the epoch where the rule stops the
same run (same key: identical until then) and its best epoch, and the test scores of the
restored parameters against those of the last epoch.
Reference: the lecture's regularisation slides (early stopping); Bengio 2012, "Practical
recommendations for gradient-based training of deep architectures".
"""

from __future__ import annotations

import dataclasses

import jax
from tqdm.auto import tqdm

from fnn import optim
from fnn.experiments import common
from fnn.fit import Controls
from fnn.models import mlp
from fnn.optim import control


@dataclasses.dataclass(frozen=True)
class Config:
    hidden: tuple = (512, 512)
    train_size: int = 100
    epochs: int = 300
    patience: int = 10
    learning_rate: float = 1e-3
    batch_size: int = 32
    seed: int = 0


SIZES = {"small": Config(hidden=(64, 64), train_size=60, epochs=40, patience=5), "full": Config()}


def run(config: Config, out, *, progress: bool = False) -> dict:
    """Train without stopping, then the same run with early stopping; compare their test scores."""
    data = common.digits(config.seed, train_size=config.train_size)
    model = mlp.mlp(config.hidden, 10)
    stopping = Controls(early_stopping=control.EarlyStopping(config.patience))
    results = {}
    for label, controls in tqdm((("whole run", Controls()), ("early stopping", stopping)), desc="overfitting",
                                disable=not progress):
        objective, result = common.fit_classifier(model, data, optim.adam(config.learning_rate), epochs=config.epochs,
                                                  batch_size=config.batch_size, key=jax.random.key(config.seed),
                                                  controls=controls)
        results[label] = (result, common.scores(objective, result, data.test))
    whole, stopped = results["whole run"][0], results["early stopping"][0]
    curves = {name: [r[name] for r in whole.history] for name in ("train_loss", "val_loss", "val_accuracy")}
    summary = {"stopped early": len(stopped.history) < config.epochs, "stop epoch": len(stopped.history),
               "best epoch": stopped.best_epoch,
               "lowest validation loss": curves["val_loss"][stopped.best_epoch - 1],
               "last validation loss": curves["val_loss"][-1], "last training loss": curves["train_loss"][-1]}
    for label, (_, test) in results.items():
        summary |= {f"{label} test accuracy": test["accuracy"], f"{label} test loss": test["loss"]}
    numbers = {"summary": summary, "curves": curves,
               "stopped_run_val_loss": [r["val_loss"] for r in stopped.history]}
    return common.finish(out, config, numbers, {"overfitting": figure(curves, summary, config)})


def figure(curves: dict, summary: dict, config: Config):
    """Training and validation loss per epoch (log scale), the best and the stopping epoch marked."""
    fig, axes = common.subplots(1, 1, panel=(7.5, 4.5))
    ax = axes[0, 0]
    epochs = range(1, len(curves["train_loss"]) + 1)
    ax.plot(epochs, curves["train_loss"], label="training loss")
    ax.plot(epochs, curves["val_loss"], label="validation loss")
    ax.axvline(summary["best epoch"], color="tab:green", ls=":",
               label=f"best validation epoch {summary['best epoch']} (restored)")
    ax.axvline(summary["stop epoch"], color="tab:red", ls="--",
               label=f"early stopping (patience {config.patience}) stops at epoch {summary['stop epoch']}")
    ax.set(xlabel="epoch", ylabel="loss J (cross-entropy)", yscale="log",
           title=f"MLP 64-{'-'.join(map(str, config.hidden))}-10 on {config.train_size} training digits, "
                 f"Adam {config.learning_rate:g}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
