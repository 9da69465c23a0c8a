r"""Transfer learning: start a model from another model's trained parameters, then fine-tune it.

A composed model (``fnn.layers.Sequential``) has a parameter tuple with one entry per layer.
Its head is the last layer with parameters (the output layer: a new task, a new head), its
body every layer before it. ``transfer`` copies a source model's layers into a freshly
initialised one of the same architecture, every layer but the head; ``fine_tuning`` wraps an
optimizer so that the body learns more slowly, or not at all:

Math (theta = (theta_body, theta_head), u = the optimizer's update, s = ``body_scale``):
    theta_head <- theta_head + u_head
    theta_body <- theta_body + s u_body        s = 0: a frozen body, only the head is trained
For an optimizer whose update is proportional to its learning rate eta (SGD, momentum,
Nesterov, AdaGrad, RMSProp, Adam, and decoupled weight decay, which is eta lambda W), the
scaled update is that of the body trained with learning rate s eta: its moment estimates
do not depend on eta. (Rprop, whose step sizes adapt on their own, only scales its steps.)

Batch norm: freezing concerns parameters (gamma, beta, W, b). The running statistics are
model state: they are copied from the source with the body, and in training the frozen
body's batch-norm layers still normalise with the batch statistics and update their running
averages on the new data, as PyTorch does in training mode (Keras instead runs a frozen
batch-norm layer in inference mode).
Reference: Yosinski et al., "How transferable are features in deep neural networks?",
NeurIPS 2014; the lecture's slides on pretraining and fine-tuning.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from fnn.util import validate
from fnn.util.memo import get_or_build


def _layers(where: str, params) -> tuple:
    if not isinstance(params, tuple) or not params:
        raise ValueError(f"{where}: expected the parameters of a Sequential model, a tuple with one entry per "
                         f"layer, got {type(params).__name__}")
    return params


def head_index(params) -> int:
    """The index of the head: the last layer whose parameters have at least one array."""
    with_arrays = [i for i, layer in enumerate(_layers("head_index", params)) if jax.tree.leaves(layer)]
    if not with_arrays:
        raise ValueError("head_index: expected a model with parameters, got none in any layer")
    return with_arrays[-1]


def transfer(model, source, fresh, *, head: int | None):
    """``fresh`` (the parameters or state of ``model``) with every layer but ``head`` taken from ``source``.

    Args:
        model: the new model (a ``Sequential``), which names the layers in errors.
        source: the trained tree (one entry per layer), e.g. another run's parameters.
        fresh: the new model's freshly initialised tree of the same kind.
        head: the layer that keeps its fresh value (``head_index``); None copies every layer.
    Returns:
        The tree of ``fresh``, copied layers cast to its dtypes (a float32 source in a float64 run).
    Raises:
        ValueError: naming the layer and both shapes when a copied layer differs from the new model's.
    """
    if not jax.tree.leaves(source) and not jax.tree.leaves(fresh):  # no state at all: () or a tuple of ()
        return fresh
    fresh, source = _layers("transfer", fresh), _layers("transfer", source)
    if len(source) != len(fresh):
        raise ValueError(f"transfer: expected a source with the new model's {len(fresh)} layers, got {len(source)}")
    return tuple(new if i == head else _copied(model.layers[i], i, old, new)
                 for i, (old, new) in enumerate(zip(source, fresh)))


def _copied(layer, index: int, old, new):
    named = jax.tree_util.tree_flatten_with_path(new)[0]
    if jax.tree.structure(old) != jax.tree.structure(new):
        raise ValueError(f"transfer: layer {index} ({layer}): expected the new model's arrays "
                         f"{[jax.tree_util.keystr(path) for path, _ in named]}, got the source's "
                         f"{[jax.tree_util.keystr(path) for path, _ in jax.tree_util.tree_flatten_with_path(old)[0]]}")
    for (path, leaf), stored in zip(named, jax.tree.leaves(old)):
        if jnp.shape(stored) != jnp.shape(leaf):
            raise ValueError(f"transfer: layer {index} ({layer}) {jax.tree_util.keystr(path)}: expected shape "
                             f"{jnp.shape(leaf)} (the new model), got {jnp.shape(stored)} (the source); the "
                             "architectures must match below the head")
    return jax.tree.map(lambda stored, leaf: jnp.asarray(stored, leaf.dtype), old, new)


def _scaled_body(tree, head: int, scale: float):
    """Every layer but ``head`` times ``scale``; scale 0 gives -0.0, for which p + (-0.0) == p bit for bit."""
    def body(u):
        return jnp.full_like(u, -0.0) if scale == 0 else u * jnp.asarray(scale, u.dtype)
    return tuple(layer if i == head else jax.tree.map(body, layer) for i, layer in enumerate(tree))


_UPDATES: dict = {}
"""(inner update, head, body_scale) -> the fine-tuning update, so equal optimizers share compiled epochs."""


def fine_tuning(optimizer: optax.GradientTransformation, head: int, *,
                body_scale: float) -> optax.GradientTransformation:
    """``optimizer`` with the body's updates scaled by ``body_scale`` (0: a frozen body); see the module's Math.

    A frozen body's gradient is zeroed before the optimizer as well, so gradient clipping's
    global norm and the moment estimates see only the head, and its update is -0.0, the exact
    identity of floating-point addition: frozen parameters stay bit-identical. The state is
    ``optimizer``'s own, so its injected hyperparameters (a plateau's learning rate) stay reachable.

    Raises:
        ValueError: ``body_scale`` negative or not finite, ``head`` not an index of the parameters.
    """
    validate.number_in("fine_tuning", "body_scale", body_scale, 0.0)
    validate.integer("fine_tuning", "head", head, 0)
    body_scale = float(body_scale)

    def init(params):
        if head >= len(_layers("fine_tuning", params)):
            raise ValueError(f"fine_tuning: expected head < {len(params)}, the number of layers, got {head}")
        return optimizer.init(params)

    def build():
        def update(grads, state, params=None):
            if body_scale == 0:
                grads = _scaled_body(grads, head, 0.0)
            updates, state = optimizer.update(grads, state, params)
            return _scaled_body(updates, head, body_scale), state
        return update

    return optax.GradientTransformation(init, get_or_build(_UPDATES, (optimizer.update, head, body_scale), build))
