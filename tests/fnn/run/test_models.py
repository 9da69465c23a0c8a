"""The table of models: every entry is complete and consistent, and a new model is one entry."""

import dataclasses

import jax
import jax.numpy as jnp
import pytest

from fnn import cli, run
from fnn.data import datasets
from fnn.models import mlp
from fnn.run import configuration, models
from fnn.run.configuration import RunConfig


@pytest.mark.parametrize("name", list(models.MODELS))
def test_every_model_builds_on_the_data_it_accepts_and_names_itself(name):
    model = models.get(name)
    fields = {field.name for field in dataclasses.fields(RunConfig)}
    assert model.name == name and model.help and set(model.settings) <= fields
    assert set(model.accepts) <= set(datasets.NAMES) and model.scaling in ("standardize", "min_max", "none")
    config = RunConfig(model=name, dataset=next(d for d in model.accepts if d != "mnist"))
    spec = configuration.build_model(config, output_units=3)
    assert spec == model.build(config, 3)
    assert isinstance(model.describe(config, (64,), 3), str)


@pytest.mark.parametrize("name", list(models.MODELS))
def test_every_model_refuses_the_data_it_does_not_accept_naming_it(name):
    refused = [d for d in datasets.NAMES if d not in models.get(name).accepts and d != "mnist"]
    for dataset in refused[:2]:
        with pytest.raises(ValueError, match=f"RunConfig: model: .*{dataset}"):
            RunConfig(model=name, dataset=dataset)


def test_the_help_lists_every_model_from_the_table(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert all(f"{model.name}: {' '.join(model.help.split())}" in shown for model in models.MODELS.values())


def test_a_new_model_is_one_entry_and_its_builder(monkeypatch, tmp_path):
    """The docs' example: a linear softmax classifier (no hidden layer) added as --model linear."""
    linear = models.Model(
        name="linear", help="softmax regression: one dense layer",
        build=lambda config, output_units: mlp.mlp((), output_units, initializer=config.initializer),
        describe=lambda config, in_shape, output_units: f"linear {in_shape[0]}-{output_units}",
        accepts=models.TABULAR, refusal="{model} reads rows of numbers, got dataset {dataset}",
        settings=("initializer",))
    monkeypatch.setitem(models.MODELS, "linear", linear)
    with pytest.raises(ValueError, match="RunConfig: hidden: applies to the mlp, cnn, rnn, gru, lstm and rnn-lm models"):
        RunConfig(model="linear", hidden=(8,))
    result = run.run(RunConfig(model="linear", epochs=10, lr=0.01), out=tmp_path, plots=False)
    assert result.test["accuracy"] > 0.85
    assert jax.tree.structure(run.load(tmp_path).params) == jax.tree.structure(
        mlp.mlp((), 10).init(jax.random.key(0), (64,), dtype=jnp.float32)[1])
