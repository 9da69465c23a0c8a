"""Hand-derived backward passes of ``fnn.layers``."""
