import numpy as np
import pytest

from fnn.experiments import transfer


def test_the_three_methods_give_a_learning_curve_over_the_labels_per_class(tmp_path):
    config = transfer.SIZES["small"]
    numbers = transfer.run(config, tmp_path)
    assert numbers["labels_per_class"] == list(config.labels) and numbers["label_names"] == ["2"]
    for method in transfer.METHODS:
        curve = numbers["curves"][method]
        assert len(curve["mean"]) == len(config.labels) and len(curve["per_seed"]) == config.seeds
        np.testing.assert_allclose(curve["mean"], np.mean(curve["per_seed"], axis=0))
        assert 0 <= min(curve["mean"]) <= max(curve["mean"]) <= 1
    assert numbers["summary"]["source test accuracy"] > 0.3  # above chance (0.2) after two epochs
    assert (tmp_path / "transfer.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_the_readme_numbers(page_command):
    summary = page_command("transfer")["summary"]
    scratch, frozen, tuned = (summary[f"{method} test accuracy"] for method in transfer.METHODS)
    assert summary["source test accuracy"] > 0.97
    assert all(curve["1"] > 0.4 and curve["50"] > 0.85 for curve in (scratch, frozen, tuned))
    assert all(scratch[k] >= frozen[k] - 0.02 and tuned[k] >= frozen[k] - 0.02 for k in scratch)
    assert all(scratch[k] > tuned[k] > frozen[k] for k in scratch)  # the page: scratch ahead at every K, frozen last
