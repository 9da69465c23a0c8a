r"""The layer protocol, and the combinators that compose layers into models.

A layer is a small frozen, hashable spec holding static hyperparameters only (so a model
can be a static argument of ``jax.jit``). Every layer has

    init(key, in_shape, *, dtype) -> (out_shape, params, state)
    apply(params, state, X, *, train, key=None) -> (Y, state)
    weight_mask(params) -> a tree shaped like params, True at the weight matrices

``in_shape`` and ``out_shape`` are the shape of ONE sample (no batch axis): ``(64,)`` for
a digit vector, ``(8, 8, 1)`` for an image. ``X`` carries the batch on axis 0. Params and
state are trees aligned with the layer tree: a ``Sequential`` has a tuple with one entry
per layer, a ``Residual`` has its body's. A layer without parameters or state has ``()``.
The initial state never depends on the key. The math lives in the plain functions of each
layer's module (``dense.apply(params, X)``); the specs are plumbing.

Randomness: in training mode a ``Sequential`` hands layer i the key ``fold_in(key, i)``
(``child_key``); ``reference.backprop`` uses the same rule, so both draw the same masks.
Which leaves are weights (penalised, decayed, monitored) is declared by each layer's
``weight_mask``, never guessed from a leaf's name. A layer that draws no randomness in
training declares ``deterministic = True``; the train step splits no key for a model made
only of such layers (an undeclared layer gets a fresh key every step, to be safe). A model without state may be given
the empty state ``()`` (or None) and then returns ``()``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol, runtime_checkable

import jax
import jax.numpy as jnp

Shape = tuple[int, ...]


@runtime_checkable
class Layer(Protocol):
    """What every layer spec provides (see the module docstring)."""

    def init(self, key, in_shape: Shape, *, dtype) -> tuple[Shape, Any, Any]: ...

    def apply(self, params, state, X, *, train: bool, key=None) -> tuple[jax.Array, Any]: ...

    def weight_mask(self, params) -> Any: ...


def no_weights(params):
    """The weight mask of a layer whose parameters are all non-weights (biases, scales)."""
    return jax.tree.map(lambda _: False, params)


def child_key(key, index: int):
    """The key of the ``index``-th layer of a ``Sequential`` (None stays None)."""
    return None if key is None else jax.random.fold_in(key, index)


def check_layer(where: str, layer) -> None:
    """Raise TypeError unless ``layer`` follows the protocol."""
    if not isinstance(layer, Layer):
        raise TypeError(f"{where}: expected a layer (init, apply, weight_mask), got {type(layer).__name__}")


def check_children(where: str, name: str, tree, count: int) -> None:
    if not isinstance(tree, tuple) or len(tree) != count:
        got = f"{type(tree).__name__} of length {len(tree)}" if isinstance(tree, tuple) else type(tree).__name__
        raise ValueError(f"{where}: expected {name} as a tuple with one entry per layer ({count}), got {got}")


def split_state(where: str, state, count: int):
    """``(stateless, per-layer states)``: the empty state ``()`` or None gives ``()`` to every layer."""
    if state is None or state == ():
        return True, ((),) * count
    check_children(where, "state", state, count)
    return False, state


@dataclasses.dataclass(frozen=True)
class Sequential:
    """Layers applied one after another, Y = f_L(... f_2(f_1(X)))."""

    layers: tuple

    def __init__(self, *layers):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError("Sequential: expected at least one layer, got none")
        for i, layer in enumerate(layers):
            check_layer(f"Sequential (layer {i})", layer)
        object.__setattr__(self, "layers", tuple(layers))

    def init(self, key, in_shape, *, dtype):
        params, states, shape = [], [], tuple(in_shape)
        for i, (layer, k) in enumerate(zip(self.layers, jax.random.split(key, len(self.layers)))):
            try:
                shape, p, s = layer.init(k, shape, dtype=dtype)
            except ValueError as error:
                raise ValueError(f"Sequential layer {i} ({layer}): {error}") from error
            params.append(p)
            states.append(s)
        return shape, tuple(params), tuple(states)

    def apply(self, params, state, X, *, train, key=None):
        check_children("Sequential.apply", "params", params, len(self.layers))
        stateless, state = split_state("Sequential.apply", state, len(self.layers))
        states = []
        for i, (layer, p, s) in enumerate(zip(self.layers, params, state)):
            X, s = layer.apply(p, s, X, train=train, key=child_key(key, i))
            states.append(s)
        return X, () if stateless else tuple(states)

    def weight_mask(self, params):
        check_children("Sequential.weight_mask", "params", params, len(self.layers))
        return tuple(layer.weight_mask(p) for layer, p in zip(self.layers, params))


class Wrapper:
    """A combinator around one layer, ``body``, whose params and state are the body's (``Residual``,
    ``fnn.layers.Unpooled``); ``leaves`` opens it."""

    def __post_init__(self):
        check_layer(type(self).__name__, self.body)

    def weight_mask(self, params):
        return self.body.weight_mask(params)


@dataclasses.dataclass(frozen=True)
class Residual(Wrapper):
    """A skip connection around ``body``: Y = X + body(X) (He et al. 2016).

    The body must keep the shape of its input. Backward: dX = dY + d body(X)/dX^T dY.
    """

    body: Any

    def init(self, key, in_shape, *, dtype):
        out_shape, params, state = self.body.init(key, in_shape, dtype=dtype)
        if tuple(out_shape) != tuple(in_shape):
            raise ValueError(f"Residual: expected a body that keeps the shape {tuple(in_shape)}, got {tuple(out_shape)}")
        return tuple(in_shape), params, state

    def apply(self, params, state, X, *, train, key=None):
        Y, state = self.body.apply(params, state, X, train=train, key=key)
        return X + Y, state


def initial_state(model, in_shape, *, dtype):
    """The model's initial state (running statistics), which never depends on the key."""
    check_layer("layers.initial_state", model)
    return model.init(jax.random.key(0), tuple(in_shape), dtype=dtype)[2]


def check_params(where: str, model, params, in_shape) -> None:
    """Raise ValueError unless ``params`` has the structure and shapes ``model.init`` gives for ``in_shape``."""
    dtype = jax.tree.leaves(params)[0].dtype if jax.tree.leaves(params) else jnp.float32
    expected = jax.eval_shape(lambda: model.init(jax.random.key(0), tuple(in_shape), dtype=dtype)[1])
    if jax.tree.structure(expected) != jax.tree.structure(params):
        raise ValueError(f"{where}: expected params with the structure of the model's, {jax.tree.structure(expected)}, "
                         f"got {jax.tree.structure(params)}")
    for (path, want), got in zip(jax.tree_util.tree_flatten_with_path(expected)[0], jax.tree.leaves(params)):
        if tuple(want.shape) != tuple(jnp.shape(got)):
            raise ValueError(f"{where}: expected params{jax.tree_util.keystr(path)} of shape {tuple(want.shape)} for "
                             f"inputs of shape {tuple(in_shape)}, got {tuple(jnp.shape(got))}: params made for another model "
                             "or other inputs")


def needs_key(model) -> bool:
    """True unless every leaf layer declares ``deterministic = True`` (draws no randomness in training)."""
    return not all(getattr(leaf, "deterministic", False) for leaf in leaves(model))


def leaves(model):
    """The leaf layers of a model in forward order (combinators opened)."""
    if isinstance(model, Sequential):
        return [leaf for layer in model.layers for leaf in leaves(layer)]
    if isinstance(model, Wrapper):
        return leaves(model.body)
    return [model]
