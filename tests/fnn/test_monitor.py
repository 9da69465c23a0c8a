import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import monitor, optim, train
from fnn.models import mlp
from fnn.fit import fit
from fnn.objective import Objective
from fnn.plots import monitor as monitor_plot
from fnn.util import random_draws

CONFIG = mlp.mlp((8, 6), 3, activation="tanh")
DENSE = (0, 2, 4)  # the dense layers of Dense, tanh, Dense, tanh, Dense


@pytest.fixture
def setup(key):
    X = random_draws.normal(key, (40, 4))
    y = jnp.argmax(X[:, :3], axis=1).astype(jnp.int32)
    return CONFIG.init(key, (4,), dtype=jnp.float64)[1], (X, y)


def test_weight_statistics_are_those_of_each_matrix(setup):
    params, batch = setup
    grads = jax.jit(jax.grad(Objective(CONFIG)))(params, batch)
    updates = jax.tree.map(lambda g: -0.1 * g, grads)
    stats = jax.jit(monitor.weight_statistics, static_argnums=3)(grads, updates, params, CONFIG.weight_mask(params))
    assert stats["grad_norm"].shape == (3,)  # the three weight matrices the model declares; no bias
    for k, (g, W) in enumerate(zip((grads[i].W for i in DENSE), (params[i].W for i in DENSE))):
        np.testing.assert_allclose(stats["grad_mean"][k], np.mean(g), rtol=1e-12)
        np.testing.assert_allclose(stats["grad_std"][k], np.std(g), rtol=1e-12)
        np.testing.assert_allclose(stats["grad_norm"][k], np.linalg.norm(g), rtol=1e-12)
        np.testing.assert_allclose(stats["update_ratio"][k], 0.1 * np.linalg.norm(g) / np.linalg.norm(W), rtol=1e-12)


def test_activation_statistics_are_those_of_the_hidden_layers(setup):
    params, (X, _) = setup
    stats = monitor.activation_statistics(Objective(CONFIG), params, (), X)
    A1 = np.tanh(np.asarray(X) @ params[0].W + params[0].b)
    A2 = np.tanh(A1 @ params[2].W + params[2].b)
    np.testing.assert_allclose(stats["act_mean"], [A1.mean(), A2.mean()], rtol=1e-12)
    np.testing.assert_allclose(stats["act_std"], [A1.std(), A2.std()], rtol=1e-12)


def test_fit_records_every_layer_each_epoch_without_retracing(setup, key, tmp_path):
    params, data = setup
    epoch = train.make_train_epoch(Objective(CONFIG), optim.sgd(0.1), batch_size=10, monitor=True)
    state = train.init_state(params, optim.sgd(0.1))
    state, metrics = epoch(state, data, key)
    assert metrics["layers"]["grad_norm"].shape == (4, 3) and metrics["activations"]["act_std"].shape == (2,)
    result = fit(Objective(CONFIG), optim.sgd(0.1), params, data, epochs=3, batch_size=10, key=key, monitor=True)
    record = result.history[-1]
    assert record["grad_norm"] > 0  # the global gradient norm comes with the monitor
    assert {f"{name}_{k}" for name in monitor.WEIGHT_STATISTICS for k in (1, 2, 3)} <= set(record)
    assert {f"{name}_{k}" for name in monitor.ACTIVATION_STATISTICS for k in (1, 2)} <= set(record)
    assert monitor_plot.plot(result.history, tmp_path / "layers.png").read_bytes()[:4] == b"\x89PNG"
    plain = fit(Objective(CONFIG), optim.sgd(0.1), params, data, epochs=3, batch_size=10, key=key)
    for a, b in zip(jax.tree.leaves(plain.state.params), jax.tree.leaves(result.state.params)):
        np.testing.assert_array_equal(a, b)  # monitoring observes, it changes nothing


def test_monitor_needs_an_objective():
    with pytest.raises(ValueError, match=r"make_train_epoch: monitor needs an fnn.objective.Objective"):
        train.make_train_epoch(lambda p, b: 0.0, optim.sgd(0.1), batch_size=2, monitor=True)


def _history(epochs: int, weights: int, hidden: int) -> list[dict]:
    """A made-up history with every statistic of ``weights`` matrices and ``hidden`` representations."""
    counts = {**dict.fromkeys(monitor.WEIGHT_STATISTICS, weights), **dict.fromkeys(monitor.ACTIVATION_STATISTICS, hidden)}
    statistics = [(f"{name}_{k}", k) for name, count in counts.items() for k in range(1, count + 1)]
    return [{"epoch": e, "grad_norm": 1.0, **{key: 0.1 * e * k for key, k in statistics}} for e in range(1, epochs + 1)]


@pytest.mark.parametrize("hidden", [2, 0])
def test_figure_labels_every_panel_and_names_the_layers(hidden):
    import matplotlib.pyplot as plt

    fig = monitor_plot.figure(_history(epochs=4, weights=3, hidden=hidden), title="run")
    panels = monitor_plot.PANELS[: 6 if hidden else 4]
    assert [ax.get_ylabel() for ax in fig.axes] == [label for _, label, _ in panels]
    for ax, (name, _, _) in zip(fig.axes, panels):
        symbol, count = ("A", hidden) if name.startswith("act_") else ("W", 3)
        assert {f"{symbol}{k}" for k in range(1, count + 1)} <= {t.get_text() for t in ax.get_legend().get_texts()}
        assert len(ax.get_lines()[0].get_xdata()) == 4
    assert [ax.get_xlabel() for ax in fig.axes[-2:]] == ["epoch", "epoch"]
    assert fig.get_suptitle() == "run"
    plt.close(fig)
