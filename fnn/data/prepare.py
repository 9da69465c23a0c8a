"""The whole data path of a run: load, split, scale fitted on the training split."""

from __future__ import annotations

from typing import NamedTuple

import jax

from fnn.data import datasets, preprocessing, splits
from fnn.util import validate


class Prepared(NamedTuple):
    """Scaled splits, the fitted scalers, and the number of classes (0 for regression).

    ``target_scaler`` standardises regression targets (fitted on the training split, like
    the features); None for class labels. ``preprocessing.inverse_transform`` maps a
    prediction back to the target's units.
    """

    train: tuple
    val: tuple
    test: tuple
    scaler: preprocessing.Scaler
    num_classes: int
    target_scaler: preprocessing.Scaler | None = None
    labels: tuple = ()
    features: tuple = ()


def prepare(
    name: str,
    *,
    key,
    scaling: str = "standardize",
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    stratify: bool = False,
    data_dir=None,
    table=None,
) -> Prepared:
    """Load ``name``, split it with ``key``, fit ``scaling`` on train and apply it to all splits.

    A data set with a published test split (MNIST, MNIST-1D) keeps it, and only its training
    part is cut into train and validation (``test_fraction`` is then unused). ``data_dir`` and
    ``table`` locate MNIST and the user's file (``datasets.load``); a file's class labels and
    feature names are kept.
    """
    validate.choice("prepare", "scaling", scaling, preprocessing.FITTERS)
    data_key, split_key = jax.random.split(key)
    data = datasets.load(name, key=data_key, data_dir=data_dir, table=table)
    parts = splits.train_val_test_split(
        split_key, data.X, data.y, val_fraction=val_fraction,
        test_fraction=0.0 if data.test is not None else test_fraction, stratify=stratify,
    )
    if data.test is not None:
        parts = parts._replace(test=data.test)
    if stratify and data.num_classes == 0:
        raise ValueError(f"prepare: {name} has real-valued targets; stratified splits need classes")
    scaler = preprocessing.FITTERS[scaling](parts.train[0])
    target_scaler = None
    if data.num_classes == 0:
        target_scaler = preprocessing.fit_standardize(parts.train[1][:, None])
        parts = [(X, preprocessing.transform(target_scaler, y[:, None])[:, 0]) for X, y in parts]
    scaled = [(preprocessing.transform(scaler, X), y) for X, y in parts]
    return Prepared(*scaled, scaler=scaler, num_classes=data.num_classes, target_scaler=target_scaler,
                    labels=data.labels, features=data.features)


def select_classes(data: Prepared, classes=(), *, labels_per_class: int | None = None) -> Prepared:
    """``data`` with only ``classes`` in every split, renumbered ``classes[k] -> k`` (empty: all), and only
    the first ``labels_per_class`` training samples of each (a random sample: the split is shuffled).

    Validation and test keep all their samples of the classes. The scaler stays the one fitted on
    the inputs of the whole training split: the labels are what is scarce, not the inputs, and
    runs on different classes of one split share their scaling.
    """
    check_classes(data, classes)
    classes = tuple(classes) or tuple(range(data.num_classes))
    subsets = [splits.class_subset(*part, classes, per_class=labels_per_class if i == 0 else None)
               for i, part in enumerate(data[:3])]
    return data._replace(train=subsets[0], val=subsets[1], test=subsets[2], num_classes=len(classes))


def check_classes(data: Prepared, classes) -> None:
    """Raise ValueError unless ``data`` has class labels and every one of ``classes`` is among them."""
    if data.num_classes == 0:
        raise ValueError("select_classes: expected data with class labels, got real-valued targets")
    for c in classes:
        validate.integer("select_classes", "class", c, 0, data.num_classes - 1)
