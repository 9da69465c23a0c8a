"""fnn: the formulas of a course on multilayer perceptrons, as pure, jit-compiled JAX functions.

Modules: ``activations``, ``initializers``, ``losses``, ``regularizers``, ``metrics``,
``layers``, ``models``, ``objective``, ``optim``, ``train``, ``data``, ``checkpoint``,
``history``; the hand-derived backward passes live in the separate ``reference`` package.
"""

__version__ = "0.1.0"
