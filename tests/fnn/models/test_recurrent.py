import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import cli, run
from fnn.layers import GRU, LSTM, Bidirectional, SimpleRNN
from fnn.models import recurrent


@pytest.mark.parametrize("cell", sorted(recurrent.CELLS))
def test_generation_step_by_step_equals_the_model_run_over_the_whole_text(cell, key):
    """The sampler's carried states reproduce the logits the full scan gives for the same text."""
    model = recurrent.language_model(11, cell=cell, hidden=(5, 4), embedding_dim=3)
    _, params, _ = model.init(key, (6,), dtype=jnp.float64)
    prime = jnp.array([3, 1, 4])
    tokens = recurrent.generate(model, params, prime, length=5, temperature=1.0, key=jax.random.key(1))
    text = jnp.concatenate([prime, tokens])[None]
    logits = model.apply(params, (), text, train=False)[0][0]
    keys = jax.random.split(jax.random.key(1), 5)
    for i, k in enumerate(keys):  # each drawn token is the draw from the full model's logits at its step
        assert int(jax.random.categorical(k, logits[len(prime) - 1 + i])) == int(tokens[i])


def test_a_low_temperature_draws_the_most_likely_character_and_a_high_one_spreads(key):
    model = recurrent.language_model(7, hidden=(8,), embedding_dim=4)
    _, params, _ = model.init(key, (4,), dtype=jnp.float32)
    prime = jnp.array([1, 2])
    likeliest = int(jnp.argmax(model.apply(params, (), prime[None], train=False)[0][0, -1]))
    keys = jax.random.split(key, 300)
    first = {t: np.asarray(jax.vmap(lambda k: recurrent.generate(model, params, prime, length=1, temperature=t,
                                                                   key=k))(keys))[:, 0] for t in (0.01, 100.0)}
    assert np.all(first[0.01] == likeliest)
    assert len(set(first[100.0].tolist())) == 7 and np.mean(first[100.0] == likeliest) < 0.3


@pytest.mark.parametrize("kwargs, message", [
    (dict(length=0), "generate: expected length to be a positive int, got 0"),
    (dict(temperature=0.0), r"generate: expected temperature in \(0, inf\], got 0.0"),
    (dict(prime=jnp.array([], jnp.int32)), "generate: expected a prime of at least one character, got an empty one"),
])
def test_bad_sampling_arguments_are_named(kwargs, message, key):
    model = recurrent.language_model(7, hidden=(3,), embedding_dim=2)
    _, params, _ = model.init(key, (4,), dtype=jnp.float32)
    arguments = dict(prime=jnp.array([1]), length=3, temperature=1.0, key=key) | kwargs
    with pytest.raises(ValueError, match=message):
        recurrent.generate(model, params, **arguments)
    with pytest.raises(ValueError, match="generate: expected a language model"):
        recurrent.generate(recurrent.sequence_classifier((4, 1), 3), params, **arguments)


def test_the_sequence_classifier_is_bidirectional_over_every_step(key):
    model = recurrent.sequence_classifier((40, 1), 10, cell="gru", hidden=(6,))
    out_shape, params, _ = model.init(key, (40,), dtype=jnp.float32)
    assert out_shape == (10,) and isinstance(model.layers[1], Bidirectional) and isinstance(model.layers[1].body, GRU)
    assert params[-1].W.shape == (40 * 12, 10)  # the MNIST-1D paper's GRU: 2 x 6 units at each of 40 steps
    assert isinstance(recurrent.sequence_classifier((8, 8), 3, cell="lstm").layers[1].body, LSTM)
    assert isinstance(recurrent.sequence_classifier((8, 8), 3, cell="rnn").layers[1].body, SimpleRNN)


