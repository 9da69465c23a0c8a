import pytest

from fnn.util import files


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "sub" / "a.txt"
    files.atomic_write_text(path, "one")
    files.atomic_write_text(path, "two")
    assert path.read_text() == "two"
    assert [p.name for p in path.parent.iterdir()] == ["a.txt"]


def test_a_crash_mid_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "a.bin"
    files.atomic_write_text(path, "good")

    def crash(f):
        f.write(b"partial")
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        files.atomic_write(path, crash)
    assert path.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_ctrl_c_during_a_write_is_raised_once_the_file_is_complete(tmp_path):
    import os
    import signal

    import numpy as np

    def interrupted_savez(f):  # Ctrl-C in the middle of np.savez's zip
        np.savez(f, a=np.arange(3))
        os.kill(os.getpid(), signal.SIGINT)
        np.savez(f, b=np.arange(4))

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            files.atomic_write(tmp_path / "a.npz", interrupted_savez)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert [p.name for p in tmp_path.iterdir()] == ["a.npz"]


def test_written_files_get_the_users_usual_mode_not_0600(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        path = files.atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


def killed_mid_write(path):
    """Run ``atomic_write`` in a process that dies mid-write (no cleanup runs), as a kill would."""
    import subprocess
    import sys

    code = ("import os, sys; from fnn.util import files; "
            "files.atomic_write(sys.argv[1], lambda f: (f.write(b'partial'), f.flush(), os._exit(9)))")
    assert subprocess.run([sys.executable, "-c", code, str(path)], check=False).returncode == 9


def test_orphans_of_a_killed_write_are_removed_and_nothing_else(tmp_path):
    files.atomic_write_text(tmp_path / "last.npz", "good")
    killed_mid_write(tmp_path / "last.npz")
    orphans = [p for p in tmp_path.iterdir() if p.name.startswith(".last.npz.")]
    assert len(orphans) == 1 and orphans[0].read_bytes() == b"partial"
    kept = [".notes.tmp", "x.tmp", ".last.npz.tmp", ".last.npz.abc.tmp", "last.npz.abcdefgh.tmp", ".a.abcdefgh.tmp.x"]
    for name in kept:
        (tmp_path / name).write_text("mine")
    (tmp_path / "sub").mkdir()
    killed_mid_write(tmp_path / "sub" / "a.txt")
    assert files.remove_orphans(tmp_path) == orphans
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["last.npz", "sub", *kept])
    assert (tmp_path / "last.npz").read_text() == "good" and len(list((tmp_path / "sub").iterdir())) == 1
    assert files.remove_orphans(tmp_path) == []


def test_a_failed_write_names_the_file_keeps_its_errno_and_the_previous_file(tmp_path):
    import errno

    path = files.atomic_write_text(tmp_path / "a.npz", "good")

    def full_disk(f):
        f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match=r"^\[Errno 28\] cannot write .*a.npz: No space left on device$") as error:
        files.atomic_write(path, full_disk)
    assert error.value.errno == errno.ENOSPC
    assert path.read_text() == "good" and [p.name for p in tmp_path.iterdir()] == ["a.npz"]
    with pytest.raises(FileExistsError, match=r"^\[Errno 17\] cannot write .*a.npz/b.txt: File exists$"):
        files.atomic_write_text(path / "b.txt", "x")


def test_files_written_together_are_all_replaced_or_none(tmp_path, monkeypatch):
    import os

    first, second = tmp_path / "params.npz", tmp_path / "run.json"
    assert files.atomic_write_all({first: b"old params", second: b"old run"}) == [first, second]
    fsync = os.fsync
    calls = []

    def disk_full_on_the_second(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        fsync(fd)

    monkeypatch.setattr(os, "fsync", disk_full_on_the_second)
    with pytest.raises(OSError, match=r"cannot write .*run.json: No space left on device"):
        files.atomic_write_all({first: b"new params", second: b"new run"})
    assert first.read_bytes() == b"old params" and second.read_bytes() == b"old run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.npz", "run.json"]
