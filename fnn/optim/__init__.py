"""Optimizers as ``optax.GradientTransformation``s, written from the lecture equations.

Any optax optimizer is accepted wherever these are; ours compose with ``optax.chain`` and
accept ``optax.inject_hyperparams`` so changing a hyperparameter does not recompile.
"""

from fnn.optim.aliases import BY_NAME, AdamState, SGDState, adam, get, sgd

__all__ = ["BY_NAME", "AdamState", "SGDState", "adam", "get", "sgd"]
