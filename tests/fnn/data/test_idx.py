import gzip
import struct

import numpy as np
import pytest

from fnn.data import idx


def write_idx(path, array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim])
    data = header + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(idx.TYPES[type_code]).tobytes()
    (gzip.open if str(path).endswith(".gz") else open)(path, "wb").write(data)
    return path


def write_mnist(folder, n_train=6, n_test=4, gz=False):
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    arrays = {"train_images": rng.integers(0, 256, (n_train, 28, 28)), "train_labels": rng.integers(0, 10, n_train),
              "test_images": rng.integers(0, 256, (n_test, 28, 28)), "test_labels": rng.integers(0, 10, n_test)}
    for key, array in arrays.items():
        write_idx(folder / (idx.FILES[key] + suffix), array)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, gz):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = write_idx(tmp_path / ("a.idx" + (".gz" if gz else "")), array)
    np.testing.assert_array_equal(idx.read_idx(path), array)
    floats = np.linspace(-1, 1, 6).reshape(3, 2)
    np.testing.assert_array_equal(idx.read_idx(write_idx(tmp_path / "f.idx", floats, 0x0E)), floats)


def test_truncated_and_foreign_files_are_named(tmp_path):
    path = write_idx(tmp_path / "a.idx", np.zeros((5, 5), np.uint8))
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(ValueError, match=r"read_idx: .*a.idx holds 22 data bytes, expected 25 for shape \(5, 5\)"):
        idx.read_idx(path)
    (tmp_path / "b.idx").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match=r"read_idx: .*b.idx is not an IDX file"):
        idx.read_idx(tmp_path / "b.idx")


def test_load_mnist_reads_the_four_files(tmp_path):
    arrays = write_mnist(tmp_path, gz=True)
    loaded = idx.load_mnist(tmp_path)
    for key in arrays:
        np.testing.assert_array_equal(loaded[key], arrays[key])


def test_a_folder_without_idx_files_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"mnist: no IDX file train-images-idx3-ubyte\[.gz\] in .*; expected train-images"):
        idx.load_mnist(tmp_path)
    with pytest.raises(ValueError, match=r"mnist: expected data_dir to be a folder holding the IDX files"):
        idx.load_mnist(tmp_path / "missing")


def test_damaged_gzip_and_empty_files_are_named(tmp_path):
    path = write_idx(tmp_path / "a.idx.gz", np.zeros((5, 5), np.uint8))
    path.write_bytes(path.read_bytes()[:-6])  # cut inside the gzip trailer
    with pytest.raises(ValueError, match=r"read_idx: .*a.idx.gz is a damaged gzip file"):
        idx.read_idx(path)
    (tmp_path / "b.idx.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match=r"read_idx: .*b.idx.gz is a damaged gzip file"):
        idx.read_idx(tmp_path / "b.idx.gz")
    (tmp_path / "c.idx").write_bytes(b"")
    with pytest.raises(ValueError, match=r"read_idx: .*c.idx is not an IDX file \(header b''\)"):
        idx.read_idx(tmp_path / "c.idx")


def test_an_idx_file_of_no_images_is_refused(tmp_path):
    write_mnist(tmp_path, n_train=0)
    with pytest.raises(ValueError, match=r"mnist: expected train images in .*, got an IDX file of 0 images"):
        idx.load_mnist(tmp_path)
