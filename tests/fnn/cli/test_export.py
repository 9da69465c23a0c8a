"""``fnn export``: the prediction function reloaded without fnn (jax.export) and under onnxruntime equals ``fnn predict``."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits

from fnn import cli

WITHOUT_FNN = textwrap.dedent("""
    import sys
    sys.modules["fnn"] = None  # importing fnn now fails: the exported function must not need it
    import json, jax, numpy as np
    exported = jax.export.deserialize(bytearray(open(sys.argv[1], "rb").read()))
    rows = np.load(sys.argv[2])
    print(json.dumps([np.asarray(exported.call(rows)).tolist(), np.asarray(exported.call(rows[:3])).tolist()]))
""")


def predicted_by_the_command(run_dir, rows_file, capsys) -> list[str]:
    capsys.readouterr()
    assert cli.main(["predict", str(run_dir), str(rows_file)]) == 0
    return capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("flags, rows", [
    (["--classes", "3,7,9", "--hidden", "8", "--batchnorm", "before", "--dropout", "0.2"], load_digits().data[:9]),
    (["--model", "cnn", "--hidden", "8"], load_digits().data[:9]),
    (["--dataset", "diabetes", "--hidden", "8"], load_diabetes().data[:9] * 1.0),
], ids=["mlp with batch norm and dropout on some classes", "cnn", "regression"])
def test_the_exported_function_reloads_without_fnn_and_under_onnxruntime_and_predicts_what_fnn_predict_does(
        flags, rows, tmp_path, capsys):
    import onnxruntime

    run_dir = tmp_path / "run"
    assert cli.main(["train", *flags, "--epochs", "1", "--out", str(run_dir), "--no-progress", "--no-plots"]) == 0
    assert cli.main(["export", str(run_dir), "--onnx", "--out", str(tmp_path / "exported")]) == 0
    np.save(tmp_path / "rows.npy", rows.astype(np.float32))
    expected = predicted_by_the_command(run_dir, tmp_path / "rows.npy", capsys)
    info = json.loads((tmp_path / "exported" / "export.json").read_text())
    names = info["output"].get("class_names")

    def same_as_the_command(values, count=len(rows)):
        """Classes: the very labels printed; regression targets: to float32 rounding (XLA fuses the
        compiled function differently from fnn predict's)."""
        if names is not None:
            assert [str(names[k]) for k in values] == expected[:count]
        else:
            np.testing.assert_allclose(np.asarray(values, np.float32).reshape(count, -1),
                                       [[float(v) for v in line.split(",")] for line in expected[:count]], rtol=1e-6)

    done = subprocess.run([sys.executable, "-c", WITHOUT_FNN, str(tmp_path / "exported" / "model.jax_export"),
                           str(tmp_path / "rows.npy")], capture_output=True, text=True, check=True)
    all_rows, first_three = json.loads(done.stdout)
    same_as_the_command(all_rows)
    same_as_the_command(first_three, 3)  # the batch dimension is symbolic
    session = onnxruntime.InferenceSession(str(tmp_path / "exported" / "model.onnx"))
    same_as_the_command(session.run(None, {session.get_inputs()[0].name: rows.astype(np.float32)})[0])
    assert info["input"]["shape"] == ["b", 64 if "diabetes" not in flags else 10]


def test_a_missing_run_is_a_one_line_error(tmp_path, capsys):
    assert cli.main(["export", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err.startswith("fnn export: error: load: expected a finished run in ")
