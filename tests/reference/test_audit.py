import jax
import pytest

from reference import audit, cases


def test_every_hand_derived_gradient_is_in_the_table_and_within_tolerance():
    rows = audit.audit()
    names = {r.name for r in rows}
    assert {"relu", "softmax", "maxout", "softmax_cross_entropy (unfused)", "multiclass_hinge", "elastic_net", "dense",
            "batchnorm", "batchnorm (paper steps)", "dropout (inverted)", "residual tanh block"} <= names
    assert {case.name for case in cases.CASES} <= names  # every gradient-check case is a row
    assert sum(r.group == "model" for r in rows) == 4
    assert all(r.ok for r in rows), audit.format_table(rows)
    assert "yes" in audit.format_table(rows)


def test_row_tolerances():
    assert audit.Row("loss", "x", 1e-11, 5e-5, kinked=True).ok
    assert not audit.Row("loss", "x", 1e-11, 5e-5, kinked=False).ok
    assert not audit.Row("loss", "x", 1e-9, 0.0, kinked=False).ok


def test_float32_is_refused():
    with jax.enable_x64(False), pytest.raises(RuntimeError, match=r"reference.audit: expected float64 to be enabled"):
        audit.audit()
