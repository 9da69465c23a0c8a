"""Optimizers as ``optax.GradientTransformation``s, written from the lecture equations.

Any optax optimizer is accepted wherever these are; ours compose with ``optax.chain`` and
accept ``optax.inject_hyperparams`` (``injectable`` builds one with every numeric
hyperparameter, schedules' included, in the state) so sweeps and plateaus do not recompile.
"""

from fnn.optim.aliases import (
    BY_NAME,
    AdadeltaState,
    AdamState,
    AccumulatorState,
    MomentumState,
    SGDState,
    adadelta,
    adagrad,
    adam,
    adamax,
    get,
    momentum,
    nesterov,
    rmsprop,
    sgd,
)
from fnn.optim.sign_based import RpropState, rprop
from fnn.optim.injectable import injectable, learning_rate_of, with_learning_rate
from fnn.optim.transforms import clip_by_global_norm, decoupled_weight_decay, global_norm

__all__ = [
    "BY_NAME", "AccumulatorState", "AdadeltaState", "AdamState", "MomentumState", "RpropState", "SGDState",
    "adadelta", "adagrad", "adam", "adamax", "clip_by_global_norm", "decoupled_weight_decay", "get", "global_norm", "injectable",
    "learning_rate_of", "momentum", "nesterov", "rmsprop", "rprop", "sgd", "with_learning_rate",
]
