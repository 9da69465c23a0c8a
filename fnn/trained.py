r"""A trained model saved with its run, and loaded back to predict: ``load(DIR).predict(X)``.

A finished run folder holds everything needed to use the model: ``params.npz`` (the
final parameters), ``model.npz`` (the model state, e.g. batch norm's running statistics,
and the preprocessing fitted on the training split: the feature scaler and, for
regression, the target scaler) and ``run.json`` (the configuration, input shape and
output units; written last, and removed when a run starts in the folder, so it always
belongs to the files beside it). ``predict`` takes rows in the data set's
own units and applies the same scaling as training did; regression predictions come back
in the targets' units.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn import checkpoint, files, runparts
from fnn.data import preprocessing, text
from fnn.models import recurrent
from fnn.objective import Objective
from fnn.runconfig import RunConfig, build_model

MODEL_FILE = "model.npz"


class TrainedModel(NamedTuple):
    """A trained model with its preprocessing; ``predict`` maps raw rows to labels or target values."""

    config: RunConfig
    objective: Objective
    params: Any
    model_state: Any
    scaler: preprocessing.Scaler
    target_scaler: preprocessing.Scaler | None

    @property
    def in_shape(self) -> tuple:
        """The shape of one input row."""
        return tuple(self.scaler.shift.shape)

    def scaled(self, X):
        """Raw rows (N, D), or one row (D,), checked and scaled as the training split was (in float32,
        the data sets' dtype), then cast to the run's dtype."""
        X = jnp.asarray(X, jnp.float32)
        X = X[None] if X.ndim == 1 else X
        if X.ndim != 2 or X.shape[1:] != self.in_shape:
            raise ValueError(f"predict: expected rows of {self.in_shape[0]} features, shape (N, {self.in_shape[0]}), "
                             f"got shape {tuple(X.shape)}")
        if not bool(jnp.all(jnp.isfinite(X))):
            raise ValueError("predict: expected finite inputs, got NaN or infinite entries")
        return preprocessing.transform(self.scaler, X).astype(self.config.dtype)

    def predict(self, X):
        """Class labels (N,) (the data set's own, for a run on a subset of its ``classes``), or
        regression targets (N, T) in the data's units (float32), of raw rows X."""
        predictions = self.objective.predict(self.params, self.scaled(X), self.model_state)
        if self.config.classes:
            return jnp.asarray(self.config.classes, predictions.dtype)[predictions]
        if self.target_scaler is None:
            return predictions
        return preprocessing.inverse_transform(self.target_scaler, predictions.astype(jnp.float32))

    def sample(self, prime: str, *, length: int = 300, temperature: float = 1.0, seed: int = 0) -> str:
        """The text a language-model run writes after ``prime``, drawn from softmax(logits / temperature)."""
        if self.config.model != "rnn-lm":
            raise ValueError(f"sample: expected a run of the rnn-lm model, got model {self.config.model}")
        vocabulary = text.Vocabulary(text.corpus())
        if len(vocabulary) != self.objective.model.layers[-1].units:
            raise ValueError(f"sample: the run has {self.objective.model.layers[-1].units} characters, this Python's "
                             f"corpus {len(vocabulary)}: its standard library differs from the one the run was trained on")
        ids = recurrent.generate(self.objective.model, self.params, vocabulary.encode(prime), length=length,
                                 temperature=temperature, key=jax.random.key(seed))
        return vocabulary.decode(ids)


def save(out, params, model_state, data) -> dict[str, Path]:
    """Write ``params.npz`` and ``model.npz`` (model state, the scalers of ``data``, an
    ``fnn.data.prepare.Prepared``) of a finished run to ``out``; return their paths."""
    tree = {"model_state": model_state, "scaler": data.scaler, "target_scaler": data.target_scaler}
    return {"params": checkpoint.save_params(Path(out) / "params.npz", params),
            "model": checkpoint.save_params(Path(out) / MODEL_FILE, tree)}


def load(out) -> TrainedModel:
    """The trained model of a finished run folder (``fnn.run.run``'s ``out``). A float64 run
    turns on ``jax_enable_x64`` for the process, as training it did.

    Raises:
        ValueError: naming the folder and the missing file when the run did not finish.
    """
    out = Path(out)
    missing = [name for name in ("run.json", "params.npz", MODEL_FILE) if not (out / name).exists()]
    if missing:
        raise ValueError(f"load: expected a finished run in {out}, got no {', '.join(missing)}")
    record = files.read_json(out / "run.json", "load")  # written last: its config is the one the files belong to
    if not {"config", "in_shape", "output_units"} <= set(record):
        raise ValueError(f"load: expected config, in_shape and output_units in {out / 'run.json'}, got {sorted(record)}; "
                         "a run made by an older fnn has to be trained again")
    config = RunConfig.from_dict(record["config"])
    in_shape, output_units = tuple(record["in_shape"]), record["output_units"]
    dtype = runparts.enable_dtype(config)
    model = build_model(config, output_units)
    _, params, state = model.init(jax.random.key(0), in_shape, dtype=dtype)
    features = preprocessing.fit_identity(jnp.zeros((1, *in_shape), jnp.float32))  # the scalers are float32
    task = config.task
    target = None if task.is_classifier else preprocessing.fit_identity(jnp.zeros((1, output_units), jnp.float32))
    saved = checkpoint.load_params(out / MODEL_FILE, {"model_state": state, "scaler": features, "target_scaler": target})
    params = checkpoint.load_params(out / "params.npz", params)
    return TrainedModel(config, Objective(model, task), params, saved["model_state"], saved["scaler"],
                        saved["target_scaler"])


def read_rows(path) -> np.ndarray:
    """Input rows from a ``.npy`` array or a CSV file of numbers (one row per line, no header)."""
    path = Path(path)
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        return np.loadtxt(path, delimiter=",", ndmin=2)
    except (OSError, ValueError) as error:
        raise ValueError(f"predict: expected {path} to be a .npy array or a CSV file of numbers, got: {error}") from None


def format_rows(rows) -> str:
    """Predictions as CSV text: one row per line, floats with 10 significant digits."""
    rows = np.asarray(rows)
    return "".join(",".join(f"{v:.10g}" if rows.dtype.kind == "f" else str(v) for v in np.atleast_1d(row)) + "\n"
                   for row in rows)


def write_rows(path, rows) -> Path:
    """Predictions to ``.npy`` or CSV (``format_rows``), atomically."""
    if Path(path).suffix == ".npy":
        return files.atomic_write(path, lambda f: np.save(f, np.asarray(rows)))
    return files.atomic_write_text(path, format_rows(rows))
