"""The run application: a training run as a library function, ``run(RunConfig(...), out=...)``.

Modules, from the bottom up: ``settings`` (the error that names a setting, field types),
``configuration`` (``RunConfig``: every setting, checked whole), ``models`` (the table of
``--model`` entries), ``assembly`` (``build``: data, model, objective, optimizer and controls of
a configuration), ``outdir`` (the output folder: chosen, checked, locked), ``trained`` (a finished
run's model: ``load(DIR).predict``), ``training`` (``run``, ``resume_config``, ``evaluate``).
"""

from fnn.run.configuration import RunConfig
from fnn.run.trained import load
from fnn.run.training import CONFIG_FILE, RunResult, describe, evaluate, load_config, resume_config, run, test_scores

__all__ = ["CONFIG_FILE", "RunConfig", "RunResult", "describe", "evaluate", "load", "load_config", "resume_config",
           "run", "test_scores"]
