import jax.numpy as jnp
import numpy as np
import pytest
import sklearn.metrics as skm

from fnn import report
from fnn.plots import evaluation


def test_report_equals_scikit_learn_with_a_class_never_predicted():
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 4, 50), rng.integers(0, 3, 50)
    ours = report.classification_report(jnp.asarray(t), jnp.asarray(p), 4)
    theirs = skm.classification_report(t, p, labels=range(4), output_dict=True, zero_division=0)
    for k in range(4):
        for name, sk_name in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score"), ("support", "support")):
            assert ours[str(k)][name] == pytest.approx(theirs[str(k)][sk_name], rel=1e-12)
    assert ours["macro"]["f1"] == pytest.approx(theirs["macro avg"]["f1-score"], rel=1e-12)
    assert ours["accuracy"] == pytest.approx(skm.accuracy_score(t, p), rel=1e-12)
    text = report.format_report(ours)
    assert text.splitlines()[0].split() == ["class", "precision", "recall", "f1", "support"]
    assert len(text.splitlines()) == 4 + 3


def test_a_class_named_like_a_summary_row_is_refused():
    with pytest.raises(ValueError, match=r"expected class labels other than macro, accuracy \(rows of the report\), got "
                                         r"macro"):
        report.classification_report(jnp.asarray([0, 1]), jnp.asarray([0, 1]), 2, labels=("macro", "b"))


def test_confusion_matrix_picture(tmp_path):
    path = evaluation.plot_confusion_matrix(jnp.array([0, 1, 2, 2]), jnp.array([0, 2, 2, 2]), 3, tmp_path / "c.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
