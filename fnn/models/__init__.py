"""Model builders, each returning a composition of ``fnn.layers``: ``mlp``, ``cnn``,
``autoencoder`` (convolutional) and ``recurrent`` (sequence classifier, character language model)."""
