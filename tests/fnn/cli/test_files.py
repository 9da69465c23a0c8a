"""The files of the ``fnn`` command: what it reads and writes, and each way that can go wrong
(a bad output path, rows that are no numbers, a damaged checkpoint, a full disk, two runs at once)."""

import errno
import io
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from fnn import cli, run
from tests.fnn.test_checkpoint import planted

TRAIN = ["train", "--epochs", "1", "--hidden", "8", "--no-progress"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished run (digits, 1 epoch) and 5 rows of its inputs. Tests that change it work on a copy."""
    out = tmp_path_factory.mktemp("run")
    assert cli.main([*TRAIN, "--no-plots", "--out", str(out)]) == 0
    rows = np.random.default_rng(0).uniform(0, 16, (5, 64))
    return out, rows


def one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith(f"fnn {command}: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def test_predictions_are_written_as_npz_npy_or_csv_and_another_suffix_is_refused_first(finished, tmp_path, capsys):
    out, rows = finished
    expected = np.asarray(run.load(out).predict(rows))
    np.save(tmp_path / "rows.npy", rows)
    for name in ("p.npz", "p.npy", "p.csv"):
        assert cli.main(["predict", str(out), str(tmp_path / "rows.npy"), "--output", str(tmp_path / name)]) == 0
    with np.load(tmp_path / "p.npz") as saved:
        assert saved.files == ["predictions"]
        np.testing.assert_array_equal(saved["predictions"], expected)
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), expected)
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "p.csv", dtype=expected.dtype), expected)
    capsys.readouterr()
    # checked before the run is even loaded: this run folder does not exist
    assert cli.main(["predict", str(tmp_path / "nothing"), str(tmp_path / "rows.npy"), "--output", "p.txt"]) == 2
    assert one_line_error(capsys, "predict") == \
        "fnn predict: error: --output p.txt: expected a file name ending in .csv, .npy, .npz, got '.txt'"


def test_rows_that_are_no_numbers_are_named(finished, tmp_path, capsys):
    out, _ = finished
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "cell.csv").write_text(",".join(["1"] * 64) + "\n" + ",".join(["1"] * 63 + ["x"]) + "\n")
    np.save(tmp_path / "text.npy", np.full((2, 64), "a"))
    np.save(tmp_path / "objects.npy", np.array([[{}] * 64], dtype=object), allow_pickle=True)
    cases = {"empty.csv": rf"predict: {tmp_path / 'empty.csv'} holds no rows; expected one row of numbers per line",
             "cell.csv": rf"predict: expected {tmp_path / 'cell.csv'} to be a \.npy array or a CSV file of numbers "
                         r"\(one row per line, no header\), got: could not convert string 'x' to float64 at row 1, "
                         "column 64",
             "text.npy": rf"predict: {tmp_path / 'text.npy'}: expected numbers \(integers or floats\), got dtype <U1$",
             "objects.npy": rf"predict: {tmp_path / 'objects.npy'}: expected numbers \(integers or floats\), "
                            "got dtype object$"}
    for name, message in cases.items():
        assert cli.main(["predict", str(out), str(tmp_path / name)]) == 2
        assert re.search(message, one_line_error(capsys, "predict")), name
    with pytest.raises(TypeError, match=r"^predict: expected numbers \(integers or floats\), got dtype <U1$"):
        run.load(out).predict(np.full((2, 64), "a"))


def bad_paths(tmp_path, leaf: str) -> dict:
    """Output paths that cannot be written, each with what the error says is wrong (a regex)."""
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder.csv").mkdir()
    through = tmp_path / "file" / leaf
    cases = {through: f"a component of the path is a file \\({re.escape(str(through))} is under the file "
                      f"{re.escape(str(tmp_path / 'file'))}\\)",
             tmp_path / ("x" * 300) / leaf: r"the name x{20}\.\.\. is 300 bytes long, more than the 255 the file "
                                            "system allows"}
    if leaf.endswith(".csv"):
        return cases | {tmp_path / "folder.csv": "is a folder, expected a file"}
    return cases | {tmp_path / "file": "is a file, expected a folder"}


@pytest.mark.parametrize("command", ["train", "search", "experiment", "predict"])
def test_a_bad_output_path_is_one_line_naming_it_before_any_work(command, finished, tmp_path, capsys, monkeypatch):
    from fnn.experiments import schedules
    from fnn.run import assembly

    def no_work(*args, **kwargs):
        raise AssertionError("work started before the output path was checked")

    out, rows = finished
    np.save(tmp_path / "rows.npy", rows)
    for module, name in ((assembly, "load_data"), (schedules, "run"), (run, "load")):
        monkeypatch.setattr(module, name, no_work)
    argv, flag = {"train": ([*TRAIN, "--out"], "--out"),
                  "search": (["search", *TRAIN[1:], "--space", "lr=grid:0.1", "--out"], "--out"),
                  "experiment": (["experiment", "schedules", "--size", "small", "--out"], "--out"),
                  "predict": (["predict", str(out), str(tmp_path / "rows.npy"), "--output"], "--output")}[command]
    for path, problem in bad_paths(tmp_path, "a.csv" if command == "predict" else "a").items():
        assert cli.main([*argv, str(path)]) == 2, path
        assert re.fullmatch(f"fnn {command}: error: {flag} {re.escape(str(path))}: {problem}",
                            one_line_error(capsys, command)), path


def test_a_nan_planted_in_a_checkpoint_is_named_not_blamed_on_the_learning_rate(finished, tmp_path, capsys):
    out = shutil.copytree(finished[0], tmp_path / "run")
    for name, leaf in (("last.npz", "['state'].opt_state.inner_state.v[0].W"), ("best.npz", "['state'].params[0].W")):
        planted(out / name, leaf, np.nan)
    capsys.readouterr()
    assert cli.main(["train", "--resume", str(out), "--epochs", "2", "--no-progress", "--no-plots"]) == 2
    assert one_line_error(capsys, "train") == (
        f"fnn train: error: load_checkpoint: {out / 'last.npz'} leaf ['state'].opt_state.inner_state.v[0].W holds 1 "
        "NaN or infinite values; training saves only finite ones, so the file is damaged: train again")
    planted(out / "params.npz", "[0].W", np.nan)  # the file run.json was written with no longer: refused before reading
    assert cli.main(["predict", str(out), str(out / "config.json")]) == 2
    assert f"load: {out / 'params.npz'} is not the file {out / 'run.json'} was written with" in \
        one_line_error(capsys, "predict")


class FullDisk(io.FileIO):
    """A file on a full disk: every write fails with ENOSPC."""

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def fill_disk_for(monkeypatch, path) -> None:
    """Make the temporary files of ``fnn.util.files`` for ``path`` (``.NAME.XXXXXXXX.tmp``) land on a full disk."""
    fdopen = os.fdopen

    def opened(fd, *args, **kwargs):
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(f".{path.name}."):
            return FullDisk(fd, "wb")
        return fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", opened)


@pytest.mark.parametrize("name", ["last.npz", "model.npz"])
def test_a_full_disk_names_the_file_and_the_finished_run_still_predicts(name, finished, tmp_path, capsys, monkeypatch):
    out, rows = finished
    out = shutil.copytree(out, tmp_path / "run")
    expected, record = np.asarray(run.load(out).predict(rows)), (out / "run.json").read_text()
    fill_disk_for(monkeypatch, out / name)
    capsys.readouterr()
    assert cli.main(["train", "--resume", str(out), "--epochs", "2", "--no-progress", "--no-plots"]) == 2
    assert one_line_error(capsys, "train") == \
        f"fnn train: error: [Errno 28] cannot write {out / name}: No space left on device"
    monkeypatch.undo()
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert (out / "run.json").read_text() == record  # model.npz failed: params.npz was not replaced either
    np.testing.assert_array_equal(run.load(out).predict(rows), expected)
    assert cli.main(["evaluate", str(out)]) == 0


def test_two_runs_started_at_once_choose_two_folders(tmp_path):
    command = [sys.executable, "-m", "fnn.cli", *TRAIN, "--no-plots"]
    runs = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    for process in runs:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    for folder in ("digits", "digits-2"):
        record = json.loads((tmp_path / "runs" / folder / "run.json").read_text())
        assert record["config"]["hidden"] == [8] and not (tmp_path / "runs" / folder / ".lock").exists()
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["digits", "digits-2"]

