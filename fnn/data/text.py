r"""A character corpus that ships with every Python: standard-library source files.

``corpus()`` joins the source of ``MODULES`` (read from the running interpreter's standard
library, so the text is fixed by the Python version: this project runs 3.11);
``Vocabulary`` maps its characters to ids and back; ``pysource_windows()`` cuts the ids into
windows of ``WINDOW`` characters for next-character prediction, x = c_{i..i+T-1},
y = c_{i+1..i+T}, and holds out the last ``TEST_FRACTION`` of the text as the test split.

Baselines a language model must beat, fitted on the training windows and scored on the
held-out ones (perplexity = exp of the mean negative log-likelihood per character):
    unigram: p(c) = (count(c) + 1) / (n + V)
    bigram:  p(c | b) = (count(b c) + 1) / (count(b) + V)      (add-one smoothing)
"""

from __future__ import annotations

import functools
import math
import sysconfig
from pathlib import Path

import jax.numpy as jnp
import numpy as np

MODULES = ("textwrap", "string", "calendar", "difflib", "argparse", "contextlib", "random", "pprint")
"""Standard-library modules whose source is the corpus (about 320,000 ASCII characters)."""
WINDOW = 64
"""Characters per training sequence: the length of backpropagation through time."""
TEST_FRACTION = 0.1


@functools.cache
def corpus() -> str:
    """The source of ``MODULES`` joined in order (a ValueError if the standard library's sources are missing)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    texts = []
    for name in MODULES:
        path = root / f"{name}.py"
        if not path.is_file():
            raise ValueError(f"text.corpus: expected the standard library's source {path}, found none "
                             "(a Python installed without its .py files)")
        texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


class Vocabulary:
    """The sorted characters of a text, ``encode``d to ids 0..V-1 and ``decode``d back."""

    def __init__(self, characters: str):
        self.characters = "".join(sorted(set(characters)))
        if not self.characters:
            raise ValueError("Vocabulary: expected a non-empty text, got an empty one")
        self.index = {c: i for i, c in enumerate(self.characters)}

    def __len__(self) -> int:
        return len(self.characters)

    def encode(self, text: str) -> np.ndarray:
        """Ids (len(text),) int32; a ValueError names the first character outside the vocabulary."""
        unknown = next((c for c in text if c not in self.index), None)
        if unknown is not None:
            raise ValueError(f"Vocabulary.encode: expected characters of the vocabulary, got {unknown!r}")
        return np.fromiter((self.index[c] for c in text), np.int32, len(text))

    def decode(self, ids) -> str:
        return "".join(self.characters[int(i)] for i in np.asarray(ids).reshape(-1))


def windows(ids: np.ndarray, length: int):
    """Non-overlapping (X, y) windows: X[k] = ids[kT : kT + T], y[k] = ids[kT + 1 : kT + T + 1]."""
    count = (len(ids) - 1) // length
    if count < 1:
        raise ValueError(f"text.windows: expected at least {length + 1} characters, got {len(ids)}")
    X = ids[:count * length].reshape(count, length)
    y = ids[1:count * length + 1].reshape(count, length)
    return X, y


def split_text(text: str):
    """(training text, held-out text): the last ``TEST_FRACTION`` of the characters is held out."""
    cut = int(len(text) * (1 - TEST_FRACTION))
    return text[:cut], text[cut:]


def pysource_windows():
    """(X, y, vocabulary size, held-out (X, y)): the corpus as windows of ``WINDOW`` ids (X as float32,
    like every data set's features, exact for ids below 2^24); ``fnn.data.datasets.pysource`` wraps them."""
    vocabulary = Vocabulary(corpus())
    train, held_out = (windows(vocabulary.encode(part), WINDOW) for part in split_text(corpus()))
    as_set = lambda X, y: (jnp.asarray(X, jnp.float32), jnp.asarray(y))  # noqa: E731 (X float32 as every data set's)
    return (*as_set(*train), len(vocabulary), as_set(*held_out))


def unigram_perplexity(train, test, size: int) -> float:
    """exp(-mean log p(c)) over the next characters of the ``test`` windows (X, y), add-one
    unigram probabilities from the next characters of the ``train`` windows."""
    counts = np.bincount(np.asarray(train[1], np.int64).reshape(-1), minlength=size) + 1.0
    return math.exp(-np.mean(np.log(counts[np.asarray(test[1], np.int64)] / counts.sum())))


def bigram_perplexity(train, test, size: int) -> float:
    """exp(-mean log p(c | b)) over the (b, c) = (x_t, y_t) pairs of the ``test`` windows, add-one
    bigram probabilities from the pairs of the ``train`` windows."""
    counts = np.ones((size, size))
    np.add.at(counts, tuple(np.asarray(a, np.int64).reshape(-1) for a in train), 1.0)
    probabilities = counts / counts.sum(axis=1, keepdims=True)
    previous, following = (np.asarray(a, np.int64) for a in test)
    return math.exp(-np.mean(np.log(probabilities[previous, following])))
