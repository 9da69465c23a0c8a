import io
import json
import random
import re
import struct
import zipfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import checkpoint
from fnn.models import mlp


@pytest.fixture
def params(key):
    return init_params(key, (4,))


def init_params(key, hidden, **options):
    return mlp.mlp(hidden, 2, **options).init(key, (3,), dtype=jnp.float64)[1]


def test_round_trip(params, tmp_path):
    path = checkpoint.save_params(tmp_path / "p.npz", params)
    loaded = checkpoint.load_params(path, params)
    assert jax.tree.structure(loaded) == jax.tree.structure(params)
    for a, b in zip(jax.tree.leaves(loaded), jax.tree.leaves(params)):
        np.testing.assert_array_equal(a, b)


def test_truncated_file_is_a_clear_error(params, tmp_path):
    path = checkpoint.save_params(tmp_path / "p.npz", params)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"load_params: expected .*p.npz to be an .npz file of arrays, got a damaged"):
        checkpoint.load_params(path, params)


def test_mismatched_structure_names_the_leaf(params, tmp_path, key):
    path = checkpoint.save_params(tmp_path / "p.npz", params)
    wider = init_params(key, (5,))
    with pytest.raises(ValueError, match=r"p.npz leaf \[0\].W has shape \(3, 4\) dtype float64, expected shape \(3, 5\)"):
        checkpoint.load_params(path, wider)
    deeper = init_params(key, (4, 4))
    with pytest.raises(ValueError, match=r"load_params: .*p.npz does not match the model: missing leaves \['\[4\].W'"):
        checkpoint.load_params(path, deeper)
    with pytest.raises(ValueError, match=r"load_params: expected .*missing.npz to be an .npz .*FileNotFoundError"):
        checkpoint.load_params(tmp_path / "missing.npz", params)


from fnn import optim  # noqa: E402
from fnn.fit import Controls, fit  # noqa: E402
from fnn.objective import Objective  # noqa: E402
from fnn.optim import control  # noqa: E402
from fnn.util import random_draws

RUN = mlp.mlp((12,), 3, batchnorm="before", dropout=0.2)


def init_run(key, model=RUN):
    return model.init(key, (4,), dtype=jnp.float64)[1]


def run(tmp, epochs, key, resume=None, **options):
    X = random_draws.normal(jax.random.key(1), (60, 4))
    y = jnp.argmax(X[:, :3], axis=1).astype(jnp.int32)
    params = init_run(jax.random.key(2))
    controls = Controls(plateau=control.ReduceOnPlateau(factor=0.5, patience=0, threshold=0.5),
                        early_stopping=control.EarlyStopping(patience=50))
    return fit(Objective(RUN), optim.injectable("adam", learning_rate=0.02), params, (X, y), val=(X, y),
               epochs=epochs, batch_size=16, key=key, checkpoint_dir=tmp, resume=resume, controls=controls,
               run_config={"test": True}, **options)


def test_an_interrupted_and_resumed_run_is_bit_identical(tmp_path, key):
    whole = run(tmp_path / "whole", 6, key)
    run(tmp_path / "cut", 3, key)  # the "interruption": only 3 of 6 epochs ran
    resumed = run(tmp_path / "cut", 6, key, resume=tmp_path / "cut" / "last.npz")
    for a, b in zip(jax.tree.leaves(whole.state), jax.tree.leaves(resumed.state)):
        a, b = (jax.random.key_data(x) if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key) else x for x in (a, b))
        np.testing.assert_array_equal(a, b)
    strip = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert strip(whole.history) == strip(resumed.history) and len(resumed.history) == 6
    assert [r["learning_rate"] for r in whole.history] != [0.02] * 6  # the plateau acted, and was restored


