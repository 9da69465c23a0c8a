"""The lectures' backprop algorithms for ``fnn.models``."""
