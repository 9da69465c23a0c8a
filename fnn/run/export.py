"""A trained run's prediction function, written to run without fnn: ``fnn export RUN_DIR``.

``export(run_dir, out)`` writes, beside each other:
    model.jax_export  ``jax.export``'s serialized StableHLO of ``TrainedModel.predict_numbers``:
                      raw float32 rows (b, D) -> class numbers (b,) int32, or targets (b, T) float32
                      in the data's units, with a symbolic batch dimension b. It loads with JAX
                      alone: ``jax.export.deserialize(blob).call(X)``.
    model.onnx        (``onnx=True``) the same function through ``jax2onnx``, for onnxruntime or any
                      ONNX runtime (the optional extra ``pip install fnn[onnx]``).
    export.json       the input width, what the output holds, and the class names that turn class
                      numbers back into the data's own labels.
The parameters, the feature scaling fitted on the training split and the target scaling are
constants of the function, so a caller passes rows in the data's own units, as to ``fnn predict``.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp

from fnn.run import models, outdir
from fnn.run.trained import load
from fnn.util import files

JAX_FILE = "model.jax_export"
ONNX_FILE = "model.onnx"
INFO_FILE = "export.json"


def export(run_dir, out=None, *, onnx: bool = False) -> dict[str, Path]:
    """Write the prediction function of the finished run in ``run_dir`` to ``out`` (default: the run
    folder); return the paths written.

    Raises:
        ValueError: the run is a language model (its inputs are text), or ``out`` cannot be written.
        ImportError: ``onnx`` without the ``jax2onnx`` package, naming the extra to install.
    """
    model = load(run_dir)
    if models.get(model.config.model).writes_text:
        raise ValueError(f"export: expected a run that predicts from rows of numbers, got a {model.config.model} run "
                         "(a language model reads text: fnn sample and fnn predict use it)")
    out = outdir.writable_folder(Path(run_dir) if out is None else out, "--out")
    predict = jax.jit(model.predict_numbers)
    rows = jax.ShapeDtypeStruct((jax.export.symbolic_shape("b")[0], *model.in_shape), jnp.float32)
    exported = jax.export.export(predict)(rows)
    written = {"jax": files.atomic_write(out / JAX_FILE, lambda f: f.write(exported.serialize()))}
    if onnx:
        written["onnx"] = _write_onnx(predict, model.in_shape, out / ONNX_FILE)
    info = {"input": {"dtype": "float32", "shape": ["b", *model.in_shape], "features": list(model.features)},
            "output": _output(model, exported.out_avals[0]), "files": {kind: path.name for kind, path in written.items()},
            "load": "jax.export.deserialize(open('model.jax_export', 'rb').read()).call(rows)"}
    written["info"] = files.atomic_write_text(out / INFO_FILE, json.dumps(info, indent=1))
    return written


def _output(model, result: jax.ShapeDtypeStruct) -> dict:
    """What the exported function returns: its dtype and shape, and for a classifier the name of each class number."""
    described = {"dtype": str(result.dtype), "shape": ["b", *result.shape[1:]]}
    if model.target_scaler is not None:
        return {"kind": "regression targets in the data's units"} | described
    return {"kind": "class numbers"} | described | {"class_names": list(model.class_names)}


def _write_onnx(predict, in_shape, path: Path) -> Path:
    try:
        from jax2onnx import to_onnx
    except ImportError:
        raise ImportError("export: ONNX needs the jax2onnx package: pip install 'fnn[onnx]'") from None
    proto = to_onnx(predict, [("b", *in_shape)], model_name="fnn_predict")
    return files.atomic_write(path, lambda f: f.write(proto.SerializeToString()))
