"""fnn: the formulas of a course on multilayer perceptrons, as pure, jit-compiled JAX functions.

The library, from the bottom up: ``util`` (argument checks, ranges, atomic files, signals,
memory, memo), the formulas (``activations``, ``initializers``, ``losses``, ``regularizers``,
``metrics``, ``tasks``), ``layers`` (specs composed by ``Sequential``, ``Residual``, ``Unpooled``
and ``Bidirectional``), ``models`` (MLP, CNN, convolutional autoencoder, recurrent classifier and
language model), ``objective``, ``optim``, ``data``, ``train`` (steps and epochs), ``fit`` (whole
runs of epochs), ``checkpoint``, ``monitor``, ``history``, ``report``, ``transfer``, ``parallel``,
``classic`` (perceptron, threshold networks, boosting), ``plots`` (every figure), ``bench`` (timing
and peers). On top: ``run`` (a run as a library function, ``run(RunConfig(...))``, and a trained
model, ``load(DIR).predict``), ``search`` (many trials trained together with ``vmap``),
``experiments`` (the lecture experiments), and ``cli`` (the ``fnn`` command). The hand-derived
backward passes live in the separate ``reference`` package.
"""

__version__ = "0.1.0"
