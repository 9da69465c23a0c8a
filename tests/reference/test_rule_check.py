"""``reference.check``: the gradient checker for a user's own layer and rule catches wrong rules and passes right ones."""

import dataclasses

import jax
import jax.numpy as jnp
import pytest

import reference
from fnn.layers import Conv, Dense
from reference import backprop
from reference.layers import conv as rconv
from reference.layers import dense as rd


class MyDense(Dense):
    """A user's layer: a type of its own, so its rule is registered for it alone."""


class MyConv(Conv):
    pass


@dataclasses.dataclass(frozen=True)
class FeatureMean:
    """A user's parameterless layer: Y = mean of X over its last axis, (N, D) -> (N, 1)."""

    def init(self, key, in_shape, dtype=jnp.float32):
        return (1,), (), ()

    def apply(self, params, state, X, *, train=False, key=None):
        return jnp.mean(X, axis=-1, keepdims=True), state

    def weight_mask(self, params):
        return ()


def mean_forward(layer, params, state, X, *, key):
    return jnp.mean(X, axis=-1, keepdims=True), state, X.shape[-1]


def mean_backward(layer, width, dY):
    return (), jnp.broadcast_to(dY, (*dY.shape[:-1], width)) / width  # dX_j = dY / D


def mean_backward_without_1_over_d(layer, width, dY):
    return (), jnp.broadcast_to(dY, (*dY.shape[:-1], width))


def dense_backward_transposed(layer, cache, dZ):
    dparams, dX = rd.rule_backward(layer, cache, dZ)
    return dparams._replace(W=dparams.W.T), dX


def conv_backward_stride_one(layer, cache, dY):
    return rconv.rule_backward(dataclasses.replace(layer, stride=(1, 1)), cache, dY)


def verdicts(report, comparison) -> dict:
    return {row.leaf: row.verdict for row in report.rows if row.comparison.startswith(comparison)}


@pytest.mark.parametrize("layer, rule, in_shape", [
    (MyDense(4, "glorot_normal"), backprop.Rule(rd.rule_forward, rd.rule_backward), (5,)),
    (FeatureMean(), backprop.Rule(mean_forward, mean_backward), (6,)),
    (MyConv(3, 3, stride=2, initializer="glorot_normal"), backprop.Rule(rconv.rule_forward, rconv.rule_backward),
     (7, 7, 2)),
])
def test_right_rules_pass_every_comparison(layer, rule, in_shape):
    report = reference.check(layer, rule, in_shape)
    assert report.ok, str(report)
    comparisons = {row.comparison for row in report.rows}
    assert comparisons == {"alone vs autodiff", "alone vs finite diff", "at 0, +-1e4", "in a network vs autodiff"}
    assert "every gradient agrees" in str(report)


def test_a_transposed_dw_is_wrong_where_it_is_and_nowhere_else():
    report = reference.check(MyDense(5, "glorot_normal"), backprop.Rule(rd.rule_forward, dense_backward_transposed), (5,))
    assert not report.ok and "WRONG gradients below" in str(report)
    for comparison in ("alone vs autodiff", "alone vs finite diff", "at 0"):
        assert verdicts(report, comparison)["dparams.W"] == "WRONG"
        assert verdicts(report, comparison)["dX"] != "WRONG" and verdicts(report, comparison)["dparams.b"] != "WRONG"
    assert verdicts(report, "in a network")["net[2].W"] == "WRONG"  # the layer sits third in the network


def test_a_missing_1_over_d_is_wrong_in_dx_and_below_it_in_a_network():
    report = reference.check(FeatureMean(), backprop.Rule(mean_forward, mean_backward_without_1_over_d), (6,))
    assert verdicts(report, "alone vs autodiff") == {"dX": "WRONG"}
    assert verdicts(report, "in a network")["net[0].W"] == "WRONG"  # the Dense below receives the wrong dX


def test_a_wrong_stride_in_the_rule_is_wrong():
    conv = MyConv(3, 3, stride=2, initializer="glorot_normal")
    report = reference.check(conv, backprop.Rule(rconv.rule_forward, conv_backward_stride_one), (7, 7, 2))
    assert verdicts(report, "alone vs autodiff")["dparams.W"] == "WRONG"


def test_a_gradient_of_another_shape_or_dtype_is_named_by_its_leaf():
    with pytest.raises(ValueError, match=r"expected dparams\.W of shape \(5, 4\) and dtype float64 .* got shape \(4, 5\)"):
        reference.check(MyDense(4, "glorot_normal"), backprop.Rule(rd.rule_forward, dense_backward_transposed), (5,))

    def float32_dx(layer, width, dY):
        return mean_backward(layer, width, dY)[0], mean_backward(layer, width, dY)[1].astype(jnp.float32)

    with pytest.raises(ValueError, match=r"expected dX of shape \(6, 6\) and dtype float64 .* dtype float32"):
        reference.check(FeatureMean(), backprop.Rule(mean_forward, float32_dx), (6,))


def test_a_pair_of_functions_and_a_list_returned_are_a_rule_and_user_points_are_tried():
    def listed(layer, width, dY):
        return list(mean_backward(layer, width, dY))

    report = reference.check(FeatureMean(), (mean_forward, listed), (2,), points=(0.5, -3.0, 7.0))
    assert report.ok and verdicts(report, "at 0, +-1e4 and points") == {"dX": "exact"}
    with pytest.raises(ValueError, match=r"expected at most 9 points for inputs of shape \(2,\) \(a batch of 6\), got 10"):
        reference.check(FeatureMean(), (mean_forward, mean_backward), (2,), points=tuple(range(10)))


def test_the_rule_is_registered_only_while_it_is_checked():
    reference.check(FeatureMean(), backprop.Rule(mean_forward, mean_backward), (6,))
    assert FeatureMean not in backprop.RULES and backprop.RULES[Dense].backward is rd.rule_backward


def test_float32_is_refused_loudly():
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(ValueError, match="expected float64 .* swamps the errors a check should find"):
            reference.check(FeatureMean(), backprop.Rule(mean_forward, mean_backward), (6,))
    finally:
        jax.config.update("jax_enable_x64", True)
