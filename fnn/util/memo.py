"""A bounded memo for built functions: equal keys get the same object back.

``jax.jit`` caches compilations per function object, so handing back the function built
for equal arguments is what lets a second ``fit`` on the same shapes compile nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

MAX_ENTRIES = 64


def get_or_build(memo: dict, key: Hashable, build: Callable[[], Any]) -> Any:
    """``memo[key]``, built by ``build()`` the first time; an unhashable key builds anew every time.

    The memo keeps the ``MAX_ENTRIES`` newest entries (the oldest is dropped first).
    """
    try:
        found = memo.get(key)
    except TypeError:
        return build()
    if found is None:
        if len(memo) >= MAX_ENTRIES:
            memo.pop(next(iter(memo)))
        found = memo[key] = build()
    return found
