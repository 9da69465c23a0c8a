import csv
import json

import pytest

from fnn import history
from fnn.plots import history as history_plot

RECORDS = [
    {"epoch": 1, "train_loss": 1.0, "train_accuracy": 0.5, "val_loss": 1.2, "val_accuracy": 0.4, "seconds": 0.1},
    {"epoch": 2, "train_loss": 0.5, "train_accuracy": 0.8, "val_loss": 0.7, "val_accuracy": 0.7, "seconds": 0.1},
]


def test_save_writes_json_and_csv_with_every_record(tmp_path):
    paths = history.save(RECORDS, tmp_path)
    assert json.loads(paths["json"].read_text()) == RECORDS
    rows = list(csv.DictReader(paths["csv"].open()))
    assert [float(r["val_accuracy"]) for r in rows] == [0.4, 0.7]


def test_plot_writes_a_png(tmp_path):
    path = history_plot.plot(RECORDS, tmp_path / "curves.png", title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    regression = [{"epoch": 1, "train_loss": 1.0}, {"epoch": 2, "train_loss": 0.5}]
    assert history_plot.plot(regression, tmp_path / "r.png").stat().st_size > 1000


def test_the_metric_panel_shows_the_splits_the_records_have():
    import matplotlib.pyplot as plt

    without_train_scores = [{k: v for k, v in r.items() if k != "train_accuracy"} for r in RECORDS]
    mixed = [without_train_scores[0], RECORDS[1]]  # a record without a value leaves a gap
    for records, lines in ((RECORDS, ["train", "val"]), (without_train_scores, ["val"]), (mixed, ["train", "val"])):
        fig = history_plot.figure(records)
        loss, accuracy = fig.axes
        assert accuracy.get_ylabel() == "accuracy"
        assert [line.get_label() for line in accuracy.get_lines()] == lines
        assert [line.get_label() for line in loss.get_lines()] == ["train", "val"]
        plt.close(fig)


def test_json_is_strict_and_a_nan_is_never_written(tmp_path):
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        history.save([{"epoch": 1, "train_loss": float("nan")}], tmp_path)
    assert not (tmp_path / "history.json").exists()
