import os
import signal

import pytest

from fnn.util import interrupts


@pytest.fixture(autouse=True)
def sigint_as_python_sets_it():
    """Python's own Ctrl-C handler for each test: a suite started in the background runs with SIGINT ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_held_defers_a_signal_to_the_end_of_the_block_and_handled_restores_the_handlers():
    before = signal.getsignal(signal.SIGTERM)
    finished = []
    with interrupts.handled():
        with pytest.raises(KeyboardInterrupt):
            with interrupts.held():
                os.kill(os.getpid(), signal.SIGTERM)
                finished.append(True)  # the block runs to its end first
        assert finished and interrupts.exit_status() == 143 and interrupts.describe() == "stopped by SIGTERM"
        interrupts.check()  # surfaced already: nothing pending
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_held_signal_can_be_absorbed_while_a_stopping_run_saves():
    with interrupts.handled():
        with interrupts.held(then_raise=False):
            os.kill(os.getpid(), signal.SIGINT)
        assert interrupts.exit_status() == 130 and interrupts.describe() == "interrupted"


def test_outside_handled_held_borrows_pythons_ctrl_c_and_gives_it_back():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with interrupts.held():
                os.kill(os.getpid(), signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_an_inherited_ignore_is_kept():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts.handled():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    finally:
        signal.signal(signal.SIGINT, previous)