def test_a_run_interrupted_and_resumed_is_bit_identical_at_a_step_in_the_middle_of_an_epoch(tmp_path, key):
    """60 samples in batches of 16: 3 steps an epoch. Both runs end at step 11, two steps into epoch 4;
    one was stopped after epoch 2 and resumed. Their states (parameters, Adam's moments, running
    statistics, keys, the step) agree to the bit there, not only at the ends of epochs."""
    X = random_draws.normal(jax.random.key(1), (60, 4))
    y = jnp.argmax(X[:, :3], axis=1).astype(jnp.int32)

    def to(length: dict, folder, resume=None):
        return fit(Objective(RUN), optim.adam(0.02), init_run(jax.random.key(2)), (X, y), val=(X, y), batch_size=16,
                   key=key, checkpoint_dir=tmp_path / folder, resume=resume, **length)

    whole = to({"steps": 11}, "whole")
    to({"epochs": 2}, "cut")
    resumed = to({"steps": 11}, "cut", resume=tmp_path / "cut" / "last.npz")
    assert int(whole.state.step) == int(resumed.state.step) == 11
    for a, b in zip(jax.tree.leaves(whole.state), jax.tree.leaves(resumed.state)):
        a, b = (jax.random.key_data(x) if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key) else x for x in (a, b))
        np.testing.assert_array_equal(a, b)
    assert [r["train_loss"] for r in whole.history] == [r["train_loss"] for r in resumed.history]


def test_ctrl_c_checkpoints_the_last_complete_epoch_and_the_run_resumes_bit_identical(tmp_path, key, monkeypatch):
    from fnn import fit as fitting

    whole = run(tmp_path / "whole", 6, key)
    dispatch = fitting._dispatch

    def ctrl_c_inside_epoch_4(compiled, train, scored, epoch, state, chain_key):  # while epoch 4 is being computed
        if epoch == 4:
            raise KeyboardInterrupt
        return dispatch(compiled, train, scored, epoch, state, chain_key)

    monkeypatch.setattr(fitting, "_dispatch", ctrl_c_inside_epoch_4)
    with pytest.raises(fitting.Interrupted) as stop:
        run(tmp_path / "cut", 6, key, checkpoint_every=5)  # no periodic checkpoint before epoch 5
    monkeypatch.undo()
    assert stop.value.epoch == 3 and [r["epoch"] for r in stop.value.history] == [1, 2, 3]
    assert checkpoint.checkpoint_epoch(tmp_path / "cut" / "last.npz") == 3
    resumed = run(tmp_path / "cut", 6, key, resume=tmp_path / "cut" / "last.npz")
    for a, b in zip(jax.tree.leaves(whole.state.params), jax.tree.leaves(resumed.state.params)):
        np.testing.assert_array_equal(a, b)
    assert [r["val_loss"] for r in resumed.history] == [r["val_loss"] for r in whole.history]


def test_a_resumed_run_keeps_the_stored_runs_choice_of_training_set_scores(tmp_path, key):
    run(tmp_path, 2, key, train_scores=False)
    with pytest.raises(ValueError, match=r"last.npz was saved with train_scores=False \(its records do not score "
                                         r"the training set\); resume with train_scores=False"):
        run(tmp_path, 3, key, resume=tmp_path / "last.npz")
    resumed = run(tmp_path, 3, key, resume=tmp_path / "last.npz", train_scores=False)
    assert [r["epoch"] for r in resumed.history] == [1, 2, 3]
    assert not any("train_accuracy" in r for r in resumed.history)


def test_a_real_ctrl_c_during_an_epochs_bookkeeping_stops_after_that_epoch_whole(tmp_path, key, monkeypatch):
    """SIGINT while epoch 2 writes best.npz (after last.npz): the epoch's record and files are
    completed, then the run stops there, so the message, history and last.npz name one epoch."""
    import os
    import signal

    from fnn import fit as fitting

    save = checkpoint.save_checkpoint

    def ctrl_c_in_epoch_2s_best(path, kept):
        if path.name == "best.npz" and kept.epoch == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return save(path, kept)

    monkeypatch.setattr(checkpoint, "save_checkpoint", ctrl_c_in_epoch_2s_best)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(fitting.Interrupted) as stop:
            run(tmp_path, 6, key)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert stop.value.epoch == 2 and [r["epoch"] for r in stop.value.history] == [1, 2]
    assert checkpoint.checkpoint_epoch(tmp_path / "last.npz") == checkpoint.checkpoint_epoch(tmp_path / "best.npz") == 2


