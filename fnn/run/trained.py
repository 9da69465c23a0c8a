r"""A trained model saved with its run, and loaded back to predict: ``load(DIR).predict(X)``.

A finished run folder holds everything needed to use the model: ``params.npz`` (the
final parameters), ``model.npz`` (the model state, e.g. batch norm's running statistics,
and the preprocessing fitted on the training split: the feature scaler and, for
regression, the target scaler) and ``run.json`` (the configuration, input shape, output
units and the SHA-256 of the two ``.npz`` files). ``predict`` takes rows in the data set's
own units and applies the same scaling as training did; regression predictions come back
in the targets' units.

The three files belong together, and a folder never pairs a ``run.json`` with parameters of
another training. A new run in the folder (``fnn.run.run`` with ``overwrite`` or ``resume``)
leaves the finished model in place while it trains (its history, plots and checkpoints show
the new training as they are written); ``save`` then writes all three to temporary files
before it renames any (``files.atomic_write_all``): a failed write (a full disk) replaces
none, and the old model still loads. Only a crash between the renames can mix old and new
files, and ``load`` refuses that: the hashes in ``run.json`` no longer match.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import warnings
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn import checkpoint
from fnn.data import preprocessing, tabular, text
from fnn.models import recurrent
from fnn.objective import Objective
from fnn.run import models, outdir
from fnn.run.configuration import RunConfig, build_model, enable_dtype
from fnn.util import files, ranges

PARAMS_FILE = "params.npz"
MODEL_FILE = "model.npz"
RUN_FILE = "run.json"
OUTPUT_SUFFIXES = (".csv", ".npy", ".npz")
"""The files ``write_rows`` writes predictions to."""


class TrainedModel(NamedTuple):
    """A trained model with its preprocessing; ``predict`` maps raw rows to labels or target values."""

    config: RunConfig
    objective: Objective
    params: Any
    model_state: Any
    scaler: preprocessing.Scaler
    target_scaler: preprocessing.Scaler | None
    output_units: int
    labels: tuple = ()
    features: tuple = ()

    @property
    def in_shape(self) -> tuple:
        """The shape of one input row."""
        return tuple(self.scaler.shift.shape)

    def checked(self, X):
        """Raw rows (N, D), or one row (D,), checked, as float32 (the data sets' dtype) rows (N, D).

        Raises:
            TypeError: X holds no numbers (text, Python objects). ValueError: rows of another
                width, or NaN or infinite entries.
        """
        X = X if isinstance(X, jax.Array) else np.asarray(X)
        _check_numbers(X.dtype, "predict")
        X = jnp.asarray(X, jnp.float32)
        X = X[None] if X.ndim == 1 else X
        if X.ndim != 2 or X.shape[1:] != self.in_shape:
            raise ValueError(f"predict: expected rows of {self.in_shape[0]} features, shape (N, {self.in_shape[0]}), "
                             f"got shape {tuple(X.shape)}")
        if not bool(jnp.all(jnp.isfinite(X))):
            raise ValueError("predict: expected finite inputs, got NaN or infinite entries")
        return X

    def outputs(self, X):
        """The model's outputs (logits for a classifier) for float32 rows X (N, D), scaled as the
        training split was and cast to the run's dtype; traceable, unchecked."""
        scaled = preprocessing.transform(self.scaler, X).astype(self.config.dtype)
        return self.objective.outputs(self.params, scaled, self.model_state)

    def predict_numbers(self, X):
        """The traceable core of ``predict``, for float32 rows X (N, D), unchecked: class numbers
        0..K-1, or regression targets in the data's units (float32). ``fnn export`` writes it."""
        predictions = self.objective.task.predict(self.outputs(X))
        if self.target_scaler is None:
            return predictions
        return preprocessing.inverse_transform(self.target_scaler, predictions.astype(jnp.float32))

    def predict(self, X):
        """Class labels (N,) (the data set's own, for a run on a subset of its ``classes``; a data
        file's own values, text or numbers, as a NumPy array), or regression targets (N, T) in the
        data's units (float32), of raw rows X."""
        predictions = self.predict_numbers(self.checked(X))
        if self.labels:
            return np.asarray(self.labels)[np.asarray(predictions)]
        if self.config.classes:
            return jnp.asarray(self.config.classes, predictions.dtype)[predictions]
        return predictions

    @property
    def class_names(self) -> tuple:
        """What each class number stands for: a data file's own values, the data set's labels kept by
        ``classes``, or the numbers 0..K-1."""
        return self.labels or self.config.classes or tuple(range(self.objective.task.num_classes(self.output_units)))

    def predict_proba(self, X):
        """Class probabilities (N, K) of raw rows X, columns in the order of ``class_names``: softmax
        of the outputs (sigmoid for one output unit); for a model fitted with the multiclass hinge,
        whose outputs are no probabilities, the class scores themselves.

        Raises:
            ValueError: the run predicts no classes (a regression, a language model).
        """
        task = self.objective.task
        if not task.is_classifier or models.get(self.config.model).writes_text:
            raise ValueError(f"predict_proba: expected a run that classifies rows, got a {self.config.model} run with "
                             f"{'a language model' if task.is_classifier else 'real-valued targets'}")
        return task.class_scores(self.outputs(self.checked(X)))

    def sample(self, prime: str, *, length: int = 300, temperature: float = 1.0, seed: int = 0) -> str:
        """The text a language-model run writes after ``prime``, drawn from softmax(logits / temperature)."""
        for name, value in (("length", length), ("temperature", temperature), ("seed", seed)):
            ranges.check("sample", name, value)
        vocabulary = self._vocabulary("sample")
        ids = recurrent.generate(self.objective.model, self.params, vocabulary.encode(prime), length=length,
                                 temperature=temperature, key=jax.random.key(seed))
        return vocabulary.decode(ids)

    def predict_text(self, lines) -> list[str]:
        """For each line of text, the character a language-model run finds most likely after each
        of the line's prefixes: argmax_k p(c_{t+1} = k | c_1..c_t), decoded, as long as the line."""
        vocabulary, predicted = self._vocabulary("predict"), []
        for line in lines:
            ids = jnp.asarray(vocabulary.encode(line), self.config.dtype)[None]
            outputs = self.objective.outputs(self.params, ids, self.model_state) if ids.size else ids[..., None]
            predicted.append(vocabulary.decode(jnp.argmax(outputs[0], axis=-1)))
        return predicted

    def _vocabulary(self, where: str) -> text.Vocabulary:
        """The characters of a language-model run: those of this Python's corpus, which it was trained on."""
        if not models.get(self.config.model).writes_text:
            raise ValueError(f"{where}: expected a run of a language model (rnn-lm), got model {self.config.model}")
        vocabulary = text.Vocabulary(text.corpus())
        if len(vocabulary) != self.output_units:
            raise ValueError(f"{where}: the run has {self.output_units} characters, this Python's "
                             f"corpus {len(vocabulary)}: its standard library differs from the one the run was trained on")
        return vocabulary


def save(out, params, model_state, data, record: dict) -> dict[str, Path]:
    """Write ``params.npz``, ``model.npz`` (model state, the scalers of ``data``, an
    ``fnn.data.prepare.Prepared``) and ``run.json`` (``record``, which holds at least the config,
    in_shape and output_units; a data file's class labels and feature names; the hashes of the
    two) of a finished run to ``out`` together (module docstring); return their paths."""
    tree = {"model_state": model_state, "scaler": data.scaler, "target_scaler": data.target_scaler}
    contents = {PARAMS_FILE: checkpoint.params_bytes(params), MODEL_FILE: checkpoint.params_bytes(tree)}
    record = record | {"labels": list(data.labels), "features": list(data.features),
                       "sha256": {name: hashlib.sha256(blob).hexdigest() for name, blob in contents.items()}}
    contents[RUN_FILE] = json.dumps(record, indent=1, allow_nan=False).encode()
    paths = files.atomic_write_all({Path(out) / name: blob for name, blob in contents.items()})
    return dict(zip(("params", "model", "run"), paths))


def load(out) -> TrainedModel:
    """The trained model of a finished run folder (``fnn.run.run``'s ``out``). A float64 run
    turns on ``jax_enable_x64`` for the process, as training it did.

    Raises:
        ValueError: naming the folder and the missing file when the run did not finish, or the
            file that is not the one its ``run.json`` was written with.
    """
    out = Path(out)
    record = _record(out)
    config = RunConfig.from_dict(record["config"])
    in_shape, output_units = tuple(record["in_shape"]), record["output_units"]
    dtype = enable_dtype(config)
    model = build_model(config, output_units)
    _, params, state = model.init(jax.random.key(0), in_shape, dtype=dtype)
    features = preprocessing.fit_identity(jnp.zeros((1, *in_shape), jnp.float32))  # the scalers are float32
    task = config.task
    target = None if task.is_classifier else preprocessing.fit_identity(jnp.zeros((1, output_units), jnp.float32))
    saved = checkpoint.load_params(out / MODEL_FILE, {"model_state": state, "scaler": features, "target_scaler": target})
    params = checkpoint.load_params(out / PARAMS_FILE, params)
    return TrainedModel(config, Objective(model, task), params, saved["model_state"], saved["scaler"],
                        saved["target_scaler"], output_units, tuple(record.get("labels", ())),
                        tuple(record.get("features", ())))


def _record(out: Path) -> dict:
    """The ``run.json`` of a finished run, checked against the files beside it (their SHA-256)."""
    missing = [name for name in (RUN_FILE, PARAMS_FILE, MODEL_FILE) if not (out / name).exists()]
    if missing:
        raise ValueError(f"load: expected a finished run in {out}, got no {', '.join(missing)}")
    record = files.read_json(out / RUN_FILE, "load")
    hashes = record.get("sha256") if isinstance(record, dict) else None
    if not isinstance(hashes, dict) or not {"config", "in_shape", "output_units"} <= set(record):
        raise ValueError(f"load: expected config, in_shape, output_units and sha256 in {out / RUN_FILE}, got "
                         f"{sorted(record) if isinstance(record, dict) else type(record).__name__}; "
                         "a run made by an older fnn has to be trained again")
    for name in (PARAMS_FILE, MODEL_FILE):
        if hashlib.sha256((out / name).read_bytes()).hexdigest() != hashes.get(name):
            raise ValueError(f"load: {out / name} is not the file {out / RUN_FILE} was written with (its SHA-256 "
                             "differs): it was changed or damaged, or a run was cut short while replacing it; "
                             "train again")
    return record


def read_inputs(model: TrainedModel, path) -> np.ndarray:
    """The rows of ``path`` for ``model``: for a run trained on a CSV table, a CSV file whose header
    names the run's feature columns (``fnn.data.tabular.feature_rows``); otherwise ``read_rows``."""
    if model.config.data is not None and Path(model.config.data).suffix == Path(path).suffix == ".csv":
        return tabular.feature_rows(path, model.features)
    return read_rows(path)


def read_rows(path) -> np.ndarray:
    """Input rows from a ``.npy`` array or a CSV file of numbers (one row per line, no header).

    Raises:
        ValueError: naming the file: unreadable, not numbers (with numpy's row and column of a
            CSV cell), or holding no rows.
        TypeError: naming the file and its dtype: a ``.npy`` of text or Python objects.
    """
    path = Path(path)
    try:
        if path.suffix == ".npy":
            _check_numbers(_npy_dtype(path), f"predict: {path}")
            rows = np.load(path, allow_pickle=False)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "input contained no data": said below
                rows = np.loadtxt(path, delimiter=",", ndmin=2)
    except (OSError, ValueError) as error:
        raise ValueError(f"predict: expected {path} to be a .npy array or a CSV file of numbers (one row per "
                         f"line, no header), got: {error}") from None
    if rows.shape[:1] == (0,):
        raise ValueError(f"predict: {path} holds no rows; expected one row of numbers per line (CSV) "
                         "or an array (N, D)")
    return rows


def _npy_dtype(path) -> np.dtype:
    """The dtype in a ``.npy`` file's header, read without loading the array (objects would need pickle)."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        return header(f)[2]


def _check_numbers(dtype, where: str) -> None:
    """A TypeError naming ``where`` unless ``dtype`` holds real numbers: booleans, integers or floats."""
    if not any(jnp.issubdtype(dtype, kind) for kind in (jnp.bool_, jnp.integer, jnp.floating)):
        raise TypeError(f"{where}: expected numbers (integers or floats), got dtype {dtype}")


def format_rows(rows) -> str:
    """Predictions as CSV text: one row per line, floats with 10 significant digits."""
    rows = np.asarray(rows)
    return "".join(",".join(f"{v:.10g}" if rows.dtype.kind == "f" else str(v) for v in np.atleast_1d(row)) + "\n"
                   for row in rows)


def check_output(path, name: str) -> Path:
    """``path``, where ``write_rows`` can write: a name ending in ``OUTPUT_SUFFIXES`` whose folder is
    created and writable (``fnn.run.outdir.writable_file``).

    Raises:
        ValueError: naming ``name`` (a flag, a function) and the path, and what is wrong.
    """
    path = Path(path)
    if path.suffix not in OUTPUT_SUFFIXES:
        raise ValueError(f"{name} {path}: expected a file name ending in {', '.join(OUTPUT_SUFFIXES)}, got "
                         + (f"{path.suffix!r}" if path.suffix else "no suffix"))
    return outdir.writable_file(path, name)


def format_header(names) -> str:
    """A CSV line naming the columns (a name holding a comma or a quote is quoted)."""
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(names)
    return line.getvalue()


def write_rows(path, rows, header: str = "") -> Path:
    """Predictions to ``.csv`` (``header``, a line, then ``format_rows``), ``.npy`` or ``.npz`` (the
    array ``predictions``, and ``columns``, the header's names, when there is one), atomically."""
    path, rows = check_output(path, "write_rows"), np.asarray(rows)
    columns = {"columns": np.asarray(next(csv.reader([header])))} if header else {}
    writers = {".csv": lambda f: f.write((header + format_rows(rows)).encode()), ".npy": lambda f: np.save(f, rows),
               ".npz": lambda f: np.savez(f, predictions=rows, **columns)}
    return files.atomic_write(path, writers[path.suffix])
