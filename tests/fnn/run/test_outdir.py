import os
import subprocess
import sys

import pytest

from fnn.run import outdir


def test_a_folder_holding_a_run_is_never_written_over_unless_asked(tmp_path):
    assert outdir.prepare(tmp_path / "new") == tmp_path / "new" and (tmp_path / "new").is_dir()
    (tmp_path / "new" / "run.json").write_text("{}")
    with pytest.raises(ValueError, match=r"output folder .*new already holds a run; resume it, overwrite it"):
        outdir.prepare(tmp_path / "new")
    assert outdir.prepare(tmp_path / "new", overwrite=True) == tmp_path / "new"
    with pytest.raises(ValueError, match=r"output folder .*new holds no checkpoint last.npz to resume"):
        outdir.prepare(tmp_path / "new", resume=True)


def test_the_default_folder_is_the_first_free_one_and_is_locked_as_it_is_chosen(tmp_path):
    base = tmp_path / "digits"
    assert outdir.free_folder(base) == base
    assert outdir.free_folder(base) == tmp_path / "digits-2"  # base is reserved for the first caller
    with outdir.lock(base):  # takes the reservation over
        with pytest.raises(ValueError, match=r"output folder .*digits is in use by another run \(process \d+\)"):
            with outdir.lock(base):
                pass
        (base / "last.npz").write_bytes(b"")
    assert not (base / ".lock").exists()
    with outdir.lock(tmp_path / "digits-2"):
        (tmp_path / "digits-2" / "run.json").write_text("{}")
    assert outdir.free_folder(base) == tmp_path / "digits-3"


def hold_lock(folder):
    """A live process holding ``outdir.lock(folder)`` until it is killed."""
    code = ("import sys, time\nfrom fnn.run import outdir\n"
            "with outdir.lock(sys.argv[1]):\n print('held', flush=True)\n time.sleep(600)")
    child = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "held\n"
    return child


def test_a_folder_another_live_run_holds_is_skipped(tmp_path):
    (tmp_path / "digits").mkdir()
    child = hold_lock(tmp_path / "digits")
    try:
        assert (tmp_path / "digits" / ".lock").read_text() == str(child.pid)
        assert outdir.free_folder(tmp_path / "digits") == tmp_path / "digits-2"
        in_use = rf"output folder .*digits is in use by another run \(process {child.pid}\)"
        with pytest.raises(ValueError, match=in_use):
            with outdir.lock(tmp_path / "digits"):
                pass
    finally:
        child.kill()
        child.wait()
    with outdir.lock(tmp_path / "digits"):  # killed: the kernel dropped its lock
        assert (tmp_path / "digits" / ".lock").read_text() == str(os.getpid())


def test_a_bad_output_path_is_one_line_naming_it_and_what_is_wrong(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    long = "x" * 300
    cases = [
        (outdir.writable_folder, tmp_path / "file", "--out", r"--out .*file: is a file, expected a folder$"),
        (outdir.writable_folder, tmp_path / "file" / "a" / "b", "--out",
         r"--out .*file/a/b: a component of the path is a file \(.*file/a/b is under the file .*file\)$"),
        (outdir.writable_folder, tmp_path / long / "a", "--out",
         r"--out .*: the name xxxxxxxxxxxxxxxxxxxx\.\.\. is 300 bytes long, more than the 255 the file system allows$"),
        (outdir.writable_file, tmp_path, "--output", r"--output .*: is a folder, expected a file$"),
        (outdir.writable_file, tmp_path / "file" / "p.csv", "--output", r"a component of the path is a file"),
        (outdir.prepare, tmp_path / "file", None, r"output folder .*file: is a file, expected a folder$"),
        (outdir.prepare, tmp_path / long, None, r"output folder .*: the name x+\.\.\. is 300 bytes long"),
    ]
    for check, path, name, message in cases:
        with pytest.raises(ValueError, match=message):
            check(path) if name is None else check(path, name)
    assert outdir.writable_file(tmp_path / "new" / "p.csv", "--output") == tmp_path / "new" / "p.csv"
    assert (tmp_path / "new").is_dir()

    def refused(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(outdir.Path, "mkdir", refused)
    with pytest.raises(ValueError, match=r"--output .*q/p.csv: its folder .*q cannot be created "
                                         r"\(Permission denied\)$"):
        outdir.writable_file(tmp_path / "q" / "p.csv", "--output")
    monkeypatch.undo()
    # CI runs as root, who may write into a 0500 folder: the permission check is stubbed instead.
    monkeypatch.setattr(outdir.os, "access", lambda path, mode: False)
    with pytest.raises(ValueError, match=r"output folder .*ro: is not writable$"):
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

    # what fnn.util.files.atomic_write leaves behind when its process is killed mid-write
    fd, orphan = tempfile.mkstemp(prefix=".last.npz.", suffix=".tmp", dir=tmp_path)
    os.close(fd)
    for name in (".notes.tmp", "x.tmp", "last.npz"):
        (tmp_path / name).write_text("mine")
    with outdir.lock(tmp_path):
        assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", ".notes.tmp", "last.npz", "x.tmp"]
    assert not os.path.exists(orphan)
