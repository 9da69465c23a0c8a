"""Models built from ``fnn.layers``: a frozen config, ``init(key, config)`` and ``apply``."""
