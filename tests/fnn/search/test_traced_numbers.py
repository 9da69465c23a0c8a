import jax.numpy as jnp

from fnn.layers import Dropout
from fnn.layers.base import leaves
from fnn.models import mlp
from fnn.objective import Objective
from fnn.regularizers import Penalty
from fnn.run.configuration import RunConfig
from fnn.search import traced_numbers


def test_placed_sets_every_dropout_rate_and_the_strength_and_leaves_the_objective_alone():
    objective = Objective(mlp.mlp((8, 8), 3, dropout=0.2, residual=True), penalty=Penalty("l2", 1e-3))
    assert traced_numbers.names(objective) == ("dropout", "strength")
    placed = traced_numbers.placed(objective, {"dropout": 0.6, "strength": 0.5})
    rates = [leaf.rate for leaf in leaves(placed.model) if isinstance(leaf, Dropout)]
    assert len(rates) == 2 and set(rates) == {0.6} and placed.penalty.strength == 0.5
    assert {leaf.rate for leaf in leaves(objective.model) if isinstance(leaf, Dropout)} == {0.2}
    assert objective.penalty.strength == 1e-3
    again = traced_numbers.placed(objective, {"dropout": 0.1, "strength": 2.0})
    assert traced_numbers.template(objective) == traced_numbers.template(again)
    assert traced_numbers.names(Objective(mlp.mlp((8,), 3))) == ()


def test_stacked_numbers_of_a_group():
    configs = [RunConfig(dropout=0.1, regularizer="l1", strength=1e-3), RunConfig(dropout=0.4, regularizer="l1")]
    stacked = traced_numbers.stacked(configs, ("dropout", "strength"), jnp.float32)
    assert set(stacked) == {"dropout", "strength"} and stacked["strength"].dtype == jnp.float32
    assert stacked["dropout"].dtype == jnp.asarray(0.5).dtype  # the dtype a Python rate takes in bernoulli
    assert traced_numbers.stacked(configs, (), jnp.float32) == {}
    assert stacked["dropout"].tolist() == [0.1, 0.4]
    assert stacked["strength"].tolist() == [jnp.float32(1e-3), jnp.float32(configs[1].penalty_strength)]
