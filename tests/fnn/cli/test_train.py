import contextlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import checkpoint, cli
from fnn.cli import train_flags
from fnn.models import mlp
from fnn.run import assembly, configuration
from reference import audit


@pytest.fixture(scope="module")
def one_epoch(tmp_path_factory):
    """A finished default run of one epoch. Tests resume copies of it."""
    out = tmp_path_factory.mktemp("one-epoch")
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["train", "--epochs", "1", "--out", str(out), "--no-progress", "--no-plots"]) == 0
    return out


def test_default_run_reaches_95_percent_on_digits_and_writes_its_outputs(tmp_path, capsys):
    assert cli.main(["train", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "MLP 64-128-128-10 relu (26,122 parameters), adam lr=0.001, batch 64" in out
    assert "train loss train acc  val loss   val acc" in out
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["test"]["accuracy"] >= 0.95
    assert f"test accuracy {run['test']['accuracy']:.4f}" in out
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history) == 30 and history[-1]["val_accuracy"] >= 0.9
    assert (tmp_path / "history.csv").read_text().startswith("epoch,train_loss")
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert run["test_report"]["accuracy"] == pytest.approx(run["test"]["accuracy"], rel=1e-6)
    assert "   macro" in out and run["test_report"]["macro"]["support"] == 359
    like = mlp.mlp((128, 128), 10).init(jax.random.key(0), (64,), dtype=jnp.float32)[1]
    params = checkpoint.load_params(tmp_path / "params.npz", like)
    assert params[0].W.dtype == jnp.float32
    assert configuration.RunConfig.from_dict(json.loads((tmp_path / "config.json").read_text())) == configuration.RunConfig()


def test_no_plots_writes_every_number_and_no_figure(tmp_path, capsys):
    assert cli.main(["train", "--epochs", "1", "--out", str(tmp_path), "--no-progress", "--no-plots"]) == 0
    written = {path.name for path in tmp_path.iterdir()}
    assert {"run.json", "history.json", "history.csv", "params.npz", "config.json"} <= written
    assert not any(name.endswith(".png") for name in written) and ".png" not in capsys.readouterr().out


def test_manual_and_auto_gradients_give_the_same_parameters_after_one_epoch(tmp_path):
    runs = {}
    for gradients in ("auto", "manual"):
        out = tmp_path / gradients
        args = ["train", "--epochs", "1", "--dtype", "float64", "--gradients", gradients, "--out", str(out),
                "--no-progress", "--no-plots"]
        assert cli.main(args) == 0
        with np.load(out / "params.npz") as f:
            runs[gradients] = {k: f[k] for k in f.files}
    for name, auto in runs["auto"].items():
        assert auto.dtype == np.float64
        np.testing.assert_allclose(runs["manual"][name], auto, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("flag", ["--dataset", "--optimizer", "--gradients", "--activation"])
def test_a_wrong_flag_value_is_one_line_listing_the_choices(flag, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", flag, "nonsense"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice: 'nonsense' (choose from" in err and "Traceback" not in err


def test_the_dataset_choices_are_named():
    result = subprocess.run([sys.executable, "-m", "fnn.cli", "train", "--dataset", "cifar10"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    err = result.stderr.strip()
    assert "\n" not in err and err.startswith("fnn train: error: argument --dataset: invalid choice: 'cifar10' (choose from")
    assert all(name in err for name in ("digits", "iris", "mnist1d", "mnist", "xor", "spirals", "moons"))


def test_a_bad_value_is_a_one_line_error_not_a_traceback(tmp_path, capsys):
    assert cli.main(["train", "--batch-size", "5000", "--epochs", "1", "--out", str(tmp_path),
                     "--no-progress", "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "fnn train: error: --batch-size: expected at most the 1079 training samples, got 5000"


def test_gradcheck_prints_the_table_and_fails_on_a_bad_row(monkeypatch, capsys):
    good = audit.Row("layer", "dense", 1e-16, 1e-10, kinked=False)
    monkeypatch.setattr(audit, "audit", lambda key: [good])
    assert cli.main(["gradcheck"]) == 0
    assert "1 of 1 hand-derived gradients agree" in capsys.readouterr().out
    monkeypatch.setattr(audit, "audit", lambda key: [good, audit.Row("loss", "mse", 1e-3, 1e-3, kinked=False)])
    assert cli.main(["gradcheck"]) == 1
    assert "out of tolerance: mse" in capsys.readouterr().out


@pytest.mark.slow
def test_gradcheck_checks_every_rule_of_the_table(capsys):
    """The README's and the layers page's ``fnn gradcheck``: 72 of 72 (fnn 0.1.0; the count grows with the table),
    and every row the layers page quotes, to the digit."""
    assert cli.main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("72 of 72 hand-derived gradients agree")
    page = (Path(__file__).parents[3] / "docs" / "layers.md").read_text()
    quoted = [line for line in page.splitlines() if line.startswith(("activation   ", "layer        ", "model        "))]
    assert len(quoted) == 6 and all(line in out.splitlines() for line in quoted)


OPTIMIZER_FLAGS = {
    "sgd": ["--lr", "0.1"],
    "momentum": ["--lr", "0.02", "--rho", "0.8", "--form", "step"],
    "nesterov": ["--lr", "0.02", "--rho", "0.85"],
    "adagrad": ["--lr", "0.02", "--eps", "1e-6", "--eps-in-sqrt", "true"],
    "rmsprop": ["--decay", "0.95", "--eps", "1e-5"],
    "adadelta": ["--rho", "0.9"],
    "adam": ["--b1", "0.85", "--bias-correction", "true", "--weight-decay", "0.0001"],
    "adamax": ["--lr", "0.004", "--b2", "0.99"],
    "rprop": ["--eta-plus", "1.1", "--max-step", "0.05"],
}


def test_every_optimizer_has_its_flags():
    from fnn import optim

    assert set(OPTIMIZER_FLAGS) == set(optim.BY_NAME)


@pytest.mark.parametrize("name", sorted(set(OPTIMIZER_FLAGS) - {"adam"}))
def test_every_optimizer_reaches_95_percent_on_digits_with_its_command_line_defaults(name, tmp_path, capsys):
    """Rprop follows the sign of the whole gradient: its default minibatch is the training set. Adam,
    the default optimizer, is ``test_default_run_reaches_95_percent_on_digits_and_writes_its_outputs``."""
    assert cli.main(["train", "--optimizer", name, "--out", str(tmp_path), "--no-progress", "--no-plots"]) == 0
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["test"]["accuracy"] >= 0.95 and run["epochs_run"] == 30, capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(OPTIMIZER_FLAGS))
def test_every_optimizer_takes_its_flags_from_the_command_line(name, capsys):
    """Each flag lands in the resolved configuration (``--print-config``, which trains nothing; the
    settings themselves are tested against their oracles in ``tests/fnn/optim``)."""
    flags = ["--epochs", "1", *OPTIMIZER_FLAGS[name]]
    assert cli.main(["train", "--optimizer", name, *flags, "--print-config"]) == 0
    config = json.loads(capsys.readouterr().out)
    given = dict(zip(flags[::2], flags[1::2]))
    for flag, value in given.items():
        name = flag[2:].replace("-", "_")
        stored = config["hyper"].get(name, config.get(name))
        assert str(stored).lower() == str(train_flags._number(value)).lower()


def test_schedule_snapshots_and_averaging_from_the_command_line(tmp_path, capsys):
    args = ["train", "--optimizer", "momentum", "--schedule", "cosine_restarts", "--schedule-args", "init_value=0.1,cycles=3",
            "--snapshots", "2", "--averaging", "ema", "--epochs", "6", "--out", str(tmp_path),
            "--no-progress", "--no-plots"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "momentum schedule cosine_restarts" in out and "ensemble accuracy" in out and "averaged accuracy" in out
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["test"]["ensemble_accuracy"] >= 0.9


def test_plateau_and_early_stopping_from_the_command_line(tmp_path):
    args = ["train", "--optimizer", "sgd", "--lr", "0.1", "--plateau", "1", "--early-stopping", "4", "--epochs", "40",
            "--out", str(tmp_path), "--no-progress", "--no-plots"]
    assert cli.main(args) == 0
    history = json.loads((tmp_path / "history.json").read_text())
    rates = [r["learning_rate"] for r in history]
    assert rates[0] == pytest.approx(0.1) and rates[-1] < 0.1
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["epochs_run"] == len(history) and 1 <= run["best_epoch"] <= len(history)


BAD_FLAGS = [
    (["--optimizer", "sgd", "--b1", "0.9"], "--b1: optimizer sgd: unknown hyperparameter b1; it takes learning_rate"),
    (["--optimizer", "adam", "--b1", "1.5"], "--b1: adam: expected b1 in [0, 1), got 1.5"),
    (["--lr", "-1"], "--lr: expected lr in (0, inf], got -1.0"),
    (["--lr", "inf"], "--lr: expected lr to be a finite number, got inf"),
    (["--compute-dtype", "bfloat16", "--gradients", "manual"],
     "--compute-dtype: the hand-derived rules run in the parameters' dtype: expected gradients auto"),
    (["--schedule", "harmonic", "--lr", "0.1"], "--lr: lr and schedule exclude each other"),
    (["--schedule-args", "init_value=0.1"], "--schedule-args: expected a schedule to apply them to"),
    (["--schedule", "staircase", "--schedule-args", "init_value=0.1,decay_rate=0.5"],
     "--schedule-args: schedule staircase: missing hyperparameter step_size"),
    (["--schedule", "exponential", "--schedule-args", "init_value=abc"],
     "--schedule-args init_value: expected a finite number, got 'abc'"),
    (["--snapshots", "2"], "--snapshots: expected schedule cosine_restarts with cycles dividing epochs"),
    (["--data-dir", "somewhere"], "--data-dir: is for the mnist data set, got dataset 'digits'"),
    (["--dataset", "mnist"], "--data-dir: the mnist data set is read from disk: expected the folder of its IDX files"),
    (["--loss", "mse"], "--loss: mse does not fit digits, which has class labels; expected one of softmax_cross_entropy"),
    (["--dataset", "diabetes", "--loss", "softmax_cross_entropy"],
     "--loss: softmax_cross_entropy does not fit diabetes, which has real-valued targets"),
    (["--model", "conv-autoencoder", "--loss", "multiclass_hinge"],
     "--loss: multiclass_hinge does not fit the conv-autoencoder, whose targets are its inputs; expected one of mse"),
    (["--batch-size", "0"], "--batch-size: expected batch_size to be a positive int, got 0"),
    (["--checkpoint-every", "0"], "--checkpoint-every: expected checkpoint_every to be a positive int, got 0"),
    (["--checkpoint-every", "-3"], "--checkpoint-every: expected checkpoint_every to be a positive int, got -3"),
    (["--seed", "4294967296"], "--seed: expected seed to be an int in [0, 4294967295], got 4294967296"),
    (["--seed", "99999999999999999999999"], "--seed: expected seed to be an int in [0, 4294967295]"),
    (["--strength", "0.1"], "--strength: is the regularizer's lambda, got 0.1 without a regularizer"),
    (["--augment", "flip=0.5"], "--augment flip: a mirrored digit is not the same digit"),
    (["--dataset", "moons", "--augment", "shift=1"], "--augment: shift and flip need image data"),
    (["--augment", "noise=-1"], "--augment noise: gaussian_noise: expected std in [0, inf], got -1"),
    (["--dropout", "1.5"], "--dropout: expected dropout in [0, 1), got 1.5"),
    (["--batchnorm", "before", "--batchnorm-momentum", "1"], "--batchnorm-momentum: expected batchnorm_momentum in [0, 1)"),
    (["--hidden", "64,32", "--residual"], "--residual: expected equal hidden widths for residual blocks"),
    (["--early-stopping", "0"], "--early-stopping: expected early_stopping to be an int in [1, 1000000], got 0"),
    (["--clip-norm", "-1"], "--clip-norm: expected clip_norm in (0, inf], got -1.0"),
    (["--weight-decay", "-1"], "--weight-decay: expected weight_decay in [0, inf], got -1.0"),
    (["--augment", "noise=abc"], "--augment noise: expected a finite number, got 'abc'"),
    (["--model", "cnn", "--dataset", "iris"], "--model: cnn needs images or sequences (digits, mnist, mnist1d), got"),
    (["--model", "cnn", "--batchnorm", "before"], "--batchnorm: applies to the mlp model, got model cnn"),
    (["--decoder", "unpool"], "--decoder: applies to the conv-autoencoder model, got model mlp"),
    (["--model", "rnn-lm"], "--model: the rnn-lm model and the text data sets (pysource) go together, got model rnn-lm"),
    (["--model", "gru", "--dataset", "iris"], "--model: gru reads each sample as a sequence: expected one of digits"),
    (["--model", "gru", "--dataset", "mnist1d", "--activation", "tanh"],
     "--activation: applies to the mlp, cnn and conv-autoencoder models, got model gru"),
    (["--dataset", "pysource", "--model", "rnn-lm", "--scaling", "standardize"],
     "--scaling: text is character ids: expected no scaling, got standardize"),
    (["--model", "conv-autoencoder", "--hidden", "64"], "--hidden: applies to the mlp, cnn, rnn, gru, lstm and rnn-lm models, got model conv"),
    (["--model", "conv-autoencoder", "--augment", "shift=1"], "--augment: the autoencoder's target is its unaugmented"),
    (["--optimizer", "rprop", "--min-step", "1", "--max-step", "0.1"],
     "optimizer flags: rprop: expected max_step >= min_step=1.0, got 0.1"),
    (["--pieces", "3"], "--pieces: applies to maxout units: expected activation maxout, got activation relu"),
    (["--batchnorm-momentum", "0.5"], "--batchnorm-momentum: applies to batch norm: expected batchnorm before or after, "
                                      "got batchnorm None"),
    (["--dropout-form", "lecture"], "--dropout-form: applies to dropout: expected a dropout rate above 0, got dropout 0.0"),
    (["--pieces", "100000", "--activation", "maxout"], "--pieces: expected pieces to be an int in [1, 64], got 100000"),
    (["--steps", "10"], "--steps: steps and epochs each set the length of the run: expected one of them, got --steps 10 "
                        "and --epochs 1"),
    (["--augment", "shift=100"], "--augment shift: random_shift: expected max_shift to be an int in [0, 3], got 100"),
    (["--eps", "inf"], "--eps: expected a finite number, got inf"),
    (["--early-stopping", "2000000"], "--early-stopping: expected early_stopping to be an int in [1, 1000000]"),
    (["--resume", "elsewhere", "--overwrite"], "--overwrite starts a new run in its folder and --resume continues the "
                                               "stored one: expected one of them, got both"),
]


@pytest.mark.parametrize("flags, message", BAD_FLAGS)
def test_every_flag_is_checked_before_data_is_loaded_naming_the_flag(flags, message, tmp_path, capsys, monkeypatch):
    def no_data(*args, **kwargs):
        raise AssertionError("data loaded before the flags were checked")

    monkeypatch.setattr(assembly, "prepare", no_data)
    assert cli.main(["train", *flags, "--epochs", "1", "--out", str(tmp_path), "--no-progress", "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fnn train: error: {message}") and err.count("\n") == 1


@pytest.fixture(scope="module")
def mnist_files(tmp_path_factory):
    """MNIST IDX files of 40 training and 8 test images, for both models (one data set to prepare)."""
    from tests.fnn.data.test_idx import write_mnist

    folder = tmp_path_factory.mktemp("idx")
    write_mnist(folder, n_train=40, n_test=8)
    return folder


def test_mnist_from_disk_from_the_command_line(mnist_files, tmp_path):
    """MNIST from its IDX files (MNIST-1D's command-line run: ``test_the_mnist1d_paper_recipe_at_a_small_size``)."""
    args = ["train", "--dataset", "mnist", "--data-dir", str(mnist_files), "--batch-size", "8", "--epochs", "1",
            "--out", str(tmp_path / "b"), "--no-progress", "--no-plots"]
    assert cli.main(args) == 0
    assert json.loads((tmp_path / "b" / "run.json").read_text())["test_report"]["macro"]["support"] == 8


def test_the_cnn_trains_on_mnist_from_disk(mnist_files, tmp_path, capsys):
    args = ["train", "--model", "cnn", "--dataset", "mnist", "--data-dir", str(mnist_files), "--batch-size", "8",
            "--epochs", "1", "--out", str(tmp_path / "run"), "--no-progress", "--no-plots"]
    assert cli.main(args) == 0
    assert "CNN 28x28x1 conv32k3-pool-conv64k3-pool (784 inputs)" in capsys.readouterr().out
    assert json.loads((tmp_path / "run" / "run.json").read_text())["test_report"]["macro"]["support"] == 8


def test_mixed_precision_from_the_command_line_reaches_96_percent_on_digits(tmp_path):
    """bfloat16 forward and backward, float32 weights, Adam and loss: 0.9749 measured (float32: 0.9777)."""
    assert cli.main(["train", "--compute-dtype", "bfloat16", "--out", str(tmp_path),
                     "--no-progress", "--no-plots"]) == 0
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["config"]["compute_dtype"] == "bfloat16" and run["test"]["accuracy"] >= 0.96
    with np.load(tmp_path / "params.npz") as f:
        assert {f[name].dtype for name in f.files} == {np.dtype(np.float32)}


@pytest.mark.slow
def test_batch_norm_at_momentum_0_99_trains_as_well_in_bfloat16_as_in_float32(tmp_path):
    """The devices page: with ``--batchnorm before --batchnorm-momentum 0.99`` both precisions reach
    0.9889 (the running statistics are kept in float32, so 0.01 times a small change does not round away)."""
    accuracy = {}
    for precision, flag in (("float32", []), ("bfloat16", ["--compute-dtype", "bfloat16"])):
        flags = ["--batchnorm", "before", "--batchnorm-momentum", "0.99", *flag]
        assert cli.main(["train", *flags, "--out", str(tmp_path / precision), "--no-progress", "--no-plots"]) == 0
        accuracy[precision] = json.loads((tmp_path / precision / "run.json").read_text())["test"]["accuracy"]
    assert accuracy["float32"] >= 0.98 and abs(accuracy["bfloat16"] - accuracy["float32"]) <= 0.005


def test_mnist_without_files_is_a_one_line_error(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fnn train: error: mnist: no IDX file train-images-idx3-ubyte") and err.count("\n") == 1


@pytest.mark.parametrize("flags", [["--batchnorm", "before", "--dropout", "0.2"],
                                   ["--batchnorm", "after", "--dropout", "0.3", "--dropout-form", "lecture"]])
def test_manual_gradients_with_batchnorm_and_dropout(flags, tmp_path):
    runs = {}
    for gradients in ("auto", "manual"):
        out = tmp_path / gradients
        args = ["train", *flags, "--optimizer", "sgd", "--lr", "0.05", "--epochs", "1", "--dtype", "float64",
                "--gradients", gradients, "--out", str(out), "--no-progress", "--no-plots"]
        assert cli.main(args) == 0
        with np.load(out / "params.npz") as f:
            runs[gradients] = {k: f[k] for k in f.files}
    assert any("gamma" in name for name in runs["auto"])
    for name, auto in runs["auto"].items():
        np.testing.assert_allclose(runs["manual"][name], auto, rtol=1e-10, atol=1e-12)


def test_batchnorm_and_dropout_train_the_digits_mlp(tmp_path):
    args = ["train", "--batchnorm", "before", "--dropout", "0.2", "--epochs", "10", "--out", str(tmp_path),
            "--no-progress", "--no-plots"]
    assert cli.main(args) == 0
    assert json.loads((tmp_path / "run.json").read_text())["test"]["accuracy"] >= 0.95


def test_augmentation_from_the_command_line(tmp_path, capsys):
    args = ["train", "--augment", "noise=0.1", "--epochs", "10", "--out", str(tmp_path), "--no-progress", "--no-plots"]
    assert cli.main(args) == 0
    assert json.loads((tmp_path / "run.json").read_text())["test"]["accuracy"] >= 0.95
    # One-pixel shifts cost 8x8 digits accuracy (0.93 after 30 epochs, 2026-11-22); here: it runs.
    args = ["train", "--augment", "shift=1", "--epochs", "2", "--out", str(tmp_path / "s"),
            "--no-progress", "--no-plots"]
    assert cli.main(args) == 0
    assert json.loads((tmp_path / "s" / "run.json").read_text())["config"]["augment"] == {"shift": 1}


def test_resume_takes_the_stored_configuration_and_ends_like_an_uninterrupted_run(tmp_path, capsys):
    """The issue's case: a batch-norm, dropout run resumed with no flags but --resume; then once more
    with its flags repeated (they equal the stored ones). Two resumes end where one run of 4 epochs ends."""
    flags = ["--batchnorm", "before", "--dropout", "0.2", "--no-progress", "--no-plots"]
    assert cli.main(["train", "--epochs", "4", "--out", str(tmp_path / "whole"), *flags]) == 0
    assert cli.main(["train", "--epochs", "2", "--out", str(tmp_path / "cut"), *flags]) == 0
    capsys.readouterr()
    assert cli.main(["train", "--resume", str(tmp_path / "cut"), "--epochs", "3", "--no-progress", "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert f"resuming {tmp_path / 'cut' / 'last.npz'} at epoch 2 (the run has 3 epochs)" in out
    assert "(1 epochs in" in out  # the timing counts the epochs this call trained
    assert cli.main(["train", "--epochs", "4", "--resume", str(tmp_path / "cut"), *flags]) == 0
    with np.load(tmp_path / "whole" / "params.npz") as a, np.load(tmp_path / "cut" / "params.npz") as b:
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name])
    assert len(json.loads((tmp_path / "cut" / "history.json").read_text())) == 4
    assert (tmp_path / "cut" / "best.npz").exists()


@pytest.mark.parametrize("flags, message", [
    (["--hidden", "64"], "--hidden: is (128, 128) in the stored run"),
    (["--lr", "0.01"], "--lr: is unset in the stored run"),
    (["--seed", "3"], "--seed: is 0 in the stored run"),
    (["--b1", "0.5"], "--b1: is unset in the stored run"),
    (["--no-train-scores"], "--no-train-scores (train_scores): is True in the stored run"),
])
def test_resume_with_a_contradicting_flag_is_a_one_line_error(flags, message, one_epoch, tmp_path, capsys):
    out = shutil.copytree(one_epoch, tmp_path / "run")
    assert cli.main(["train", "--epochs", "2", *flags, "--resume", str(out), "--no-progress", "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert message in err and "only epochs, steps, checkpoint_every may change" in err and err.count("\n") == 1


def test_monitor_from_the_command_line(tmp_path):
    assert cli.main(["train", "--monitor", "--epochs", "2", "--out", str(tmp_path), "--no-progress"]) == 0
    assert (tmp_path / "layers.png").read_bytes()[:4] == b"\x89PNG"
    assert "update_ratio_3" in json.loads((tmp_path / "history.json").read_text())[-1]


@pytest.mark.parametrize("flags", [["--residual", "--hidden", "32,32"], ["--activation", "maxout", "--pieces", "3"]])
def test_residual_and_maxout_models_with_manual_gradients_equal_autodiff(flags, tmp_path):
    runs = {}
    for gradients in ("auto", "manual"):
        out = tmp_path / gradients
        args = ["train", *flags, "--epochs", "1", "--dtype", "float64", "--gradients", gradients, "--out", str(out),
                "--no-progress", "--no-plots"]
        assert cli.main(args) == 0
        with np.load(out / "params.npz") as f:
            runs[gradients] = {k: f[k] for k in f.files}
    for name, auto in runs["auto"].items():
        np.testing.assert_allclose(runs["manual"][name], auto, rtol=1e-10, atol=1e-12)


def test_regression_on_diabetes_reports_rmse_and_draws_predictions(tmp_path, capsys):
    args = ["train", "--dataset", "diabetes", "--loss", "mse", "--hidden", "32", "--epochs", "40", "--batch-size", "32",
            "--out", str(tmp_path), "--no-progress"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    run = json.loads((tmp_path / "run.json").read_text())
    assert "val rmse" in out and "test rmse" in out and run["test_report"] is None
    assert 0.2 < run["test"]["r2"] < 1 and run["test"]["rmse_in_target_units"] < 75  # the target's std is 77
    assert (tmp_path / "predictions.png").read_bytes()[:4] == b"\x89PNG"


def test_steps_and_minibatches_in_order_without_training_set_scores(tmp_path, capsys):
    args = ["train", "--steps", "40", "--batch-size", "100", "--no-shuffle", "--no-train-scores", "--out",
            str(tmp_path), "--no-progress", "--no-plots"]
    assert cli.main(args) == 0
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history) == 4  # 10 steps per epoch of 1079 samples in batches of 100
    assert "train_accuracy" not in history[-1] and "val_accuracy" in history[-1]
    lines = capsys.readouterr().out.splitlines()
    header = next(k for k, line in enumerate(lines) if line.split()[:3] == ["epoch", "train", "loss"])
    row = next(line for line in lines[header:] if line.split()[:1] == ["4"])
    assert row.split()[2] == "-" and float(row.split()[4]) == pytest.approx(history[-1]["val_accuracy"], abs=1e-4)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["steps"] == 40 and config["shuffle"] is False and config["train_scores"] is False


def test_resume_refuses_what_it_cannot_continue_faithfully(tmp_path, capsys):
    steps = ["train", "--steps", "25", "--out", str(tmp_path / "s"), "--no-progress", "--no-plots"]
    assert cli.main(steps) == 0  # 16 steps per epoch: the second epoch stops after 9
    assert cli.main(["train", "--resume", str(tmp_path / "s"), "--epochs", "5", "--no-progress", "--no-plots"]) == 2
    assert "is 25 steps long; change steps, not epochs" in capsys.readouterr().err
    assert cli.main(["train", "--resume", str(tmp_path / "s"), "--steps", "40", "--no-progress", "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert "last.npz to end at step 32 (epoch 2 of 16 steps), got step 25: a run cut short by steps cannot" in err
    scheduled = ["train", "--optimizer", "momentum", "--schedule", "cosine_restarts", "--schedule-args",
                 "init_value=0.1,cycles=1", "--epochs", "1", "--out", str(tmp_path / "c"),
                 "--no-progress", "--no-plots"]
    assert cli.main(scheduled) == 0
    assert cli.main(["train", "--resume", str(tmp_path / "c"), "--epochs", "2", "--no-progress", "--no-plots"]) == 2
    assert "spans the stored run (total_steps by default)" in capsys.readouterr().err
    assert cli.main(["train", "--resume", str(tmp_path / "c"), "--out", str(tmp_path / "x"),
                     "--no-progress", "--no-plots"]) == 2
    assert "a resumed run continues in its folder" in capsys.readouterr().err


MNIST1D_RECIPE = ["--dataset", "mnist1d", "--initializer", "pytorch_uniform", "--bias-initializer", "pytorch_uniform",
                  "--lr", "1e-2", "--batch-size", "100", "--no-shuffle", "--val-fraction", "0", "--scaling", "none",
                  "--no-progress"]


def test_the_mnist1d_paper_recipe_at_a_small_size(tmp_path, capsys):
    assert cli.main(["train", *MNIST1D_RECIPE, "--hidden", "", "--steps", "120", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "mnist1d (train 4000, val 0, test 1000), MLP 40-10 relu" in out
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history) == 3 and "val_loss" not in history[0]
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["test"]["accuracy"] > 0.2 and run["test_report"]["macro"]["support"] == 1000  # 10 classes: chance is 0.1


SEEDS = ("0", "1", "2")
"""The MNIST-1D page's table (docs/mnist1d.md) shows seeds 0, 1 and 2 of each recipe."""


def _mnist1d_accuracy(tmp_path, *args) -> float:
    assert cli.main(["train", *args, "--steps", "6000", "--out", str(tmp_path)]) == 0
    return json.loads((tmp_path / "run.json").read_text())["test"]["accuracy"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("hidden, published", [([""], 0.32), (["100,100", "--residual"], 0.68)])
def test_the_mnist1d_paper_baselines_are_reproduced(hidden, published, seed, tmp_path):
    """6000 steps as in the paper; the MNIST-1D page's table comes from these runs."""
    assert abs(_mnist1d_accuracy(tmp_path, *MNIST1D_RECIPE, "--hidden", *hidden, "--seed", seed) - published) < 0.03


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_mnist1d_mlp_on_standardised_features_stays_below_the_raw_ones(seed, tmp_path):
    """The page's 63.5-65.5%: the paper's MLP without ``--scaling none`` (fnn's default standardisation)."""
    at = MNIST1D_RECIPE.index("--scaling")
    recipe = MNIST1D_RECIPE[:at] + MNIST1D_RECIPE[at + 2:]
    assert 0.63 <= _mnist1d_accuracy(tmp_path, *recipe, "--hidden", "100,100", "--residual", "--seed", seed) <= 0.66


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_mnist1d_paper_cnn_is_reproduced(seed, tmp_path):
    """The paper's CNN (94%) with its recipe; convolution biases start at zero (no PyTorch bias
    initializer for them)."""
    at = MNIST1D_RECIPE.index("--bias-initializer")
    recipe = MNIST1D_RECIPE[:at] + MNIST1D_RECIPE[at + 2:]  # the flag and its value
    assert abs(_mnist1d_accuracy(tmp_path, *recipe, "--model", "cnn", "--hidden", "", "--seed", seed) - 0.94) < 0.03


def test_a_diverging_run_fails_naming_the_epoch_and_step(tmp_path, capsys):
    args = ["train", "--optimizer", "sgd", "--lr", "1e30", "--epochs", "2", "--out", str(tmp_path),
            "--no-progress", "--no-plots"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "fnn train: error: fit: the training loss became nan at epoch 1, step 2" in err and err.count("\n") == 1
    assert not (tmp_path / "run.json").exists() and not (tmp_path / "last.npz").exists()


def test_outputs_are_protected(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert cli.main(["train", "--epochs", "1", "--no-progress", "--no-plots"]) == 0
    assert (tmp_path / "runs" / "digits" / "run.json").exists() and (tmp_path / "runs" / "digits-2" / "run.json").exists()
    capsys.readouterr()
    assert cli.main(["train", "--epochs", "1", "--out", "runs/digits", "--no-progress", "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert "output folder runs/digits already holds a run" in err and err.count("\n") == 1
    assert cli.main(["train", "--epochs", "1", "--out", "runs/digits", "--overwrite",
                     "--no-progress", "--no-plots"]) == 0
    assert not (tmp_path / "runs" / "digits" / ".lock").exists()


def test_the_start_of_a_run_shows_the_whole_configuration(tmp_path, capsys):
    import re

    args = ["train", "--hidden", "32", "--regularizer", "l2", "--strength", "0.001", "--dropout", "0.1",
            "--batch-size", "100", "--clip-norm", "1", "--epochs", "1", "--out", str(tmp_path),
            "--no-progress", "--no-plots"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    train_n = int(re.search(r"digits \(train (\d+), val", out).group(1))
    assert f"MLP 64-32-10 relu ({64 * 32 + 32 + 32 * 10 + 10:,} parameters)" in out
    assert ("batch norm off, dropout 0.1 (inverted), regularizer l2 lambda=0.001, weight decay off, clip norm 1.0, "
            "schedule off, augment off, early stopping off, plateau off, averaging off, snapshots off") in out
    assert "loss J = softmax_cross_entropy + l2 penalty (lambda 0.001) (every loss below is J)" in out
    assert (f"{train_n // 100} steps per epoch; {train_n % 100} of {train_n} training samples left out per epoch "
            "(a new random subset each epoch)") in out


def test_help_names_each_hyperparameters_optimizers_and_defaults_and_version_prints(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--rho RHO of momentum (default 0.9), nesterov (default 0.9), adadelta (default 0.95)" in text
    assert "learning rate (defaults: sgd 0.1, momentum 0.01," in text
    assert "--epochs EPOCHS passes over the training set (default: 30)" in text
    assert "--dropout DROPOUT rate of zeroing each hidden unit (default: 0.0)" in text
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    from importlib.metadata import version

    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"fnn {version('fnn')}"


def test_resume_may_not_shorten_a_run_nor_restart_one_that_stopped_early(one_epoch, tmp_path, capsys):
    done = shutil.copytree(one_epoch, tmp_path / "a")
    assert cli.main(["train", "--epochs", "1", "--resume", str(done), "--no-progress", "--no-plots"]) == 2
    assert "--epochs: expected more than the 1 epochs done in" in capsys.readouterr().err
    stopping = ["train", "--optimizer", "sgd", "--lr", "1e-9", "--early-stopping", "1", "--epochs", "20",
                "--out", str(tmp_path / "b"), "--no-progress", "--no-plots"]
    assert cli.main(stopping) == 0
    stopped_at = len(json.loads((tmp_path / "b" / "history.json").read_text()))
    assert stopped_at < 20
    assert cli.main(["train", "--epochs", "30", "--resume", str(tmp_path / "b"), "--no-progress", "--no-plots"]) == 2
    assert f"stopped early at epoch {stopped_at} (its patience ran out); there is nothing to resume" in \
        capsys.readouterr().err


@pytest.mark.parametrize("flags, epoch, message", [
    ([], 0, "interrupted before the first epoch ended; nothing was saved"),
    (["--averaging", "ema"], 4, "interrupted at epoch 4; a run with averaging or snapshots cannot be resumed"),
])
def test_ctrl_c_says_when_a_run_cannot_be_resumed(flags, epoch, message, tmp_path, capsys, monkeypatch):
    from fnn import run
    from fnn.fit import Interrupted

    def interrupted(*args, **kwargs):
        raise Interrupted(epoch, [])

    monkeypatch.setattr(run, "run", interrupted)
    assert cli.main(["train", *flags, "--out", str(tmp_path), "--no-progress", "--no-plots"]) == 130
    assert capsys.readouterr().err == f"fnn train: {message}\n"


def test_the_cnn_reaches_98_percent_on_digits_and_shows_its_receptive_fields(tmp_path, capsys):
    assert cli.main(["train", "--model", "cnn", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "CNN 8x8x1 conv32k3-pool-conv64k3-pool (64 inputs) dense 128-128-10 relu" in out
    assert "receptive fields: Conv 8x8 sees 3x3 inputs (jump 1x1), MaxPool 4x4 sees 4x4 inputs (jump 2x2)" in out
    assert json.loads((tmp_path / "run.json").read_text())["test"]["accuracy"] >= 0.98
    assert (tmp_path / "filters.png").read_bytes()[:4] == (tmp_path / "feature_maps.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
@pytest.mark.parametrize("seed, published", [("1", 0.9944), ("2", 0.9721)])
def test_the_cnn_page_other_seeds(seed, published, tmp_path):
    """The CNN page's seeds 1 and 2 (seed 0 runs by default above): each within 0.01 of the page."""
    assert cli.main(["train", "--model", "cnn", "--seed", seed, "--out", str(tmp_path),
                     "--no-progress", "--no-plots"]) == 0
    assert abs(json.loads((tmp_path / "run.json").read_text())["test"]["accuracy"] - published) <= 0.01


def test_the_cnn_with_hand_derived_gradients_equals_autodiff(tmp_path):
    runs = {}
    for gradients in ("auto", "manual"):
        args = ["train", "--model", "cnn", "--hidden", "16", "--optimizer", "sgd", "--steps", "4", "--dtype",
                "float64", "--gradients", gradients, "--out", str(tmp_path / gradients), "--no-progress", "--no-plots"]
        assert cli.main(args) == 0
        with np.load(tmp_path / gradients / "params.npz") as f:
            runs[gradients] = {k: f[k] for k in f.files}
    for name, auto in runs["auto"].items():
        np.testing.assert_allclose(runs["manual"][name], auto, rtol=1e-10, atol=1e-12)
