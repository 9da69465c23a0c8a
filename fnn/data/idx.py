"""Reader for the IDX files of MNIST and Fashion-MNIST that a user already has on disk.

IDX: two zero bytes, a type code (0x08 unsigned byte, ...), the number of dimensions d,
then d big-endian uint32 sizes and the data, big-endian. Files may be gzip-compressed.
Nothing is downloaded.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def read_idx(path) -> np.ndarray:
    """Read one IDX file (``.gz`` or not) into a NumPy array of its stored type and shape.

    Raises:
        ValueError: naming the file, when its header is not IDX or its data is truncated.
    """
    path = Path(path)
    try:
        raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise ValueError(f"read_idx: {path} is a damaged gzip file ({error}); download or unpack it again") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in TYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file (header {raw[:4]!r})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} is truncated inside its header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"read_idx: {path} holds {len(raw) - header} data bytes, expected {expected} for shape {shape}"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def find(data_dir, stem: str) -> Path:
    """The file ``stem`` or ``stem.gz`` in ``data_dir``."""
    for name in (stem, stem + ".gz"):
        if (Path(data_dir) / name).is_file():
            return Path(data_dir) / name
    raise ValueError(
        f"mnist: no IDX file {stem}[.gz] in {data_dir}; expected {', '.join(FILES.values())} "
        "(MNIST or Fashion-MNIST, as distributed)"
    )


def load_mnist(data_dir) -> dict[str, np.ndarray]:
    """The four MNIST arrays of ``data_dir``: train/test images (N, 28, 28) and labels (N,)."""
    if not Path(data_dir).is_dir():
        raise ValueError(f"mnist: expected data_dir to be a folder holding the IDX files, got {data_dir}")
    arrays = {key: read_idx(find(data_dir, stem)) for key, stem in FILES.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if len(images) == 0:
            raise ValueError(f"mnist: expected {part} images in {data_dir}, got an IDX file of 0 images")
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"mnist: {part} images {images.shape} and labels {labels.shape} in {data_dir} do not pair up"
            )
    return arrays
