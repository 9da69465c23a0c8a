"""Ctrl-C and SIGTERM as a clean stop: a run finishes what it is writing, checkpoints, and says how to resume.

Python turns Ctrl-C into a ``KeyboardInterrupt`` wherever the program happens to be. Two
places lose it: the middle of a file write (``np.savez``'s zip is left half open, and its
own error replaces the interrupt) and code Python runs for itself, such as JAX's
garbage-collection callback, which prints the exception and carries on. So:

- ``handled()`` (the ``fnn`` command runs inside it) makes SIGINT and SIGTERM record the
  signal, then raise ``KeyboardInterrupt``; an inherited "ignore SIGINT" (a job started in
  the background) is kept.
- ``held()`` defers both signals until its block ends, then raises: a file, or an epoch's
  record with its checkpoints, is written whole.
- ``check()`` raises ``KeyboardInterrupt`` for a signal that was received but whose
  exception never surfaced (swallowed by a callback); ``fnn.fit`` and a search call it around
  every epoch, the command before it reports success.
- Once one ``KeyboardInterrupt`` is raised, later signals are only recorded: the stop writes
  its checkpoint and history whole and exits with its one line.
- ``exit_status()`` is the shell's 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM).

Outside ``handled()`` (fnn used as a library), ``held()`` still holds Ctrl-C where Python's
default handler is in place, and ``check()`` finds nothing.
"""

from __future__ import annotations

import contextlib
import gc
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)
NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}

_received: list[int] = []
_surfaced = 0
"""How many of ``_received`` have been raised where the program sees them (``check`` counts them)."""
_holding = 0
_handling = False
"""Inside ``handled``."""
_stopping = False
"""Inside ``handled``, a ``KeyboardInterrupt`` has been raised: later signals are recorded only, so the
stop completes its writes (a library caller may go on after one, so there it stays False)."""


def _in_gc_callback(frame) -> bool:
    """Whether ``frame`` runs inside a garbage-collection callback, where an exception is printed and dropped."""
    callbacks = {getattr(callback, "__code__", None) for callback in gc.callbacks}
    while frame is not None:
        if frame.f_code in callbacks:
            return True
        frame = frame.f_back
    return False


def _record(signum, frame) -> None:
    global _stopping
    _received.append(signum)
    if not (_holding or _stopping or _in_gc_callback(frame)):  # in a callback ``check`` raises it at the next epoch
        _stopping = _handling
        raise KeyboardInterrupt


@contextlib.contextmanager
def handled():
    """While the block runs, SIGINT and SIGTERM stop the program cleanly: each is recorded, then
    raised as ``KeyboardInterrupt`` (held inside ``held``). An inherited "ignore" is kept; the
    previous handlers come back afterwards."""
    global _surfaced, _stopping, _handling
    _received.clear()
    _surfaced, _stopping = 0, False
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    for signum, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(signum, _record)
    _handling = True
    try:
        yield
    finally:
        _handling = _stopping = False
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def last_signal() -> int:
    """The last signal received (SIGINT when none was: a ``KeyboardInterrupt`` raised otherwise)."""
    return _received[-1] if _received else signal.SIGINT


def exit_status() -> int:
    """128 + the number of the last signal: 130 after Ctrl-C, 143 after SIGTERM."""
    return 128 + last_signal()


def describe() -> str:
    """"interrupted" after Ctrl-C, "stopped by SIGTERM" after SIGTERM."""
    return "interrupted" if last_signal() == signal.SIGINT else f"stopped by {NAMES[last_signal()]}"


def surfaced() -> None:
    """Note that every signal received so far has been seen (a ``KeyboardInterrupt`` was caught)."""
    global _surfaced
    _surfaced = len(_received)


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a signal came whose exception was lost (e.g. in a GC callback)."""
    global _stopping
    if len(_received) > _surfaced:
        surfaced()
        _stopping = _handling
        raise KeyboardInterrupt


@contextlib.contextmanager
def held(*, then_raise: bool = True):
    """Defer SIGINT and SIGTERM until the block ends, then raise ``KeyboardInterrupt`` if one came
    (``then_raise`` False: absorb them, for the writes of a run that is already stopping).

    When the block raises, its exception goes on (the run stops anyway). Nested blocks hold
    until the outermost ends. Where nothing is installed, only Python's default Ctrl-C
    handler in the main thread is held; elsewhere the block runs as is.
    """
    global _holding, _stopping
    before = len(_received)
    _holding += 1  # before the handler is borrowed: a signal in between is held, not raised
    borrowed = threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGINT) is signal.default_int_handler
    try:
        if borrowed:
            signal.signal(signal.SIGINT, _record)
        yield
    finally:
        _holding -= 1
        if borrowed:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        came = not _holding and len(_received) > before
        if came:
            surfaced()  # raised below, or dropped with the block's own exception
    if came and then_raise and not _stopping:
        _stopping = _handling
        raise KeyboardInterrupt
