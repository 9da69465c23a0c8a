import pytest

from fnn import optim
from fnn.util import memo


def test_equal_keys_get_the_first_built_object_and_unhashable_keys_build_anew():
    table = {}
    first = memo.get_or_build(table, ("a", 1), object)
    assert memo.get_or_build(table, ("a", 1), object) is first
    assert memo.get_or_build(table, ("a", 2), object) is not first
    assert memo.get_or_build(table, ["a", 1], object) is not memo.get_or_build(table, ["a", 1], object)
    assert len(table) == 2


def test_the_memo_keeps_the_newest_entries():
    table = {}
    built = [memo.get_or_build(table, k, object) for k in range(memo.MAX_ENTRIES + 1)]
    assert len(table) == memo.MAX_ENTRIES and 0 not in table
    assert memo.get_or_build(table, memo.MAX_ENTRIES, object) is built[-1]


@pytest.mark.parametrize("first, second", [
    ({"learning_rate": 0.01}, {"learning_rate": 3}),
    ({"learning_rate": 0.01, "b1": 0.9, "clip_norm": 1.0}, {"learning_rate": 0.1, "b1": 0.5, "clip_norm": 2.0}),
])
def test_optimizers_that_differ_only_in_numbers_share_their_update(first, second):
    assert optim.injectable("adam", **first).update is optim.injectable("adam", **second).update


@pytest.mark.parametrize("first, second", [
    ({"name": "adam"}, {"name": "adamax"}),
    ({"name": "adam", "clip_norm": 1.0}, {"name": "adam"}),
    ({"name": "adam", "b1": 0.9}, {"name": "adam"}),  # a default is built in, not injected
    ({"name": "adam", "bias_correction": True}, {"name": "adam", "bias_correction": False}),
    ({"name": "sgd", "schedule": "exponential", "schedule_args": {"init_value": 0.1, "decay_rate": 0.5}}, {"name": "sgd"}),
])
def test_optimizers_of_another_shape_keep_their_own_update(first, second):
    assert optim.injectable(**first).update is not optim.injectable(**second).update


def test_equal_models_built_twice_share_the_update_their_weight_mask_feeds():
    """A bound ``model.weight_mask`` compares its model by identity; the memo compares it by value
    (a search builds each trial's model anew), and ignores it without weight decay."""
    from fnn.models import mlp

    def adam(model, **decay):
        return optim.injectable("adam", learning_rate=0.1, weight_decay_mask=model.weight_mask, **decay).update

    assert adam(mlp.mlp((8,), 3), weight_decay=0.1) is adam(mlp.mlp((8,), 3), weight_decay=0.2)
    assert adam(mlp.mlp((8,), 3), weight_decay=0.1) is not adam(mlp.mlp((9,), 3), weight_decay=0.1)
    assert adam(mlp.mlp((8,), 3)) is adam(mlp.mlp((9,), 3)) is optim.injectable("adam", learning_rate=0.5).update
