import dataclasses
import math

import chex
import jax
import numpy as np
import pytest

from fnn.fit import fit
from fnn.run import assembly
from fnn.run.configuration import RunConfig
from fnn.run.settings import SettingError
from fnn.search import trials
from reference import backprop

SETTINGS = [{"lr": 1e-3, "b1": 0.9}, {"lr": 1e-2, "b1": 0.8, "seed": 3}, {"lr": 3e-3, "b1": 0.95, "seed": 4},
            {"dropout": 0.3, "lr": 3e-3, "seed": 1}, {"dropout": 0.2, "lr": 1e-2, "seed": 2}]


def _epochs_compiled(run) -> int:
    """How many executables of the vmapped trial epoch (``trial_epoch``) ``run()`` had XLA build."""
    names = []

    def listen(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            names.append(kwargs.get("fun_name"))

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        run()
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    return sum("trial_epoch" in str(name) for name in names)


def test_a_group_of_trials_too_large_for_the_memory_is_refused_before_training(tiny, monkeypatch):
    """Each trial alone fits; the group's stacked states would not (``check_memory`` per device)."""
    base, data = tiny
    part = assembly.build(base, data=data)
    per_trial = trials.memory.training_bytes(part.params, jax.eval_shape(part.optimizer.init, part.params))
    monkeypatch.setattr(trials.memory, "available_bytes", lambda: 3 * per_trial)
    trials.check_memory(part, 3, None)
    with pytest.raises(ValueError, match=r"search: expected a model that fits .* \(4 trials trained together on a "
                                         r"device \(fewer trials or more devices lower it\), each with"):
        trials.train_together([part] * 4, data.val)
    with pytest.raises(ValueError, match=r"\(6 trials trained together"):  # host devices share the host's memory
        trials.check_memory(part, 6, 2)


@pytest.fixture(scope="module")
def tiny7(tiny):
    """The tiny run with 7 hidden units and batch norm (a model state to carry): programs no other module compiles.
    Batch norm after the activation: before it, the Dense bias gets a gradient of exactly 0 and holds
    only rounding noise that Adam scales up to about 1e-11, whose digits follow the summation order."""
    base, data = tiny
    return dataclasses.replace(base, hidden=(7,), batchnorm="after"), data


@pytest.fixture(scope="module")
def searched(tiny7):
    """The search of SETTINGS, run before any other test of this module compiles its groups."""
    base, data = tiny7
    found = {}
    found["compiled"] = _epochs_compiled(lambda: found.setdefault("results", trials.train_trials(base, SETTINGS, data)))
    return found


def test_vmapped_trials_end_where_each_trial_trained_alone_by_fit_ends(tiny7, searched):
    base, data = tiny7
    configs = [trials.trial_config(base, settings) for settings in SETTINGS]
    for members in trials.groups(configs):
        parts = [assembly.build(configs[i], data=data) for i in members]
        states, scores = trials.train_together(parts, data.val)
        for j, part in enumerate(parts):
            alone = fit(part.objective, part.optimizer, part.params, data.train, val=data.val, key=part.fit_key,
                        batch_size=part.batch_size, epochs=base.epochs, model_state=part.model_state)
            mine = trials.unstack(states, j)
            chex.assert_trees_all_close(mine._replace(key=None), alone.state._replace(key=None), rtol=1e-10, atol=1e-12)
            assert (jax.random.key_data(mine.key) == jax.random.key_data(alone.state.key)).all()
            for epoch, record in enumerate(alone.history):
                assert scores["loss"][epoch, j] == pytest.approx(record["val_loss"], rel=1e-10)
                assert scores["accuracy"][epoch, j] == pytest.approx(record["val_accuracy"], rel=1e-10)


def test_trials_differing_in_traced_numbers_share_a_group_the_others_do_not():
    base = RunConfig()
    same = [{"lr": 1e-3}, {"lr": 1e-2, "b1": 0.8, "eps": 1e-7}, {"seed": 4}]
    configs = [trials.trial_config(base, s) for s in same]
    assert trials.groups(configs[:1] + configs[2:]) == [[0, 1]]
    assert trials.groups(configs) == [[0, 2], [1]]  # giving b1 and eps adds hyperparameters: another state shape
    for program in ({"hidden": 64}, {"depth": 1}, {"batch_size": 32}, {"dropout": 0.1}):
        assert len(trials.groups([base, trials.trial_config(base, program)])) == 2
    dropped = [trials.trial_config(base, {"dropout": rate}) for rate in (0.1, 0.4)]
    assert trials.groups(dropped) == [[0, 1]]  # the rate is traced; a rate of 0 has no dropout layers
    penalised = dataclasses.replace(base, regularizer="l2")
    assert trials.groups([penalised, trials.trial_config(penalised, {"strength": 1e-2})]) == [[0, 1]]
    assert len(trials.groups([base, penalised])) == 2  # a penalty or none: another objective
    decayed = dataclasses.replace(base, weight_decay=1e-4)
    assert trials.groups([decayed, trials.trial_config(decayed, {"weight_decay": 1e-2, "lr": 1e-2})]) == [[0, 1]]
    assert len(trials.groups([base, decayed])) == 2  # weight decay on or off: another optimizer


def test_trials_differing_in_dropout_rate_and_penalty_strength_train_as_one_program_equal_to_fit(tiny):
    base, data = tiny
    base = dataclasses.replace(base, regularizer="elastic_net", dropout=0.1, gradients="manual", epochs=1)
    settings = [{"dropout": 0.1, "strength": 1e-3}, {"dropout": 0.4, "strength": 3e-2, "seed": 2}]
    configs = [trials.trial_config(base, s) for s in settings]
    assert trials.groups(configs) == [[0, 1]]
    parts = [assembly.build(config, data=data, value_and_grad=backprop.value_and_grad) for config in configs]
    compiled = _epochs_compiled(lambda: trials.train_together(parts, data.val))
    states, scores = trials.train_together(parts, data.val)
    assert compiled == 1
    finals = []
    for j, part in enumerate(parts):
        alone = fit(part.objective, part.optimizer, part.params, data.train, val=data.val, key=part.fit_key,
                    batch_size=part.batch_size, epochs=1, value_and_grad=part.value_and_grad)
        mine = trials.unstack(states, j)
        chex.assert_trees_all_close(mine._replace(key=None), alone.state._replace(key=None), rtol=1e-10, atol=1e-12)
        assert (jax.random.key_data(mine.key) == jax.random.key_data(alone.state.key)).all()
        for metric in ("loss", "accuracy"):
            assert scores[metric][0, j] == pytest.approx(alone.history[0][f"val_{metric}"], rel=1e-10)
        finals.append(alone.state.params)
    assert not np.allclose(finals[0][0].W, finals[1][0].W)  # the two rates and strengths train differently


def test_each_group_compiles_one_epoch_and_another_search_of_the_same_groups_compiles_no_epoch(tiny7, searched):
    """Counted by name: the small eager programs of building a run may be compiled again when JAX's
    own cache of them has dropped some (it is bounded, and the worker runs many other tests)."""
    base, data = tiny7
    assert searched["compiled"] == 2  # two groups, each one executable for all its trials and epochs
    again = [dict(s, lr=s["lr"] * 2, seed=s.get("seed", 0) + 10) | ({"dropout": 0.5} if "dropout" in s else {})
             for s in SETTINGS]  # other rates, seeds and dropout rates: the same two programs
    assert _epochs_compiled(lambda: trials.train_trials(base, again, data)) == 0


def test_trials_come_back_best_first_with_their_settings_scores_and_curves(searched):
    results = searched["results"]
    assert sorted(map(str, (r.settings for r in results))) == sorted(map(str, SETTINGS))
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    for result in results:
        assert result.curve[-1] == result.score == result.val["accuracy"] and len(result.curve) == 2
        assert result.score_std == 0.0 and result.group == (1 if "dropout" in result.settings else 0)
        assert result.config.dropout == result.settings.get("dropout", 0.0)


def test_kfold_scores_are_the_mean_and_std_over_folds_that_partition_train_and_val(tiny7, searched):
    base, data = tiny7
    folds = trials.fold_data(data, 3, key=jax.random.key(0))
    pooled = np.concatenate([data.train[0], data.val[0]])
    seen = np.concatenate([np.asarray(fold.val[0]) for fold in folds])
    assert len(folds) == 3 and all(fold.train[0].shape == (100, 64) and fold.val[0].shape == (50, 64) for fold in folds)
    assert len({row.tobytes() for row in seen}) == 150 == len({row.tobytes() for row in pooled})
    for fold in folds:
        train_rows = {row.tobytes() for row in np.asarray(fold.train[0])}
        assert not train_rows & {row.tobytes() for row in np.asarray(fold.val[0])}
    results = trials.train_trials(base, SETTINGS[:3], data, folds=3)  # 3 folds of 100 + 50: the group's shapes
    assert all(r.score_std >= 0 for r in results) and any(r.score_std > 0 for r in results)
    assert all(r.curve[-1] == pytest.approx(r.score) for r in results)


def test_a_wrong_setting_is_refused_naming_it():
    base = RunConfig()
    with pytest.raises(SettingError, match="width: is not a searchable setting of a run with optimizer adam; expected"):
        trials.trial_config(base, {"width": 3})
    with pytest.raises(SettingError, match="dropout") as error:
        trials.trial_config(base, {"dropout": 1.5})
    assert error.value.setting == "dropout"
    with pytest.raises(SettingError, match="rho: is not a searchable setting of a run with optimizer adam"):
        trials.trial_config(base, {"rho": 0.9})  # adam has no rho
    assert trials.trial_config(RunConfig(optimizer="momentum"), {"rho": 0.5}).hyper == {"rho": 0.5}
    assert trials.trial_config(base, {"hidden": 31.6, "depth": 3}).hidden == (32, 32, 32)
    with pytest.raises(SettingError, match="early_stopping: is not supported by a search"):
        trials.check_base(RunConfig(early_stopping=3))


def test_rank_puts_the_best_first_by_the_metric_and_diverged_trials_last():
    def result(score):
        return trials.TrialResult({}, RunConfig(), score, 0.0, {}, [], 0)

    scores = [0.5, math.nan, 0.9, 0.1]
    assert [r.score for r in trials.rank(list(map(result, scores)), "accuracy")][:3] == [0.9, 0.5, 0.1]
    assert [r.score for r in trials.rank(list(map(result, scores)), "rmse")][:3] == [0.1, 0.5, 0.9]
    assert math.isnan(trials.rank(list(map(result, scores)), "rmse")[-1].score)
