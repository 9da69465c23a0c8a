"""The PyTorch peers compute fnn's function and take fnn's first two Adam steps (skipped without ``pip install .[peers]``)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import layers, optim, tasks, train
from fnn.models import cnn, mlp, recurrent
from fnn.objective import Objective

pytest.importorskip("torch")
from fnn.bench import torch_peers  # noqa: E402

SHIFT = 0.1
"""Added to every initial parameter: zero biases (fnn's default) would hide a bias mapped to the wrong place."""


def _models():
    return {
        "mlp": (mlp.mlp((8, 8), 3), Objective, (6,), lambda rng: rng.standard_normal((5, 6)), 3),
        # not square, and 2x3 maps at the flattening: a swapped axis or another flattening order shows
        "cnn": (cnn.cnn((8, 12, 2), 3, **cnn.PRESETS["image"], hidden=(8,)), Objective, (192,),
                lambda rng: rng.standard_normal((5, 192)), 3),
        "rnn language model": (recurrent.language_model(7, cell="rnn", hidden=(5,)),
                               lambda m: Objective(m, tasks.PerStep()), (4,), lambda rng: rng.integers(0, 7, (5, 4)), 7),
        "gru language model": (recurrent.language_model(7, cell="gru", hidden=(5,)),
                               lambda m: Objective(m, tasks.PerStep()), (4,), lambda rng: rng.integers(0, 7, (5, 4)), 7),
    }


@pytest.mark.parametrize("name", list(_models()))
def test_the_peer_computes_fnns_loss_and_takes_its_first_two_adam_steps(name):
    """Two steps: Adam's first moves each weight by about lr sign(g), whatever |g|; the second
    depends on the sizes of both gradients, so a gradient off by a factor shows there."""
    model, objective_of, in_shape, draw_X, classes = _models()[name]
    rng = np.random.default_rng(4)
    X = np.asarray(draw_X(rng), np.float32)
    y = rng.integers(0, classes, X.shape if "language" in name else X.shape[:1])
    params = jax.tree.map(lambda p: p + SHIFT, model.init(jax.random.key(1), in_shape, dtype=jnp.float32)[1])
    objective = objective_of(model)
    peer = torch_peers.peer(model, params, (X, y), batch_size=5, learning_rate=1e-2, seed=0)

    batch = (jnp.asarray(X), jnp.asarray(y))
    np.testing.assert_allclose(peer.loss(X, y), objective(params, batch), rtol=1e-5)
    optimizer = optim.adam(1e-2)
    step = train.make_train_step(objective, optimizer)
    state = step(step(train.init_state(params, optimizer), batch)[0], batch)[0]
    peer.epoch()  # one minibatch of all 5 samples: one step, whatever the order
    peer.epoch()
    moved = 0.0
    assert len(jax.tree.leaves(peer.weights())) == len(jax.tree.leaves(params))
    for ours, theirs, before in zip(jax.tree.leaves(state.params), jax.tree.leaves(peer.weights()),
                                    jax.tree.leaves(params)):
        np.testing.assert_allclose(theirs, ours, atol=2e-5)
        moved = max(moved, float(np.max(np.abs(np.asarray(ours) - np.asarray(before)))))
    assert moved > 5e-3  # the steps moved the weights (Adam's first step is about lr)
    # PyTorch's own loss equals fnn's at the stepped weights: a parameter weights() leaves out (the
    # second recurrent bias, held at 0 but the GRU candidate's c) has not moved either
    np.testing.assert_allclose(peer.loss(X, y), objective(state.params, batch), rtol=1e-5)


def test_a_layer_it_does_not_convert_is_named():
    model = layers.Sequential(layers.Dense(3, "glorot_normal"), layers.Dropout(0.5))
    params = model.init(jax.random.key(0), (2,), dtype=jnp.float32)[1]
    with pytest.raises(ValueError, match=r"torch_peers: expected layers among Dense, .*, got Dropout"):
        torch_peers.convert(model, params)
    conv = layers.Sequential(layers.Reshape((4, 4, 1)), layers.Conv(2, 3, stride=2))
    params = conv.init(jax.random.key(0), (16,), dtype=jnp.float32)[1]
    with pytest.raises(ValueError, match=r"expected a 2-D Conv at stride 1"):
        torch_peers.convert(conv, params)
