"""fnn: the formulas of a course on multilayer perceptrons, as pure, jit-compiled JAX functions.

Modules: ``activations``, ``initializers``, ``losses``, ``regularizers``, ``metrics``,
``layers`` (specs composed by ``Sequential``, ``Residual``, ``Unpooled`` and ``Bidirectional``),
``models`` (MLP, CNN, convolutional autoencoder, recurrent classifier and language model), ``tasks``,
``objective``, ``optim``, ``train`` (steps and epochs), ``fit`` (whole runs of epochs),
``runconfig`` (a run's settings, checked), ``runparts`` and ``run`` (``run(config)``),
``trained`` (a finished run's model, ``predict``, ``sample``), ``outdir``, ``data``, ``checkpoint``,
``history``, ``report`` and ``filters`` (pictures), ``experiments`` (the lecture experiments behind
``fnn experiment``), ``search`` (grid, random and coarse-to-fine search, trials trained together with
``vmap``, behind ``fnn search``); the hand-derived backward passes live in the separate ``reference`` package.
"""

__version__ = "0.1.0"
