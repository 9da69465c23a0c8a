import pytest

from fnn import files


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


def test_written_files_get_the_users_usual_mode_not_0600(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        path = files.atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644
