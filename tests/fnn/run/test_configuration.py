"""RunConfig: every setting checked when the configuration is made, each error naming its setting."""

import json

import jax
import numpy as np
import pytest

from fnn import cli, optim
from fnn.data import datasets
from fnn.optim.injectable import hyperparameters
from fnn.run.configuration import RunConfig, SettingError


def train_options() -> set:
    from fnn.cli import flags

    cli.parser()
    return {option for action in flags.DECLARED["train"].values() for option in action.option_strings}


def test_every_setting_maps_to_a_flag_of_fnn_train():
    import dataclasses

    options = train_options()
    for field in dataclasses.fields(RunConfig):
        if field.name != "hyper":  # the optimizer's hyperparameters have a flag each
            assert cli.flag(field.name).removesuffix(f" ({field.name})") in options, field.name
    for factory in optim.BY_NAME.values():
        for name in hyperparameters(factory):
            if name != "learning_rate":
                assert cli.flag(f"hyper.{name}") in options, name
    assert cli.flag("schedule_args.cycles") == "--schedule-args cycles"
    assert cli.flag("augment.flip") == "--augment flip"
    assert cli.flag("hyper") == "optimizer flags"


def test_numpy_integers_are_accepted_and_stored_as_python_ints():
    config = RunConfig(hidden=np.array([16, 8]), epochs=np.int64(3), batch_size=np.int32(32), seed=np.uint32(7),
                       dropout=np.float32(0.25))
    assert config == RunConfig(hidden=(16, 8), epochs=3, batch_size=32, seed=7, dropout=0.25)
    assert json.loads(json.dumps(config.to_dict())) == config.to_dict()


@pytest.mark.parametrize("values, setting, reason", [
    ({"hyper": {"b1": "x"}}, "hyper.b1", "expected a number, got 'x'"),
    ({"optimizer": "momentum", "hyper": {"form": 1}}, "hyper.form", "expected a string, got 1"),
    ({"hyper": {"bias_correction": 1}}, "hyper.bias_correction", "expected true or false, got 1"),
    ({"optimizer": "rprop", "hyper": {"min_step": 1.0, "max_step": 0.1}}, "hyper", "expected max_step >= min_step"),
    ({"dropout": "0.1"}, "dropout", "expected a number, got '0.1'"),
    ({"stratify": "yes"}, "stratify", "expected true or false, got 'yes'"),
    ({"monitor": 1}, "monitor", "expected true or false, got 1"),
    ({"shuffle": None}, "shuffle", "expected true or false, got None"),
    ({"data_dir": 3, "dataset": "mnist"}, "data_dir", "expected a string or None, got 3"),
    ({"epochs": 2.0}, "epochs", "expected an int, got 2.0"),
    ({"hidden": [3, 0]}, "hidden", "expected hidden[1] to be a positive int, got 0"),
    ({"augment": {"noise": "abc"}}, "augment.noise", "expected a finite number, got 'abc'"),
    ({"seed": 2**32}, "seed", "expected seed to be an int in [0, 4294967295], got 4294967296"),
    ({"lr": float("nan")}, "lr", "expected a finite number, got nan"),
    ({"strength": 0.1}, "strength", "is the regularizer's lambda, got 0.1 without a regularizer"),
    ({"freeze": "body"}, "freeze", "fine-tunes a trained run: expected init_from, got freeze 'body' without it"),
    ({"init_from": "run", "body_lr_scale": 0.0}, "body_lr_scale", "expected body_lr_scale in (0, inf], got 0.0"),
    ({"init_from": "run", "freeze": "head"}, "freeze", "unknown freeze 'head'; expected one of body"),
    ({"init_from": "run", "freeze": "body", "body_lr_scale": 0.1}, "body_lr_scale", "expected no body_lr_scale with"),
    ({"classes": [1, 1]}, "classes", "expected at least two distinct classes, got (1, 1)"),
    ({"classes": [-1, 2]}, "classes", "expected classes[0] to be an int in [0, 65535], got -1"),
    ({"dataset": "diabetes", "labels_per_class": 3}, "labels_per_class", "expected a data set of classes, got dataset "
                                                                         "diabetes"),
])
def test_a_wrong_setting_is_a_setting_error_naming_it(values, setting, reason):
    with pytest.raises(SettingError) as error:
        RunConfig(**values)
    assert error.value.setting == setting and reason in error.value.reason


def test_the_regression_data_sets_are_those_without_classes():
    for name, load in datasets.FIXED.items():
        assert (name in datasets.REGRESSION) == (load().num_classes == 0), name
    for name, make in datasets.GENERATED.items():
        assert name not in datasets.REGRESSION and make(jax.random.key(0)).num_classes > 0


def test_an_unset_loss_is_the_data_and_models_default():
    from fnn import tasks

    assert RunConfig().task == tasks.Classification("softmax_cross_entropy")
    assert RunConfig(dataset="diabetes").task == tasks.Regression("mse")
    assert RunConfig(model="conv-autoencoder").task == tasks.Reconstruction("mse")
    assert RunConfig(model="conv-autoencoder", loss="mae").task == tasks.Reconstruction("mae")


def test_a_configuration_builds_its_optimizer_once_to_check_it(monkeypatch):
    from fnn import optim

    built = []
    injectable = optim.injectable
    monkeypatch.setattr(optim, "injectable", lambda *args, **kwargs: built.append(1) or injectable(*args, **kwargs))
    RunConfig(lr=0.01, hyper={"b1": 0.8}, clip_norm=1.0, weight_decay=1e-4)
    assert len(built) == 1
    with pytest.raises(ValueError, match="RunConfig: hyper.b1: adam: expected b1 in"):
        RunConfig(lr=0.01, hyper={"b1": 1.5})  # a wrong value: built once more per setting, to name it
