import json

import numpy as np
import pytest

from fnn import optim
from fnn.experiments import optimizer_paths, registry
from fnn.optim import landscapes


def test_smoke_at_the_small_size(tmp_path):
    numbers = optimizer_paths.run(optimizer_paths.SIZES["small"], tmp_path)
    assert set(numbers["final_value"]) == {"ill-conditioned quadratic", "saddle"}
    assert set(numbers["digits"]) == {"sgd", "rprop"}  # rprop: the full-batch case
    assert set(numbers["final_value"]["saddle"]) == {"sgd", "rprop"}  # no Newton nor L-BFGS on the saddle
    assert set(numbers["final_value"]["ill-conditioned quadratic"]) == {"sgd", "rprop", "newton", "l-bfgs"}
    assert numbers["final_value"]["ill-conditioned quadratic"]["newton"] < 1e-6  # a quadratic: one Newton step
    for name in ("paths.png", "digits.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "results.json").read_text())["digits"]["sgd"]["train_loss"]


def test_the_default_compares_every_optimizer_and_a_subset_is_checked():
    assert optimizer_paths.Config().optimizers == tuple(optim.BY_NAME)
    chosen = registry.config("optimizer-paths", settings={"optimizers": "adam,sgd", "digits": "false"})
    assert (chosen.optimizers, chosen.digits) == (("adam", "sgd"), False)
    with pytest.raises(ValueError, match="optimizer-paths: unknown optimizer 'nope'; expected one of adadelta"):
        registry.config("optimizer-paths", settings={"optimizers": "adam,nope"})
    with pytest.raises(ValueError, match="optimizer-paths: expected optimizers among sgd, .*, got none"):
        registry.config("optimizer-paths", settings={"optimizers": ""})
    with pytest.raises(ValueError, match="optimizer-paths: unknown function 'himmelblau'; expected one of beale"):
        registry.config("optimizer-paths", settings={"functions": "saddle,himmelblau"})


def test_every_optimizer_has_a_rate_on_every_function():
    assert set(optimizer_paths.RATES) == set(landscapes.FUNCTIONS)
    assert all(set(rates) == set(optim.BY_NAME) for rates in optimizer_paths.RATES.values())


def test_cut_keeps_a_path_until_it_leaves_the_widened_box():
    box = ((0.0, 1.0), (0.0, 2.0))  # widened by half its size: x in [-0.5, 1.5], y in [-1, 3]
    stays = np.array([[0.5, 0.5], [1.4, -0.9], [-0.4, 2.9]])
    kept, left = optimizer_paths.cut(stays, box)
    assert left is None and kept is stays
    for outside in ([1.6, 0.5], [0.5, -1.1], [np.inf, 0.5], [np.nan, np.nan]):
        kept, left = optimizer_paths.cut(np.array([[0.5, 0.5], [1.2, 2.5], outside, [0.5, 0.5]]), box)
        assert left == 2
        np.testing.assert_array_equal(kept, [[0.5, 0.5], [1.2, 2.5]])


def test_axis_limits_hold_the_box_and_every_point_with_a_margin():
    box = ((-1.0, 1.0), (0.0, 3.0))
    paths = [np.random.default_rng(seed).normal(0, 3, (20, 2)) for seed in range(3)]
    (x0, x1), (y0, y1) = optimizer_paths.axis_limits(box, paths)
    points = np.concatenate([*paths, np.asarray(box).T])
    assert (x0 < points[:, 0].min()) and (points[:, 0].max() < x1)
    assert (y0 < points[:, 1].min()) and (points[:, 1].max() < y1)


def test_paths_figure_is_labelled_and_every_path_stays_in_its_frame():
    import matplotlib.pyplot as plt

    all_paths = {}
    for fname, (_, start, _) in landscapes.FUNCTIONS.items():
        goal = landscapes.MINIMA[fname] or (0.0, 0.0)
        diverges = np.vstack([start + np.array([0.0, 2.0**k]) for k in range(30)] + [[np.inf, np.inf]])
        all_paths[fname] = {"sgd": np.linspace(start, goal, 10), "adam": diverges}
    fig = optimizer_paths.paths_figure(all_paths)
    for ax, fname in zip(fig.axes, landscapes.FUNCTIONS):
        assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (fname, "parameter x", "parameter y")
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "sgd" in labels and any(label.startswith("adam (leaves the plot at step") for label in labels)
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        for line in ax.get_lines():
            xs, ys = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
            assert np.all((x0 < xs) & (xs < x1) & (y0 < ys) & (ys < y1)), (fname, line.get_label())
    assert fig.get_suptitle()
    plt.close(fig)


@pytest.mark.slow
def test_the_full_size_runs_every_optimizer(page_command):
    numbers = page_command("optimizer-paths")
    assert set(numbers["digits"]) == set(optim.BY_NAME)
    assert all(c["val_accuracy"] > 0.9 for c in numbers["digits"].values())
    assert set(numbers["final_value"]) == set(landscapes.FUNCTIONS)
    assert numbers["final_value"]["rosenbrock"]["l-bfgs"] < 1e-6
    assert None in numbers["final_value"]["saddle"].values()  # a diverged path: null in strict JSON
