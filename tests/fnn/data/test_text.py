import math
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from fnn.data import datasets, text


def test_the_corpus_is_the_standard_library_modules_and_the_windows_shift_by_one():
    corpus = text.corpus()
    assert corpus.startswith('"""Text wrapping and filling.') and len(corpus) > 300_000
    data = datasets.load("pysource", key=None)
    vocabulary = text.Vocabulary(corpus)
    assert data.num_classes == len(vocabulary) and data.X.shape[1] == text.WINDOW
    np.testing.assert_array_equal(data.X[0, 1:], data.y[0, :-1])
    assert vocabulary.decode(data.X[0]) == corpus[:text.WINDOW]
    train_text, held_out = text.split_text(corpus)
    assert vocabulary.decode(data.test[0][0]) == held_out[:text.WINDOW]
    assert len(data.X) == (len(train_text) - 1) // text.WINDOW


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the page describes Python 3.11's standard library")
def test_the_held_out_text_is_the_end_of_random_py_and_all_of_pprint_py():
    """The RNN page: the test set is the last 7,839 characters of random.py and the whole of pprint.py."""
    root = Path(sysconfig.get_paths()["stdlib"])
    random_py, pprint_py = ((root / f"{name}.py").read_text(encoding="utf-8") for name in ("random", "pprint"))
    assert text.MODULES[-2:] == ("random", "pprint")
    assert text.split_text(text.corpus())[1] == random_py[-7839:] + "\n" + pprint_py


def test_the_vocabulary_round_trips_and_names_an_unknown_character():
    vocabulary = text.Vocabulary("hello world")
    assert vocabulary.characters == " dehlorw" and vocabulary.decode(vocabulary.encode("world")) == "world"
    with pytest.raises(ValueError, match=r"Vocabulary.encode: expected characters of the vocabulary, got 'z'"):
        vocabulary.encode("zoo")
    with pytest.raises(ValueError, match="Vocabulary: expected a non-empty text, got an empty one"):
        text.Vocabulary("")
    with pytest.raises(ValueError, match="text.windows: expected at least 5 characters, got 3"):
        text.windows(np.arange(3), 4)


def test_the_baselines_are_the_smoothed_counts():
    """A text alternating 0 1 0 1 ...: the unigram model gives about 1/2 to each symbol; the
    bigram model (add-one, 2 symbols) gives a transition seen n times (n + 1) / (n + 2)."""
    train = text.windows(np.array([0, 1] * 50), 9)
    test = text.windows(np.array([0, 1] * 5), 9)  # pairs: five 0 -> 1, four 1 -> 0
    assert text.unigram_perplexity(train, test, 2) == pytest.approx(2.0, rel=1e-2)
    after_0, after_1 = (int(np.sum(np.asarray(train[0]) == b)) for b in (0, 1))
    expected = math.exp(-(5 * math.log((after_0 + 1) / (after_0 + 2)) + 4 * math.log((after_1 + 1) / (after_1 + 2))) / 9)
    assert text.bigram_perplexity(train, test, 2) == pytest.approx(expected, rel=1e-12)
