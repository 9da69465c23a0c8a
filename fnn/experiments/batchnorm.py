r"""Batch norm: training curves of a deep MLP with and without it, same optimizer and learning rate.

Math (every hidden layer, ``fnn.layers.batchnorm`` before g, over the minibatch of m rows):
    Z = A W + b;  Zhat = (Z - mu_B) / sqrt(sigma_B^2 + eps);  A' = g(gamma Zhat + beta)
Each unit's input to g has mean beta and standard deviation gamma whatever the layers below
do. A plain deep sigmoid network passes on uncentred outputs (mean about 1/2) and shrinks
the back-propagated gradient at every layer (sigma' <= 1/4); with batch norm the same network
trains at a learning rate that leaves the plain one stuck. tanh (tanh'(0) = 1, centred
outputs) runs beside it: there the plain network trains too, and batch norm changes less.
Measured: training loss J per epoch (the mean over the epoch's minibatches) and validation accuracy.
Reference: Ioffe and Szegedy, "Batch normalization", ICML 2015; the lecture's batch-norm slides.
"""

from __future__ import annotations

import dataclasses

import jax
from tqdm.auto import tqdm

from fnn import optim
from fnn.experiments import common
from fnn.models import mlp


@dataclasses.dataclass(frozen=True)
class Config:
    hidden: tuple = (64,) * 10
    activations: tuple = ("sigmoid", "tanh")
    learning_rate: float = 0.1
    epochs: int = 30
    batch_size: int = 64
    seed: int = 0


SIZES = {"small": Config(hidden=(16,) * 4, activations=("sigmoid",), epochs=3), "full": Config()}


def run(config: Config, out, *, progress: bool = False) -> dict:
    """Train the plain and the batch-norm MLP of each activation with SGD from the same seed."""
    data = common.digits(config.seed)
    jobs = [(g, norm) for g in config.activations for norm in (None, "before")]
    runs = {}
    for g, norm in tqdm(jobs, desc="batchnorm", disable=not progress):
        model = mlp.mlp(config.hidden, 10, activation=g, batchnorm=norm, initializer="glorot_uniform")
        objective, result = common.fit_classifier(model, data, optim.sgd(config.learning_rate), epochs=config.epochs,
                                                  batch_size=config.batch_size, key=jax.random.key(config.seed))
        runs[f"{g}, {'batch norm' if norm else 'plain'}"] = {
            "train_loss": [r["train_loss"] for r in result.history],
            "val_accuracy": [r["val_accuracy"] for r in result.history],
            "test_accuracy": common.scores(objective, result, data.test)["accuracy"]}
    summary = {f"{label} {what}": value for label, r in runs.items()
               for what, value in (("final train loss", r["train_loss"][-1]), ("test accuracy", r["test_accuracy"]))}
    return common.finish(out, config, {"summary": summary, "runs": runs}, {"batchnorm": figure(runs, config)})


def figure(runs: dict, config: Config):
    """Training loss (log scale) and validation accuracy per epoch, one line per network."""
    fig, axes = common.subplots(1, 2, panel=(5.8, 4.2))
    loss, accuracy = axes[0]
    for label, r in runs.items():
        epochs = range(1, len(r["train_loss"]) + 1)
        style = "-" if "batch norm" in label else "--"
        loss.plot(epochs, r["train_loss"], style, label=label)
        accuracy.plot(epochs, r["val_accuracy"], style, label=f"{label} (test acc {r['test_accuracy']:.3f})")
    loss.set(xlabel="epoch", ylabel="training loss J (mean over the epoch)", yscale="log", title="training loss")
    accuracy.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1), title="validation accuracy")
    for ax in (loss, accuracy):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"MLP with {len(config.hidden)} hidden layers of {config.hidden[0]} on digits, "
                 f"SGD {config.learning_rate:g}, batch {config.batch_size}: with and without batch norm")
    fig.tight_layout()
    return fig
