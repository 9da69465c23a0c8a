import numpy as np


def test_every_schedule_is_plotted(load_script, tmp_path):
    plot = load_script("plot_schedules")
    from fnn.optim import schedules

    assert set(plot.EXAMPLES) == set(schedules.BY_NAME)
    results = plot.main(plot.parse(["--steps", "50", "--out", str(tmp_path / "s.png")]))
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
    assert all(len(c) == 50 and np.all(np.isfinite(c)) for c in results["curves"].values())
