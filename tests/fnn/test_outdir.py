import os
import subprocess
import sys

import pytest

from fnn import outdir


def test_a_folder_holding_a_run_is_never_written_over_unless_asked(tmp_path):
    assert outdir.prepare(tmp_path / "new") == tmp_path / "new" and (tmp_path / "new").is_dir()
    (tmp_path / "new" / "run.json").write_text("{}")
    with pytest.raises(ValueError, match=r"output folder .*new already holds a run; resume it, overwrite it"):
        outdir.prepare(tmp_path / "new")
    assert outdir.prepare(tmp_path / "new", overwrite=True) == tmp_path / "new"
    with pytest.raises(ValueError, match=r"output folder .*new holds no checkpoint last.npz to resume"):
        outdir.prepare(tmp_path / "new", resume=True)


def test_the_default_folder_is_the_first_free_one(tmp_path):
    base = tmp_path / "digits"
    assert outdir.free_folder(base) == base
    for folder in (base, tmp_path / "digits-2"):
        folder.mkdir()
        (folder / "last.npz").write_bytes(b"")
    assert outdir.free_folder(base) == tmp_path / "digits-3"


def test_a_file_or_a_read_only_folder_is_a_one_line_error(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=r"output folder .*file is a file; choose another folder"):
        outdir.prepare(tmp_path / "file")
    with pytest.raises(ValueError, match=r"output folder .*file/sub cannot be created"):
        outdir.prepare(tmp_path / "file" / "sub")
    # CI runs as root, who may write into a 0500 folder: the permission check is stubbed instead.
    monkeypatch.setattr(outdir.os, "access", lambda path, mode: False)
    with pytest.raises(ValueError, match=r"output folder .*ro is not writable"):
        outdir.prepare(tmp_path / "ro")


def test_the_lock_keeps_a_second_run_out_and_is_released(tmp_path):
    with outdir.lock(tmp_path):
        assert (tmp_path / ".lock").read_text() == str(os.getpid())
        with pytest.raises(ValueError, match=r"output folder .* is in use by another run \(process \d+\)"):
            with outdir.lock(tmp_path):
                pass
    assert not (tmp_path / ".lock").exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / ".lock").write_text(dead.stdout.strip())
    with outdir.lock(tmp_path):
        assert (tmp_path / ".lock").read_text() == str(os.getpid())


def test_taking_the_lock_removes_orphan_temporary_files_only(tmp_path):
    import tempfile

    # what fnn.files.atomic_write leaves behind when its process is killed mid-write
    fd, orphan = tempfile.mkstemp(prefix=".last.npz.", suffix=".tmp", dir=tmp_path)
    os.close(fd)
    for name in (".notes.tmp", "x.tmp", "last.npz"):
        (tmp_path / name).write_text("mine")
    with outdir.lock(tmp_path):
        assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", ".notes.tmp", "last.npz", "x.tmp"]
    assert not os.path.exists(orphan)
