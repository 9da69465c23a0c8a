"""Layers: each module has ``init(key, ...) -> params`` and ``apply(params, X) -> Y``."""
