r"""Transfer learning: pretrain on digits 0-4, then learn 5-9 from few labels: scratch vs frozen body vs fine-tuning.

Math (``fnn.transfer``; theta = (theta_body, theta_head), u = Adam's update):
    scratch      theta from a fresh initialisation, every layer trained
    frozen body  theta_body from the pretrained network (fixed), only a fresh head trained
    fine-tune    theta_body pretrained and trained with s times the learning rate, a fresh head
The pretrained body maps an image to features learnt on other digits; with K labels per class
the frozen body fits a linear softmax on those features (few parameters, little variance),
scratch fits the whole network to K K-sample classes, fine-tuning sits in between.
Measured: test accuracy on the 5-9 test split for K labelled training samples per class (the
first K of a random order, nested: the K = 5 set holds the K = 2 one), mean and standard
deviation over ``seeds`` draws of the K samples and of the head's initialisation (the same
head for the three methods); every method trains for the same number of Adam steps.
Reference: Yosinski et al., "How transferable are features in deep neural networks?",
NeurIPS 2014; the lecture's slides on pretraining and fine-tuning.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from fnn import optim, transfer
from fnn.data.prepare import select_classes
from fnn.experiments import common
from fnn.models import mlp

METHODS = ("scratch", "frozen body", "fine-tune")


@dataclasses.dataclass(frozen=True)
class Config:
    """``labels``: labelled training samples per class of the target classes; ``all`` adds every one."""

    hidden: tuple = (128, 128)
    source_classes: tuple = (0, 1, 2, 3, 4)
    target_classes: tuple = (5, 6, 7, 8, 9)
    pretrain_epochs: int = 50
    labels: tuple = (1, 2, 5, 10, 20, 50)
    all: bool = True
    steps: int = 300
    learning_rate: float = 1e-3
    body_lr_scale: float = 0.1
    batch_size: int = 32
    seeds: int = 5
    seed: int = 0


SIZES = {"small": Config(hidden=(16,), pretrain_epochs=2, labels=(2,), all=False, steps=10, seeds=1),
         "full": Config()}


def _pretrain(config: Config, model, data):
    """The network trained on the source classes, and its test accuracy there."""
    source = select_classes(data, config.source_classes)
    adam = optim.injectable("adam", learning_rate=config.learning_rate)
    objective, result = common.fit_classifier(model, source, adam, epochs=config.pretrain_epochs,
                                              batch_size=config.batch_size, key=jax.random.key(config.seed))
    return result.state.params, common.scores(objective, result, source.test)["accuracy"]


def _methods(config: Config, model, pretrained, fresh) -> dict:
    """Method name -> (initial parameters, optimizer)."""
    head = transfer.head_index(fresh)
    adam = optim.injectable("adam", learning_rate=config.learning_rate)
    body = transfer.transfer(model, pretrained, fresh, head=head)
    return {"scratch": (fresh, adam),
            "frozen body": (body, transfer.fine_tuning(adam, head, body_scale=0.0)),
            "fine-tune": (body, transfer.fine_tuning(adam, head, body_scale=config.body_lr_scale))}


def _accuracies(config: Config, model, pretrained, target, seed: int) -> dict:
    """Test accuracy of each method for each number of labels per class, one draw of the samples and the head."""
    order_key, init_key, fit_key = jax.random.split(jax.random.key(seed), 3)
    X, y = target.train
    order = np.asarray(jax.random.permutation(order_key, len(y)))
    shuffled = target._replace(train=(jnp.asarray(np.asarray(X)[order]), jnp.asarray(np.asarray(y)[order])))
    fresh = model.init(init_key, X.shape[1:], dtype=common.DTYPE)[1]
    accuracies = {method: [] for method in METHODS}
    for k in (*config.labels, *([None] if config.all else [])):
        data = shuffled if k is None else select_classes(shuffled, labels_per_class=k)
        n = len(data.train[1])
        for method, (params, optimizer) in _methods(config, model, pretrained, fresh).items():
            objective, result = common.fit_classifier(model, data, optimizer, steps=config.steps, params=params,
                                                      batch_size=min(config.batch_size, n), key=fit_key)
            accuracies[method].append(common.scores(objective, result, data.test)["accuracy"])
    return accuracies


def run(config: Config, out, *, progress: bool = False) -> dict:
    """Pretrain on the source classes; then, for every seed and number of labels, the three methods."""
    data = common.digits(config.seed)
    model = mlp.mlp(config.hidden, len(config.target_classes))
    pretrained, source_accuracy = _pretrain(config, model, data)
    target = select_classes(data, config.target_classes)
    per_seed = [_accuracies(config, model, pretrained, target, seed) for seed in
                tqdm(range(config.seed, config.seed + config.seeds), desc="transfer", disable=not progress)]
    counts = np.bincount(np.asarray(target.train[1]))
    labels = [*config.labels, *([int(counts.min())] if config.all else [])]
    curves = {method: {"mean": np.mean([s[method] for s in per_seed], axis=0).tolist(),
                       "std": np.std([s[method] for s in per_seed], axis=0).tolist(),
                       "per_seed": [s[method] for s in per_seed]} for method in METHODS}
    names = [*map(str, config.labels), *([f"all ({counts.min()}-{counts.max()})"] if config.all else [])]
    summary = {"source test accuracy": source_accuracy}
    summary |= {f"{method} test accuracy": dict(zip(names, curves[method]["mean"])) for method in METHODS}
    numbers = {"summary": summary, "labels_per_class": labels, "label_names": names, "curves": curves}
    return common.finish(out, config, numbers, {"transfer": figure(labels, names, curves, summary, config)})


def figure(labels: list, names: list, curves: dict, summary: dict, config: Config):
    """Test accuracy on the target classes against labelled samples per class (log x), mean +- std over seeds."""
    fig, axes = common.subplots(1, 1, panel=(7.5, 4.8))
    ax = axes[0, 0]
    for method, curve in curves.items():
        mean, std = np.asarray(curve["mean"]), np.asarray(curve["std"])
        ax.plot(labels, mean, "o-", label=method + (f" (body lr x{config.body_lr_scale:g})" if method == "fine-tune"
                                                     else ""))
        ax.fill_between(labels, mean - std, mean + std, alpha=0.2)
    ax.axhline(1 / len(config.target_classes), color="grey", ls=":", label="chance")
    ax.set_xscale("log")
    ax.set_xticks(labels, names)
    ax.set(xlabel="labelled training samples per class", ylabel="test accuracy", ylim=(0, 1),
           title=f"digits {_span(config.source_classes)} -> {_span(config.target_classes)}: MLP "
                 f"64-{'-'.join(map(str, config.hidden))}-{len(config.target_classes)} pretrained to test accuracy "
                 f"{summary['source test accuracy']:.3f},\n{config.steps} Adam steps each, mean +- std over "
                 f"{config.seeds} draws of the samples")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _span(classes: tuple) -> str:
    return ",".join(map(str, classes))
