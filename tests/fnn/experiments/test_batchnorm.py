import pytest

from fnn.experiments import batchnorm


def test_batch_norm_trains_the_deep_sigmoid_network_that_is_stuck_without_it(tmp_path):
    runs = batchnorm.run(batchnorm.SIZES["small"], tmp_path)["runs"]
    plain, normed = runs["sigmoid, plain"], runs["sigmoid, batch norm"]
    assert len(plain["train_loss"]) == batchnorm.SIZES["small"].epochs
    assert plain["train_loss"][-1] > 2.2  # about ln 10: the prior of ten classes
    assert normed["train_loss"][-1] < 0.9 * plain["train_loss"][-1] and normed["test_accuracy"] > 0.4
    assert (tmp_path / "batchnorm.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_the_readme_numbers(page_command):
    numbers = page_command("batchnorm")
    summary, runs = numbers["summary"], numbers["runs"]
    assert summary["sigmoid, plain final train loss"] > 2.2 and summary["sigmoid, plain test accuracy"] < 0.15
    assert summary["sigmoid, batch norm final train loss"] < 0.2 and summary["sigmoid, batch norm test accuracy"] > 0.9
    assert summary["tanh, plain test accuracy"] > 0.9 and summary["tanh, batch norm test accuracy"] > 0.9
    assert summary["tanh, plain final train loss"] < 0.02 and summary["tanh, batch norm final train loss"] < 0.02
    early = zip(runs["tanh, batch norm"]["train_loss"][:12], runs["tanh, plain"]["train_loss"][:12])
    assert all(normed < plain for normed, plain in early)  # with tanh, batch norm is ahead in the first 12 epochs