def test_a_language_model_run_beats_the_bigram_baseline_and_samples(tmp_path, capsys):
    args = ["train", "--dataset", "pysource", "--model", "rnn-lm", "--hidden", "64", "--epochs", "2", "--lr", "0.01",
            "--out", str(tmp_path), "--no-progress", "--no-plots"]
    assert cli.main(args) == 0
    test = json.loads((tmp_path / "run.json").read_text())["test"]
    assert test["perplexity"] == pytest.approx(np.exp(test["loss"]), rel=1e-5)
    assert test["perplexity"] < test["bigram_perplexity"] < test["unigram_perplexity"]
    smoothed = {f"{method}_{order}": test[f"{method}_{order}_perplexity"]
                for method in ("kneser_ney", "witten_bell") for order in (3, 4, 5)}  # the run reports them (docs/rnn.md)
    assert smoothed["kneser_ney_5"] < smoothed["kneser_ney_3"] < smoothed["witten_bell_3"] < test["bigram_perplexity"]
    assert (tmp_path / "samples.txt").read_text().startswith("--- temperature 0.5, prime 'def ' ---\ndef ")
    capsys.readouterr()
    assert cli.main(["sample", str(tmp_path), "--prime", "class ", "--length", "40", "--temperature", "0.7"]) == 0
    written = capsys.readouterr().out
    assert written.startswith("class ") and len(written) == len("class ") + 40 + 1
    assert run.load(tmp_path).sample("x", length=5, seed=3) == run.load(tmp_path).sample("x", length=5, seed=3)
    assert cli.main(["sample", str(tmp_path), "--prime", "\u00e9"]) == 2
    assert "expected characters of the vocabulary, got '\u00e9'" in capsys.readouterr().err
    assert cli.main(["sample", str(tmp_path), "--temperature", "-1"]) == 2
    capsys.readouterr()
    (tmp_path / "lines.txt").write_text("def f(x):\n    return x\n")
    assert cli.main(["predict", str(tmp_path), str(tmp_path / "lines.txt")]) == 0  # text in, text out
    line, expected, second, _, end = capsys.readouterr().out.split("\n")  # a predicted line break shows as \u21b5
    assert (line, second, end) == ("def f(x):", "    return x", "") and len(expected) == len(line)
    assert run.load(tmp_path).predict_text(["def f(x):"]) == [expected.replace("\u21b5", "\n")]
    assert cli.main(["predict", str(tmp_path), str(tmp_path / "lines.txt"), "--proba"]) == 2
    assert "--proba: expected a run that classifies rows, got a language model" in capsys.readouterr().err


@pytest.mark.slow
def test_the_rnn_page_language_model_beats_add_one_but_no_smoothed_model(tmp_path, fnn_command):
    """The RNN page's run (``fnn train --dataset pysource --model rnn-lm --lr 0.003``, GRU 128-128,
    30 epochs): 7.24 there, between the add-one bigram and Witten-Bell's 3-gram; the validation
    perplexity is lowest mid-run (epoch 15, 3.07) and ends higher (3.27)."""
    fnn_command("train", "--dataset", "pysource", "--model", "rnn-lm", "--lr", "0.003",
                "--no-progress", "--no-plots", "--out",
                str(tmp_path))
    test = json.loads((tmp_path / "run.json").read_text())["test"]
    assert test["bigram_perplexity"] > test["perplexity"] > test["kneser_ney_3_perplexity"]
    assert abs(test["perplexity"] - 7.24) < 0.3
    val = [np.exp(record["val_loss"]) for record in json.loads((tmp_path / "history.json").read_text())]
    assert len(val) == 30 and 10 <= int(np.argmin(val)) + 1 <= 20 and val[-1] > min(val)


@pytest.mark.slow
@pytest.mark.parametrize("seed", ["0", "1", "2"])
def test_the_mnist1d_paper_gru_is_nearly_reproduced(seed, tmp_path, fnn_command):
    """The paper's bidirectional GRU (91%) with its recipe; the MNIST-1D page's row (docs/mnist1d.md) comes from these runs."""
    args = ["train", "--dataset", "mnist1d", "--model", "gru", "--hidden", "6", "--lr", "1e-2", "--batch-size", "100",
            "--no-shuffle", "--val-fraction", "0", "--scaling", "none", "--steps", "6000",
            "--no-progress", "--no-plots",
            "--seed", seed, "--out", str(tmp_path)]
    fnn_command(*args)
    assert abs(json.loads((tmp_path / "run.json").read_text())["test"]["accuracy"] - 0.91) < 0.04
