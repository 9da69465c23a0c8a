"""Hyperparameter search: grid, random and coarse-to-fine, many trials trained at once.

``space`` holds the search spaces (``Grid``, ``Uniform``, ``LogUniform``; ``grid``, ``sample``,
``narrow``); ``trials`` trains the trials of a search, those that differ only in traced numbers
together in one vmapped, jitted epoch; ``report`` writes the table, CSV, JSON and plot.
"""

from fnn.search.space import Grid, LogUniform, Uniform, grid, narrow, sample

__all__ = ["Grid", "LogUniform", "Uniform", "grid", "narrow", "sample"]
