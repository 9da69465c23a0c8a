import dataclasses

import pytest

from fnn.experiments import registry


def test_every_experiment_has_both_sizes_a_seed_and_a_one_line_summary():
    for name, module in registry.EXPERIMENTS.items():
        assert set(module.SIZES) == set(registry.SIZES)
        assert all(dataclasses.is_dataclass(c) and c.__dataclass_params__.frozen for c in module.SIZES.values())
        assert module.SIZES["full"] == module.Config() and getattr(module.Config(), "seed", 0) == 0
        assert registry.summary(name) and "\n" not in registry.summary(name)
    lines = registry.listing().splitlines()
    assert [line.split()[0] for line in lines] == list(registry.EXPERIMENTS)


def test_the_configuration_takes_the_size_seed_and_settings():
    config = registry.config("he", size="small", seed=3, settings={"depth": "12", "optimizers": "adam,momentum"})
    assert (config.depth, config.seed, config.optimizers) == (12, 3, ("adam", "momentum"))
    assert config.width == registry.get("he").SIZES["small"].width
    assert registry.config("he", settings={"adam_learning_rate": "0.01"}).adam_learning_rate == 0.01


@pytest.mark.parametrize("call, message", [
    (lambda: registry.get("nope"), "experiment: unknown experiment 'nope'; expected one of .*zero-init"),
    (lambda: registry.config("he", size="huge"), "unknown size 'huge'; expected one of full, small"),
    (lambda: registry.config("he", seed=-1), r"expected seed to be an int in \[0, 4294967295\], got -1"),
    (lambda: registry.config("he", settings={"deep": "1"}), "experiment he: unknown setting 'deep'; expected one of"),
    (lambda: registry.config("he", settings={"depth": "ten"}), "experiment he: expected depth to be int, got 'ten'"),
])
def test_bad_names_and_values_are_errors_naming_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message):
        call()
