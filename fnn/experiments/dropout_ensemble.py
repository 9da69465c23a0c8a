r"""Dropout as an ensemble: Monte-Carlo averaging of K stochastic passes vs weight scaling at test time.

Math (keep probability p = 1 - rate, masks r ~ Bernoulli(p), inverted dropout):
    weight scaling   P(y|x) ~ softmax(f(x; W))              one deterministic pass (the kept units
                     were scaled by 1/p in training, so no scaling is left for the test)
    Monte Carlo      P(y|x) ~ (1/K) sum_{i=1..K} softmax(f(x; W, r_i))   the average of K sub-networks
A dropout network trains an ensemble of 2^units weight-sharing sub-networks; weight scaling
approximates its geometric-mean prediction in one pass (exactly for one softmax layer), Monte
Carlo approaches its arithmetic mean as K grows.
Measured on the digits test split: accuracy and log-loss -mean log P(y_n|x_n) for each K, the
mean and standard deviation over ``repeats`` sets of masks, against the weight-scaling line.
Reference: Srivastava et al., "Dropout", JMLR 2014 (section 7.5); the lecture's dropout slides.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from fnn import activations, metrics, optim
from fnn.experiments import common
from fnn.layers import dropout
from fnn.models import mlp


@dataclasses.dataclass(frozen=True)
class Config:
    hidden: tuple = (256, 256)
    rate: float = 0.5
    epochs: int = 100
    learning_rate: float = 1e-3
    batch_size: int = 64
    passes: tuple = (1, 2, 4, 8, 16, 32, 64)
    repeats: int = 20
    seed: int = 0


SIZES = {"small": Config(hidden=(32,), epochs=5, passes=(1, 4, 16), repeats=3), "full": Config()}


def log_loss(probabilities, y) -> float:
    """-mean_n log P(y_n | x_n), the cross-entropy of averaged probabilities (floored at the dtype's tiny)."""
    picked = jnp.take_along_axis(probabilities, y[:, None], axis=1)[:, 0]
    return float(-jnp.mean(jnp.log(jnp.maximum(picked, jnp.finfo(picked.dtype).tiny))))


def accuracy(probabilities, y) -> float:
    """The fraction of rows whose most probable class is the label."""
    return float(metrics.accuracy(y, jnp.argmax(probabilities, axis=1)))


def monte_carlo_scores(model, params, X, y, *, passes, repeats: int, key) -> dict:
    """Accuracy and log-loss of Monte-Carlo dropout with K passes (each K in ``passes``): mean and
    standard deviation over ``repeats`` independent sets of masks."""
    logits = lambda X, key: model.apply(params, (), X, train=True, key=key)[0]  # noqa: E731
    scores = {"accuracy": [], "accuracy_std": [], "log_loss": [], "log_loss_std": []}
    for K in passes:
        averaged = jax.jit(jax.vmap(lambda k, K=K: dropout.monte_carlo(logits, X, key=k, samples=K)))
        runs = averaged(jax.random.split(jax.random.fold_in(key, K), repeats))
        for name, score in (("accuracy", accuracy), ("log_loss", log_loss)):
            values = [score(P, y) for P in runs]
            scores[name].append(float(np.mean(values)))
            scores[f"{name}_std"].append(float(np.std(values)))
    return scores


def run(config: Config, out, *, progress: bool = False) -> dict:
    """Train the dropout MLP on digits; score weight scaling and Monte Carlo for every K on the test split."""
    data = common.digits(config.seed)
    model = mlp.mlp(config.hidden, 10, dropout=config.rate)
    key = jax.random.key(config.seed)
    objective, result = common.fit_classifier(model, data, optim.adam(config.learning_rate), epochs=config.epochs,
                                              batch_size=config.batch_size, key=key, progress=progress)
    X, y = data.test
    scaled = activations.softmax(objective.outputs(result.state.params, X))
    weight_scaling = {"accuracy": accuracy(scaled, y), "log_loss": log_loss(scaled, y)}
    mc = monte_carlo_scores(model, result.state.params, X, y, passes=config.passes, repeats=config.repeats,
                            key=jax.random.fold_in(key, 1))
    summary = {"weight scaling test accuracy": weight_scaling["accuracy"],
               "weight scaling test log-loss": weight_scaling["log_loss"]}
    summary |= {f"K={K} test {label}": mc[name][i] for i, K in enumerate(config.passes)
                for label, name in (("accuracy", "accuracy"), ("log-loss", "log_loss"))}
    numbers = {"summary": summary, "weight_scaling": weight_scaling, "monte_carlo": mc,
               "passes": list(config.passes), "train_loss": [r["train_loss"] for r in result.history]}
    return common.finish(out, config, numbers, {"dropout_ensemble": figure(weight_scaling, mc, config)})


def figure(weight_scaling: dict, mc: dict, config: Config):
    """Test accuracy and log-loss against K (mean and one standard deviation over the repeats)."""
    fig, axes = common.subplots(1, 2, panel=(5.5, 4.0))
    K = np.asarray(config.passes)
    for ax, name, label in ((axes[0, 0], "accuracy", "test accuracy"), (axes[0, 1], "log_loss", "test log-loss")):
        mean, std = np.asarray(mc[name]), np.asarray(mc[f"{name}_std"])
        ax.errorbar(K, mean, yerr=std, fmt="o-", capsize=3, label=f"Monte Carlo, mean of {config.repeats} repeats")
        ax.axhline(weight_scaling[name], color="tab:red", ls="--", label="weight scaling (one deterministic pass)")
        ax.set_xscale("log", base=2)
        ax.set_xticks(K, [str(k) for k in K])
        ax.set(xlabel="K, stochastic passes averaged", ylabel=label, title=label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"Dropout {config.rate:g} MLP 64-{'-'.join(map(str, config.hidden))}-10 on digits: "
                 "the ensemble at test time")
    fig.tight_layout()
    return fig
