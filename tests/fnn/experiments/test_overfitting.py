import numpy as np
import pytest

from fnn.experiments import overfitting


def test_the_early_stopped_run_is_the_whole_run_cut_at_its_stop_with_the_best_epoch_marked(tmp_path):
    config = overfitting.SIZES["small"]
    numbers = overfitting.run(config, tmp_path)
    summary, curves = numbers["summary"], numbers["curves"]
    assert len(curves["train_loss"]) == config.epochs and curves["train_loss"][-1] < 0.5 * curves["train_loss"][0]
    stopped = numbers["stopped_run_val_loss"]
    np.testing.assert_array_equal(stopped, curves["val_loss"][:summary["stop epoch"]])
    assert summary["best epoch"] == int(np.argmin(stopped)) + 1
    assert summary["lowest validation loss"] == min(stopped)
    assert (tmp_path / "overfitting.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_the_readme_numbers(page_command):
    summary = page_command("overfitting")["summary"]
    assert summary["stopped early"] and summary["best epoch"] < summary["stop epoch"] < 60
    assert summary["last training loss"] < 1e-3
    assert summary["last validation loss"] > 1.05 * summary["lowest validation loss"]
    assert summary["early stopping test accuracy"] > 0.85 and summary["whole run test accuracy"] > 0.85
    assert abs(summary["early stopping test accuracy"] - summary["whole run test accuracy"]) < 0.01
    assert summary["early stopping test loss"] < summary["whole run test loss"]
