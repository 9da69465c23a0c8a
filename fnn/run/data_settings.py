"""The data settings of a run's configuration: the data set, the file or folder it is read from,
and a loss that fits its targets (``check``, called by ``fnn.run.RunConfig``)."""

from __future__ import annotations

from fnn import tasks
from fnn.data import datasets, tabular
from fnn.run import models
from fnn.run.settings import SettingError, about
from fnn.util import validate


def _check_file(config) -> None:
    """The file data set: ``data`` names its file, ``target`` its target, ``target_type`` says what
    to predict; when it is None the file is read, checked, and the target's type filled in."""
    if (config.data is None) == (config.dataset == datasets.FILE):
        raise SettingError("data", f"is the file of the {datasets.FILE} data set: expected both or neither, got "
                                   f"data {config.data!r} with dataset {config.dataset!r}")
    for name in ("target", "target_type"):
        if getattr(config, name) is not None and config.data is None:
            raise SettingError(name, f"is about the data file: expected data, got {name} {getattr(config, name)!r} "
                                     "without it")
    if config.data is None:
        return
    if config.classes or config.labels_per_class is not None:
        raise SettingError("classes" if config.classes else "labels_per_class",
                           "keeps part of a built-in data set's classes: expected no classes with a data file")
    if config.target_type is not None:
        with about("target_type"):
            validate.choice("RunConfig", "target_type", config.target_type, tabular.TASKS)
        return  # the table is checked when it is loaded; a trained run's configuration loads without it
    try:
        table = tabular.read(config.data, config.target)
        object.__setattr__(config, "target_type", tabular.infer_task(table.y))
        tabular.encode_target(table.y, config.target_type, config.data)
    except tabular.TableError as error:
        raise SettingError(error.setting, error.reason) from None


def check(config) -> None:
    """The data settings of ``config`` (an ``fnn.run.RunConfig``); a ``SettingError`` names the one at fault."""
    _check_file(config)
    if config.data_dir is not None and config.dataset != "mnist":
        raise SettingError("data_dir", f"is for the mnist data set, got dataset {config.dataset!r}")
    if config.dataset == "mnist" and config.data_dir is None:
        raise SettingError("data_dir", "the mnist data set is read from disk: expected the folder of its IDX files, "
                                       "got none")
    if config.loss is None:
        return
    reconstructs = models.get(config.model).reconstructs
    is_regression = config.regression or reconstructs
    if tasks.for_loss(config.loss).is_classifier == is_regression:
        target = (f"the {config.model}, whose targets are its inputs" if reconstructs else
                  f"{config.dataset}, which has {'real-valued targets' if is_regression else 'class labels'}")
        fitting = [loss for loss in tasks.BY_LOSS if tasks.for_loss(loss).is_classifier != is_regression]
        raise SettingError("loss", f"{config.loss} does not fit {target}; expected one of {', '.join(fitting)}")
