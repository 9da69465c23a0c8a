r"""One table proving every hand-derived gradient: against autodiff and finite differences.

For each activation, loss, regularizer, layer (the cases of ``reference.cases``, alone
and inside a network) and whole models through the generic ``reference.backprop``, the
hand-derived backward pass is applied to a random upstream gradient and compared
(``reference.gradcheck`` relative error) with ``jax.vjp`` of the ``fnn`` forward and with
centred differences of the scalar <dY, f(x)>. Inputs are moved at least 0.05 away from
kinks. Runs in float64.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn import losses as fl
from fnn import regularizers as fr
from fnn.layers import batchnorm as fb
from fnn.models import mlp
from fnn.objective import Objective
from fnn.regularizers import Penalty
from fnn.util import random_draws
from reference import activations as ra
from reference import backprop, cases, gradcheck, rule_check
from reference.gradcheck import AUTODIFF_TOLERANCE, KINK_TOLERANCE, SMOOTH_TOLERANCE
from reference import losses as rl
from reference import regularizers as rr
from reference.layers import batchnorm as rbn

KINKED = {"relu", "leaky_relu", "maxout", "mae", "huber", "multiclass_hinge", "l1", "elastic_net"}


class Row(NamedTuple):
    """One line of the table: relative errors of the hand-derived gradient."""

    group: str
    name: str
    vs_autodiff: float
    vs_finite_differences: float
    kinked: bool

    @property
    def ok(self) -> bool:
        fd_tolerance = KINK_TOLERANCE if self.kinked else SMOOTH_TOLERANCE
        return self.vs_autodiff <= AUTODIFF_TOLERANCE and self.vs_finite_differences <= fd_tolerance


def away_from_kinks(x, margin: float = 0.05):
    """Push every entry at least ``margin`` away from 0, keeping its sign."""
    return x + margin * jnp.where(x >= 0, 1.0, -1.0).astype(x.dtype)


def _row(group, name, f, args, hand, *, kinked):
    """Compare ``hand(dY, *args)`` (cotangents of ``args``) with jax.vjp(f) and finite differences."""
    dY = random_draws.normal(jax.random.key(7), jax.eval_shape(f, *args).shape, jnp.float64)
    auto, manual = jax.jit(lambda dY, *a: (jax.vjp(f, *a)[1](dY), hand(dY, *a)))(dY, *args)
    numeric = gradcheck.numerical_gradient(lambda a: jnp.sum(dY * f(*a)), tuple(args))
    return Row(
        group,
        name,
        gradcheck.max_relative_error(manual, auto),
        gradcheck.max_relative_error(manual, numeric),
        kinked,
    )


def _activation_rows(key):
    hyper = {"maxout": {"pieces": 3}}
    a = away_from_kinks(random_draws.normal(key, (8, 6), jnp.float64))
    rows = []
    for name in ra.BACKWARD:
        forward, backward = ra.pair(name, **hyper.get(name, {}))
        rows.append(
            _row("activation", name, lambda x: forward(x)[0], (a,),
                 lambda dY, x: (backward(forward(x)[1], dY),), kinked=name in KINKED)
        )
    return rows


def _loss_rows(key):
    k_logits, k_labels, k_targets = jax.random.split(key, 3)
    logits = 3 * random_draws.normal(k_logits, (8, 5), jnp.float64)
    labels = jax.random.randint(k_labels, (8,), 0, 5)
    targets = logits + away_from_kinks(random_draws.normal(k_targets, (8, 5), jnp.float64))
    binary = (labels[:, None] % 2).astype(jnp.float64)
    cases = {
        "softmax_cross_entropy": (logits, labels, rl.softmax_cross_entropy_grad),
        "softmax_cross_entropy (unfused)": (logits, labels, rl.softmax_cross_entropy_grad_unfused),
        "binary_log_loss": (logits[:, :1], binary, rl.binary_log_loss_grad),
        "binary_log_loss (unfused)": (logits[:, :1], binary, rl.binary_log_loss_grad_unfused),
        "mse": (logits, targets, rl.mse_grad),
        "mae": (logits, targets, rl.mae_grad),
        "huber": (logits, targets, rl.huber_grad),
        "multiclass_hinge": (logits, labels, rl.multiclass_hinge_grad),
    }
    rows = []
    for name, (x, y, grad) in cases.items():
        loss = fl.get(name.split(" ")[0])
        rows.append(
            _row("loss", name, lambda z: loss(z, y), (x,), lambda dY, z: (dY * grad(z, y),),
                 kinked=name in KINKED)
        )
    return rows


def _regularizer_rows(key):
    model = mlp.mlp((7, 6), 3, activation="tanh")
    params = jax.tree.map(away_from_kinks, model.init(key, (5,), dtype=jnp.float64)[1])
    mask = model.weight_mask(params)
    return [
        _row("regularizer", name, lambda p: fr.get(name)(p, mask), (params,),
             lambda dY, p: (jax.tree.map(lambda g: dY * g, rr.gradient(name)(p, mask)),),
             kinked=name in KINKED)
        for name in rr.GRADIENTS
    ]


def layer_row(case: cases.Case, key) -> Row:
    """The row of one gradient-check case (``reference.cases``): the largest relative error of the
    comparisons of ``reference.rule_check`` against autodiff (alone and in a network) and against
    finite differences."""
    compared = rule_check.compare(case, key)

    def worst(against: str) -> float:
        return max(row.relative for row in compared if row.comparison.endswith(against))

    return Row("layer", case.name, worst("autodiff"), worst("finite diff"), case.kinked)


def _layer_rows(key):
    return [layer_row(case, jax.random.fold_in(key, i)) for i, case in enumerate(cases.CASES)]


def _normalisation_rows(key):
    """The paper's node-by-node batch-norm backward (the rule table uses the compact one)."""
    k_params, k_x = jax.random.split(key)
    params = fb.BatchNormParams(1 + 0.3 * random_draws.normal(k_params, (4,), jnp.float64), jnp.linspace(-1, 1, 4))
    X = 2 + random_draws.normal(k_x, (8, 4), jnp.float64)

    def batchnorm(p, x):
        return fb.apply(p, fb.init_state(4, dtype=x.dtype), x, train=True)[0]

    return [_row("layer", "batchnorm (paper steps)", batchnorm, (params, X),
                 lambda dY, p, x: rbn.backward_steps(rbn.forward(p, x)[1], dY), kinked=False)]


