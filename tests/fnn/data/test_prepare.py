import jax.numpy as jnp
import numpy as np
import pytest

from fnn.data import preprocessing
from fnn.data.prepare import Prepared, select_classes


def prepared(num_classes=10, n=60):
    """Splits of n rows each (row i has label i mod num_classes, or i / n as a regression target)."""
    X = jnp.arange(float(n))[:, None]
    y = jnp.arange(n, dtype=jnp.int32) % num_classes if num_classes else X[:, 0] / n
    return Prepared((X, y), (X + 100, y), (X + 200, y), preprocessing.fit_identity(X), num_classes)


def test_selected_classes_keep_the_split_and_its_scaler_with_few_training_labels():
    data = prepared()
    chosen = select_classes(data, (5, 6, 7, 8, 9))
    few = select_classes(chosen, labels_per_class=3)
    assert chosen.num_classes == few.num_classes == 5 and chosen.scaler is data.scaler
    for (X, y), (X_all, y_all) in zip(chosen[:3], data[:3]):
        keep = np.asarray(y_all) >= 5
        np.testing.assert_array_equal(X, X_all[keep])
        np.testing.assert_array_equal(y, np.asarray(y_all)[keep] - 5)
    np.testing.assert_array_equal(few.train[0][:, 0], [5, 6, 7, 8, 9, 15, 16, 17, 18, 19, 25, 26, 27, 28, 29])
    for split in (1, 2):
        np.testing.assert_array_equal(few[split][0], chosen[split][0])


@pytest.mark.parametrize("data, classes, message", [
    (prepared(), (3, 10), r"select_classes: expected class to be an int in \[0, 9\], got 10"),
    (prepared(num_classes=0), (0, 1), "select_classes: expected data with class labels, got real-valued targets"),
])
def test_classes_the_data_lacks_are_errors(data, classes, message):
    with pytest.raises(ValueError, match=message):
        select_classes(data, classes)
