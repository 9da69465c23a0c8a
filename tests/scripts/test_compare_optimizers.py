import json

import numpy as np


def test_smoke_with_a_tiny_config(load_script, tmp_path, capsys):
    compare = load_script("compare_optimizers")
    config = compare.parse(["--steps", "5", "--epochs", "1", "--out", str(tmp_path)])
    results = compare.main(config)
    assert set(results["final_value"]) == {"ill-conditioned quadratic", "rosenbrock", "beale", "saddle"}
    assert set(results["digits"]) == set(compare.RATES["beale"])
    assert {"newton", "l-bfgs"} <= set(results["final_value"]["rosenbrock"])
    for name in ("paths.png", "digits.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "results.json").read_text())["digits"]["adam"]["train_loss"]
    assert "wrote" in capsys.readouterr().out


def test_every_optimizer_has_a_rate_on_every_function(load_script):
    from fnn import optim
    from fnn.optim import landscapes

    compare = load_script("compare_optimizers")
    assert set(compare.RATES) == set(landscapes.FUNCTIONS)
    assert all(set(rates) == set(optim.BY_NAME) for rates in compare.RATES.values())


def test_cut_keeps_a_path_until_it_leaves_the_widened_box(load_script):
    compare = load_script("compare_optimizers")
    box = ((0.0, 1.0), (0.0, 2.0))  # widened by half its size: x in [-0.5, 1.5], y in [-1, 3]
    stays = np.array([[0.5, 0.5], [1.4, -0.9], [-0.4, 2.9]])
    kept, left = compare.cut(stays, box)
    assert left is None and kept is stays
    for outside in ([1.6, 0.5], [0.5, -1.1], [np.inf, 0.5], [np.nan, np.nan]):
        kept, left = compare.cut(np.array([[0.5, 0.5], [1.2, 2.5], outside, [0.5, 0.5]]), box)
        assert left == 2
        np.testing.assert_array_equal(kept, [[0.5, 0.5], [1.2, 2.5]])


def test_axis_limits_hold_the_box_and_every_point_with_a_margin(load_script):
    compare = load_script("compare_optimizers")
    box = ((-1.0, 1.0), (0.0, 3.0))
    paths = [np.random.default_rng(seed).normal(0, 3, (20, 2)) for seed in range(3)]
    (x0, x1), (y0, y1) = compare.axis_limits(box, paths)
    points = np.concatenate([*paths, np.asarray(box).T])
    assert (x0 < points[:, 0].min()) and (points[:, 0].max() < x1)
    assert (y0 < points[:, 1].min()) and (points[:, 1].max() < y1)


def test_paths_figure_is_labelled_and_every_path_stays_in_its_frame(load_script):
    import matplotlib.pyplot as plt
    from fnn.optim import landscapes

    compare = load_script("compare_optimizers")
    all_paths = {}
    for fname, (_, start, _) in landscapes.FUNCTIONS.items():
        goal = landscapes.MINIMA[fname] or (0.0, 0.0)
        diverges = np.vstack([start + np.array([0.0, 2.0**k]) for k in range(30)] + [[np.inf, np.inf]])
        all_paths[fname] = {"sgd": np.linspace(start, goal, 10), "adam": diverges}
    fig = compare.paths_figure(all_paths)
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