def test_fit_writes_last_and_best(tmp_path, key):
    result = run(tmp_path, 4, key)
    like = {"state": result.state, "loop_key": key, "best_params": result.state.params}
    last = checkpoint.load_checkpoint(tmp_path / "last.npz", like)
    best = checkpoint.load_checkpoint(tmp_path / "best.npz", like)
    assert last.epoch == 4 and len(last.history) == 4 and last.config == {"test": True}
    assert best.epoch == min(result.history, key=lambda r: r["val_loss"])["epoch"]


def test_corrupted_and_mismatched_checkpoints_are_named(tmp_path, key):
    result = run(tmp_path, 2, key)
    like = {"state": result.state, "loop_key": key, "best_params": result.state.params}
    path = tmp_path / "last.npz"
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match=r"load_checkpoint: expected .*last.npz to be an .npz file of arrays"):
        checkpoint.load_checkpoint(path, like)
    path.write_bytes(good)
    other = init_run(jax.random.key(0), mlp.mlp((10,), 3, batchnorm="before", dropout=0.2))
    with pytest.raises(ValueError, match=r"load_checkpoint: .*last.npz leaf \['best_params'\]\[0\].W has shape \(4, 12\)"):
        checkpoint.load_checkpoint(path, {**like, "state": result.state._replace(params=other),
                                          "best_params": other})
    checkpoint.save_params(tmp_path / "p.npz", result.state.params)
    with pytest.raises(ValueError, match=r"load_checkpoint: .*p.npz: expected a __meta__ entry, got none; "
                                         r"it is not an fnn checkpoint \(a parameters file\? read it with load_params\)"):
        checkpoint.load_checkpoint(tmp_path / "p.npz", like)


def test_resuming_with_other_controls_is_a_clear_error(tmp_path, key):
    run(tmp_path, 2, key)
    X = random_draws.normal(jax.random.key(1), (60, 4))
    y = jnp.argmax(X[:, :3], axis=1).astype(jnp.int32)
    params = init_run(jax.random.key(2))
    with pytest.raises(ValueError, match=r"fit: .*last.npz was saved with early_stopping; resume with the controls"):
        fit(Objective(RUN), optim.injectable("adam", learning_rate=0.02), params, (X, y), val=(X, y), epochs=4,
            batch_size=16, key=key, resume=tmp_path / "last.npz",
            controls=Controls(plateau=control.ReduceOnPlateau(factor=0.5, patience=0, threshold=0.5)))


def small_checkpoint(key, path):
    """A 2-epoch checkpoint of a small model, and the template to load it with."""
    tree = {"params": init_params(key, (4,)), "loop_key": key}
    history = [{"epoch": 1, "train_loss": 0.9}, {"epoch": 2, "train_loss": 0.7}]
    controls = {"early_stopping": None, "plateau": [0.01, 0.5, 0]}
    checkpoint.save_checkpoint(path, checkpoint.Checkpoint(tree, 2, history, controls, {"test": True}))
    return tree


def rewrite(path, meta_bytes):
    """Write ``path`` again with its arrays and ``meta_bytes`` as the __meta__ entry."""
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    arrays[checkpoint.META] = meta_bytes
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def as_entry(meta) -> np.ndarray:
    return np.frombuffer(json.dumps(meta).encode(), np.uint8)