MODELS = (
    ("mlp 5-7-6-3 tanh + l2", dict(activation="tanh"), "l2"),
    ("mlp 5-7-6-3 relu + elastic_net", dict(activation="relu"), "elastic_net"),
    ("mlp 5-7-6-3 tanh + l2 batchnorm=after dropout=0.2", dict(activation="tanh", batchnorm="after", dropout=0.2), "l2"),
    ("residual mlp 5-7-7-3 maxout x2 + l1", dict(activation="maxout", residual=True), "l1"),
)


def _model_rows(key):
    k_params, k_x, k_y = jax.random.split(key, 3)
    X = random_draws.normal(k_x, (16, 5), jnp.float64)
    y = jax.random.randint(k_y, (16,), 0, 3)
    rows = []
    for name, options, regularizer in MODELS:
        model = mlp.mlp((7, 7) if options.get("residual") else (7, 6), 3, initializer="glorot_normal", **options)
        _, params, state = model.init(k_params, (5,), dtype=jnp.float64)
        # Non-zero biases, so a wrong bias gradient cannot hide behind zeros.
        params = jax.tree.map(lambda p: p + 0.1 * jnp.cos(jnp.arange(p.size, dtype=p.dtype)).reshape(p.shape), params)
        objective = Objective(model, penalty=Penalty(regularizer, 1e-2, beta=0.5))
        dropout_key = jax.random.fold_in(key, 1)
        hand = backprop.value_and_grad(objective)
        rows.append(
            _row("model", name, lambda p: objective.train_loss(p, state, (X, y), dropout_key)[0], (params,),
                 lambda dY, p: (jax.tree.map(lambda g: dY * g, hand(p, state, (X, y), dropout_key)[1]),),
                 kinked=options["activation"] in ("relu", "maxout") or regularizer == "l1")
        )
    return rows


GROUPS = {"activation": _activation_rows, "loss": _loss_rows, "regularizer": _regularizer_rows,
          "layer": _layer_rows, "normalisation": _normalisation_rows, "model": _model_rows}
"""The table's groups of rows, each built from a key (the tests check them one group at a time)."""


def audit(key=None) -> list[Row]:
    """Build every row of the table (float64 must be enabled)."""
    if not jax.config.jax_enable_x64:
        raise RuntimeError(
            "reference.audit: expected float64 to be enabled; call "
            "jax.config.update('jax_enable_x64', True) before creating any array"
        )
    key = jax.random.key(0) if key is None else key
    return [row for i, group in enumerate(GROUPS.values()) for row in group(jax.random.fold_in(key, i))]


def format_table(rows: list[Row]) -> str:
    """Render the rows as a fixed-width text table."""
    lines = [f"{'group':<12} {'name':<52} {'vs autodiff':>12} {'vs finite diff':>15}  ok"]
    for r in rows:
        lines.append(
            f"{r.group:<12} {r.name:<52} {r.vs_autodiff:>12.2e} {r.vs_finite_differences:>15.2e}  "
            f"{'yes' if r.ok else 'NO'}"
        )
    lines.append(
        f"tolerances: autodiff {AUTODIFF_TOLERANCE:g}; finite differences {SMOOTH_TOLERANCE:g} "
        f"(smooth), {KINK_TOLERANCE:g} (kinked: {', '.join(sorted(KINKED))})"
    )
    return "\n".join(lines)
