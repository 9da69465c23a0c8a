"""Hand-derived backward passes of the lectures, each proven equal to autodiff of ``fnn``.

Mirrors the paths of ``fnn``; imports ``fnn``, never the other way round.
"""