def test_a_whole_checkpoint_passes_the_metadata_checks(tmp_path, key):
    path = tmp_path / "c.npz"
    like = small_checkpoint(key, path)
    loaded = checkpoint.load_checkpoint(path, like)
    assert (loaded.epoch, [r["epoch"] for r in loaded.history], loaded.config) == (2, [1, 2], {"test": True})
    assert checkpoint.checkpoint_epoch(path) == 2


def _without(name):
    return lambda meta: {k: v for k, v in meta.items() if k != name}


def _with(**changes):
    return lambda meta: {**meta, **changes}


def _history(change):
    return lambda meta: {**meta, "history": change(meta["history"])}


KEYS = r"keys \['format', 'epoch', 'history', 'controls', 'config'\]"
BAD_METADATA = {
    "not an object": (lambda meta: [meta], r"a JSON object, got list \[\{"),
    "missing key": (_without("history"), KEYS + r", got missing \['history'\], unexpected \[\]$"),
    "unexpected key": (_with(step=3), KEYS + r", got missing \[\], unexpected \['step'\]$"),
    "other format": (_with(format="fnn-checkpoint-0"), r"format 'fnn-checkpoint-1', got str 'fnn-checkpoint-0'"),
    "epoch a string": (_with(epoch="2"), r"epoch a non-negative integer, got str '2'"),
    "epoch a bool": (_with(epoch=True), r"epoch a non-negative integer, got bool True"),
    "epoch a float": (_with(epoch=2.0), r"epoch a non-negative integer, got float 2.0"),
    "epoch negative": (_with(epoch=-1), r"epoch a non-negative integer, got int -1"),
    "epoch ahead of history": (_with(epoch=3), r"3 history records \(one per epoch completed\), got 2"),
    "history duplicated": (_history(lambda h: h + h), r"2 history records \(one per epoch completed\), got 4"),
    "history out of order": (_history(lambda h: h[::-1]), r"history record 1 of epoch 1, got epoch int 2"),
    "record without epoch": (_history(lambda h: [h[0], {"train_loss": 0.7}]),
                             r"history record 2 of epoch 2, got epoch NoneType None"),
    "record epoch a bool": (_history(lambda h: [{**h[0], "epoch": True}, h[1]]),
                            r"history record 1 of epoch 1, got epoch bool True"),
    "history of numbers": (_history(lambda h: [1, 2]),
                           r"history a list of records \(JSON objects\), got list \[1, 2\]"),
    "history a long string": (_with(history="x" * 100), r"history a list of records .*, got str 'x{56}\.\.\.$"),
    "controls missing plateau": (_with(controls={"early_stopping": None}),
                                 r"controls an object with keys \['early_stopping', 'plateau'\], got dict"),
    "controls a list": (_with(controls=[None, None]), r"controls an object with keys .*, got list \[None, None\]"),
    "plateau a string": (_with(controls={"early_stopping": None, "plateau": "fast"}),
                         r"controls 'plateau' null or a list, got str 'fast'"),
    "config a list": (_with(config=["test"]), r"config a JSON object, got list \['test'\]"),
}


@pytest.mark.parametrize("case", sorted(BAD_METADATA))
def test_bad_metadata_is_one_error_naming_the_file_and_the_problem(case, tmp_path, key):
    path = tmp_path / "c.npz"
    like = small_checkpoint(key, path)
    change, problem = BAD_METADATA[case]
    with np.load(path) as data:
        meta = json.loads(data[checkpoint.META].tobytes())
    rewrite(path, as_entry(change(meta)))
    for where, call in (("load_checkpoint", lambda: checkpoint.load_checkpoint(path, like)),
                        ("checkpoint_epoch", lambda: checkpoint.checkpoint_epoch(path))):
        with pytest.raises(ValueError, match=rf"^{where}: {re.escape(str(path))} __meta__: expected {problem}"):
            call()


