import json
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import cli, run
from fnn.data import preprocessing
from fnn.layers import ConvTranspose, Unpooled
from fnn.models import autoencoder
from fnn.run import assembly
from fnn.run.configuration import RunConfig
from fnn.util import random_draws


def layer_types(model):
    """Every layer type in the model, nested bodies included."""
    found = set()
    for layer in model.layers:
        found.add(type(layer))
        if isinstance(layer, Unpooled):
            found |= layer_types(layer.body)
    return found


@pytest.mark.parametrize("decoder", autoencoder.DECODERS)
@pytest.mark.parametrize("image_shape", [(8, 8, 1), (12, 2)])
def test_the_reconstruction_has_the_input_shape_and_lies_in_0_1(decoder, image_shape):
    model = autoencoder.conv_autoencoder(image_shape, channels=(4, 3), decoder=decoder)
    width = int(np.prod(image_shape))
    out_shape, params, state = model.init(jax.random.key(0), (width,), dtype=jnp.float32)
    X = random_draws.uniform(jax.random.key(1), (5, width), jnp.float32)
    Y, _ = jax.jit(lambda params, X: model.apply(params, state, X, train=True))(params, X)
    assert out_shape == (width,) and Y.shape == (5, width)
    assert bool(jnp.all((Y > 0) & (Y < 1)))
    assert (ConvTranspose in layer_types(model)) == (decoder == "transpose")
    assert (Unpooled in layer_types(model)) == (decoder == "unpool")


def test_the_unpooling_decoder_puts_each_value_back_where_its_window_found_the_maximum():
    """Level 1 of a one-level autoencoder: Y = S_a^T code(S_a X), zero off the argmax of each window."""
    model = autoencoder.conv_autoencoder((4, 4, 1), channels=(1,), decoder="unpool", activation="tanh")
    _, params, state = model.init(jax.random.key(0), (16,), dtype=jnp.float32)
    level = model.layers[3]
    X = random_draws.normal(jax.random.key(2), (1, 4, 4, 1), jnp.float32)
    Y = np.asarray(level.apply(params[3], state[3], X, train=False)[0][0, ..., 0])
    windows = np.asarray(X[0, ..., 0]).reshape(2, 2, 2, 2).transpose(0, 2, 1, 3)  # [i, j, y, x]
    pooled = windows.max(axis=(2, 3))[None, ..., None]
    code = np.asarray(level.body.apply(params[3], state[3], jnp.asarray(pooled), train=False)[0][0, ..., 0])
    expected = np.zeros((4, 4), np.float32)
    for i in range(2):
        for j in range(2):
            y, x = divmod(int(np.argmax(windows[i, j])), 2)
            expected[2 * i + y, 2 * j + x] = code[i, j]
    assert np.count_nonzero(code) == 4
    np.testing.assert_allclose(Y, expected, rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(image_shape=(6, 6, 1)), "expected spatial sizes divisible by pool ** levels = 4, got image_shape (6, 6, 1)"),
    (dict(image_shape=(8, 8, 1), decoder="nearest"), "decoder"),
    (dict(image_shape=(8, 8, 1), channels=()), "expected at least one level of channels, got none"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        autoencoder.conv_autoencoder(**kwargs)


def test_the_digits_autoencoder_beats_the_mean_image_and_predicts_in_pixel_units(tmp_path, capsys):
    args = ["train", "--model", "conv-autoencoder", "--decoder", "unpool", "--epochs", "8", "--lr", "0.003",
            "--out", str(tmp_path), "--no-progress"]
    assert cli.main(args) == 0
    assert "conv autoencoder 8x8x1 conv16-pool-conv8-pool code 2x2x8, unpool decoder relu" in capsys.readouterr().out
    data = assembly.load_data(RunConfig(model="conv-autoencoder"))
    mean_image_mse = float(jnp.mean(jnp.square(data.test[0] - jnp.mean(data.train[0], axis=0))))
    test = json.loads((tmp_path / "run.json").read_text())["test"]
    assert test["mse"] < 0.5 * mean_image_mse
    assert (tmp_path / "reconstructions.png").read_bytes()[:4] == b"\x89PNG"
    raw = preprocessing.inverse_transform(data.scaler, data.test[0][:4])
    predicted = np.asarray(run.load(tmp_path).predict(raw))
    assert predicted.shape == (4, 64) and 0 <= predicted.min() and predicted.max() <= 16 + 1e-4
    assert np.sqrt(np.mean((predicted - np.asarray(raw)) ** 2)) < np.sqrt(mean_image_mse) * 16


@pytest.mark.slow
@pytest.mark.parametrize("decoder, at_100, at_300", [("transpose", 0.0176, 0.0148), ("unpool", 0.0094, 0.0055)])
def test_the_cnn_page_reconstruction_errors(decoder, at_100, at_300, tmp_path, fnn_command):
    """The CNN page's table (seed 0): the test MSE after 100 and after 300 epochs, to 10% (the digits
    move with the CPU's rounding), and the unpool decoder ahead of the transposed one."""
    for epochs, published in (("100", at_100), ("300", at_300)):
        fnn_command("train", "--model", "conv-autoencoder", "--decoder", decoder, "--lr", "0.003", "--epochs", epochs,
                    "--out", str(tmp_path / epochs), "--no-progress", "--no-plots")
        assert json.loads((tmp_path / epochs / "run.json").read_text())["test"]["mse"] == pytest.approx(published,
                                                                                                        rel=0.1)
