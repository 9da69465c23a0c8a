import jax
import pytest

from reference import audit, cases


EXPECTED = {"activation": {"relu", "softmax", "maxout"}, "loss": {"softmax_cross_entropy (unfused)", "multiclass_hinge"},
            "regularizer": {"elastic_net"}, "normalisation": {"batchnorm (paper steps)"}, "model": set()}


@pytest.mark.parametrize("group", [group for group in audit.GROUPS if group != "layer"])
def test_every_hand_derived_gradient_is_in_the_table_and_within_tolerance(group):
    """One group of rows at a time (they run in parallel); ``audit.audit`` joins the same groups.
    The layer group is checked one case at a time below."""
    rows = audit.GROUPS[group](jax.random.fold_in(jax.random.key(0), list(audit.GROUPS).index(group)))
    assert EXPECTED[group] <= {r.name for r in rows}
    assert group != "model" or len(rows) == 4
    assert all(r.ok for r in rows), audit.format_table(rows)
    assert "yes" in audit.format_table(rows)


@pytest.mark.parametrize("case", cases.CASES, ids=[case.name for case in cases.CASES])
def test_every_gradient_check_case_is_a_row_within_tolerance(case):
    row = audit.layer_row(case, jax.random.fold_in(jax.random.key(3), cases.CASES.index(case)))
    assert row.name == case.name and row.ok, audit.format_table([row])


def test_row_tolerances():
    assert audit.Row("loss", "x", 1e-11, 5e-5, kinked=True).ok
    assert not audit.Row("loss", "x", 1e-11, 5e-5, kinked=False).ok
    assert not audit.Row("loss", "x", 1e-9, 0.0, kinked=False).ok


def test_float32_is_refused():
    with jax.enable_x64(False), pytest.raises(RuntimeError, match=r"reference.audit: expected float64 to be enabled"):
        audit.audit()