@pytest.mark.parametrize("entry, problem", [
    (np.frombuffer(b"{not json", np.uint8), r"expected JSON text, got a corrupted entry"),
    (np.frombuffer(b"\xff\xfe{}", np.uint8), r"expected JSON text, got a corrupted entry"),
    (np.zeros(3), r"expected a uint8 vector \(JSON text\), got dtype float64 shape \(3,\)"),
])
def test_an_unreadable_metadata_entry_is_named(entry, problem, tmp_path, key):
    path = tmp_path / "c.npz"
    like = small_checkpoint(key, path)
    rewrite(path, entry)
    with pytest.raises(ValueError, match=rf"^load_checkpoint: {re.escape(str(path))} __meta__: {problem}"):
        checkpoint.load_checkpoint(path, like)


def _zip_fields(data: bytes, signature: bytes, offset: int, value: bytes) -> bytes:
    """Overwrite the field at ``offset`` of every zip record starting with ``signature``."""
    data = bytearray(data)
    for match in re.finditer(re.escape(signature), bytes(data)):
        data[match.start() + offset:match.start() + offset + len(value)] = value
    return bytes(data)


def _zip_of(member: bytes, *, compression=zipfile.ZIP_STORED) -> bytes:
    """A well-formed zip (right CRC-32) holding ``member`` as ``a.npy``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("a.npy", member)
    return buffer.getvalue()


def _npy(header: bytes | None = None) -> bytes:
    """The .npy bytes of ``arange(500.0)``, with ``header`` in place of its header dict (same length)."""
    buffer = io.BytesIO()
    np.save(buffer, np.arange(500.0))
    if header is None:
        return buffer.getvalue()
    old = re.search(rb"\{.*\} *", buffer.getvalue()).group(0)
    return buffer.getvalue().replace(old, header.ljust(len(old)))


def _overwrite(data: bytes, at: int, count: int = 8) -> bytes:
    return data[:at] + b"\xff" * count + data[at + count:]


CENTRAL, END = b"PK\x01\x02", b"PK\x05\x06"
DICT = b"{'descr': '<f8', 'fortran_order': False, "
DAMAGED = {  # each case, and what np.load raised for it (numpy 2.4, Python 3.11)
    "empty": lambda good: b"",  # EOFError
    "random bytes": lambda good: random.Random(0).randbytes(len(good)),  # ValueError (pickled data)
    "cut in the middle": lambda good: good[: len(good) // 2],  # BadZipFile (no directory)
    "central directory overwritten": lambda good: _overwrite(good, good.find(CENTRAL), 46),  # BadZipFile
    "central directory offset wrong": lambda good: _zip_fields(good, END, 16, struct.pack("<I", 2**32 - 2)),  # OSError
    "unknown compression": lambda good: _zip_fields(good, CENTRAL, 10, struct.pack("<H", 99)),  # NotImplementedError
    "encrypted flag": lambda good: _zip_fields(good, CENTRAL, 8, struct.pack("<H", 1)),  # RuntimeError
    "bzip2 flag on stored data": lambda good: _zip_fields(good, CENTRAL, 10, struct.pack("<H", 12)),  # OSError
    "stored data overwritten": lambda good: _overwrite(good, good.find(CENTRAL) - 10),  # BadZipFile (CRC-32)
    "deflated data overwritten": lambda good: _overwrite(_zip_of(_npy(), compression=zipfile.ZIP_DEFLATED), 60),  # zlib
    "lzma data overwritten": lambda good: _overwrite(_zip_of(_npy(), compression=zipfile.ZIP_LZMA), 60),  # LZMAError
    "short array data": lambda good: _zip_of(_npy(DICT + b"'shape': (501,), }")),  # ValueError
    "unbalanced .npy header": lambda good: _zip_of(_npy(DICT + b"'shape': (500, }")),  # TokenError
    "indented .npy header": lambda good: _zip_of(_npy(b"1\n  2\n 3")),  # IndentationError (a SyntaxError)
    "bytes key in .npy header": lambda good: _zip_of(_npy(DICT + b"b'shape': (500,), }")),  # TypeError
    "huge shape in .npy header": lambda good: _zip_of(_npy(DICT + b"'shape': (1000000000000000,), }")),  # MemoryError
    "overflowing shape": lambda good: _zip_of(_npy(DICT + b"'shape': (10000000000000000000000000,), }")),  # Overflow
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_a_damaged_file_is_one_error_naming_the_file(case, tmp_path, key):
    path = tmp_path / "c.npz"
    like = small_checkpoint(key, path)
    path.write_bytes(DAMAGED[case](path.read_bytes()))
    named = re.escape(str(path))
    with pytest.raises(ValueError, match=rf"^load_checkpoint: expected {named} to be an .npz file of arrays, "
                                         r"got a damaged or unreadable file \(\w+"):
        checkpoint.load_checkpoint(path, like)
    with pytest.raises(ValueError, match=rf"^checkpoint_epoch: expected {named} to be an .npz file of arrays, got"):
        checkpoint.checkpoint_epoch(path)


def test_a_file_of_other_entries_is_named(tmp_path, params):
    path = tmp_path / "p.npz"
    path.write_bytes(_npy())
    with pytest.raises(ValueError, match=rf"^load_params: expected {re.escape(str(path))} to be an .npz file "
                                         r"of arrays, got a single .npy array$"):
        checkpoint.load_params(path, params)
    path.write_bytes(_zip_of(b"hello"))
    with pytest.raises(ValueError, match=rf"^load_params: expected {re.escape(str(path))} to hold only .npy "
                                         r"arrays, got other entries \['a'\]$"):
        checkpoint.load_params(path, params)


def planted(path, leaf: str, value: float) -> None:
    """Write ``path`` again with ``value`` in the first entry of one leaf."""
    with np.load(path) as stored:
        arrays = dict(stored)
    arrays[leaf] = arrays[leaf].copy()
    arrays[leaf].reshape(-1)[0] = value
    np.savez(path, **arrays)


@pytest.mark.parametrize("leaf, value", [("['state'].params[0].W", np.nan),
                                         ("['state'].opt_state.inner_state.v[0].W", np.inf),
                                         ("['state'].model_state[1].var", -np.inf),
                                         ("['best_params'][1].beta", np.nan)])
def test_a_non_finite_value_in_any_floating_leaf_is_named(leaf, value, tmp_path, key):
    result = run(tmp_path, 2, key)
    path = tmp_path / "last.npz"
    planted(path, leaf, value)
    like = {"state": result.state, "loop_key": key, "best_params": result.state.params}
    with pytest.raises(ValueError, match=rf"^load_checkpoint: {re.escape(str(path))} leaf {re.escape(leaf)} holds 1 "
                                         "NaN or infinite values; training saves only finite ones, so the file is "
                                         "damaged: train again$"):
        checkpoint.load_checkpoint(path, like)


def test_non_finite_parameters_are_named(params, tmp_path):
    path = checkpoint.save_params(tmp_path / "p.npz", params)
    planted(path, "[0].b", np.nan)
    with pytest.raises(ValueError, match=r"^load_params: .*p.npz leaf \[0\].b holds 1 NaN or infinite values"):
        checkpoint.load_params(path, params)


@pytest.mark.parametrize("name", sorted(optim.aliases.BY_NAME))
def test_every_optimizers_trained_state_is_finite_and_loads(name, tmp_path, key):
    X = random_draws.normal(jax.random.key(1), (60, 4))
    y = jnp.argmax(X[:, :3], axis=1).astype(jnp.int32)
    result = fit(Objective(RUN), optim.injectable(name), init_run(jax.random.key(2)), (X, y), epochs=2,
                 batch_size=16, key=key, checkpoint_dir=tmp_path)
    like = {"state": result.state, "loop_key": key, "best_params": result.state.params}
    assert checkpoint.load_checkpoint(tmp_path / "last.npz", like).epoch == 2
