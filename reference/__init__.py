"""Hand-derived backward passes of the lectures, each proven equal to autodiff of ``fnn``.

Mirrors the paths of ``fnn``; imports ``fnn``, never the other way round. ``reference.check``
checks a backward rule of your own layer the same way (``reference.rule_check``).
"""

from reference.rule_check import Report, Row, check

__all__ = ["Report", "Row", "check"]
