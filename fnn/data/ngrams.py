r"""Smoothed n-gram models of id sequences: the baselines a character language model must beat.

Interpolated Kneser-Ney and interpolated Witten-Bell (Chen & Goodman 1998) over the ids
0..V-1, both ending in the uniform distribution 1/V, so every probability is > 0 (a symbol never
seen in training included). This is a NumPy baseline, not a JAX model: the counts are built
once (every k-gram is one integer code, sum_j w_j V^(k-1-j)), kept as sorted arrays, and looked
up for a whole test stream at once with ``np.searchsorted``.

Conventions (no padding symbols are added):
- Training ids are one stream (1-D) or independent rows (2-D); no n-gram crosses a row's edge.
- A symbol is predicted from the n-1 symbols before it in its row. The first n-1 symbols of a row
  have fewer: symbol t (t < n-1) uses the t symbols before it and the recursion starts at level
  t+1 (for Kneser-Ney a continuation-count level, as in NLTK's ``KneserNeyInterpolated``); the
  very first symbol of a row gets the level-1 probability.
- A context with no counts at a level passes the lower level's probability through unchanged.

Reference: S. F. Chen and J. Goodman, "An empirical study of smoothing techniques for language
modeling", TR-10-98, Harvard University, 1998 (Witten-Bell: section 2.5; Kneser-Ney and its
interpolated form: sections 2.7 and 3; the discount D = n1 / (n1 + 2 n2): Ney, Essen and Kneser 1994).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fnn.util import validate

METHODS = ("kneser_ney", "witten_bell")


class Level(NamedTuple):
    """The counts of one order k, for the k-grams h w (a context h of k-1 ids, then w).

    ``ngrams``: sorted codes h V + w of the k-grams with a count > 0; ``counts``: those counts
    (raw c(h w), or Kneser-Ney's continuation counts N1+(. h w) below the top order);
    ``contexts``: sorted codes of the contexts h with a count; ``totals``: sum_w counts(h w);
    ``types``: N1+(h .), the number of distinct w with counts(h w) > 0; ``discount``: D of this
    level (0 for Witten-Bell, which does not discount).
    """

    ngrams: np.ndarray
    counts: np.ndarray
    contexts: np.ndarray
    totals: np.ndarray
    types: np.ndarray
    discount: float


class NgramModel(NamedTuple):
    """An interpolated n-gram model: ``levels[k - 1]`` holds the k-grams, k = 1..order."""

    method: str
    vocabulary_size: int
    levels: tuple

    @property
    def order(self) -> int:
        return len(self.levels)


def kneser_ney(train_ids, order: int, *, vocabulary_size: int, discount=None) -> NgramModel:
    r"""Interpolated Kneser-Ney model of ``train_ids`` (1-D stream or 2-D independent rows).

    Math:
        top order n (raw counts c):
            p(w | h) = max(c(h w) - D_n, 0) / c(h .) + D_n N1+(h .) / c(h .) p(w | h')
        lower orders k < n (continuation counts N1+(. h w) = #{x : c(x h w) > 0} replace c):
            p(w | h) = max(N1+(. h w) - D_k, 0) / N1+(. h .) + D_k N1+'(h .) / N1+(. h .) p(w | h')
        with h' = h without its first symbol, c(h .) = sum_w c(h w), N1+(. h .) = sum_w N1+(. h w),
        N1+(h .) = #{w : c(h w) > 0}, N1+'(h .) = #{w : N1+(. h w) > 0}; below level 1 the
        uniform p(w) = 1/V. A context whose denominator is 0 gives p(w | h) = p(w | h').
        D_k = n1 / (n1 + 2 n2), n_r = the number of k-grams whose level-k count is r; 0.5 where
        the level has no count of 1 (the formula would give 0 or 0/0; tiny corpora only).

    Args:
        train_ids: integer ids in [0, vocabulary_size), shape (T,) or (rows, T).
        order: n >= 1, the longest n-gram (contexts of n-1 symbols).
        vocabulary_size: V, the number of symbols.
        discount: None (estimate D_k per level), one number in (0, 1] for every level, or a
            sequence of ``order`` numbers in (0, 1] (level 1 first).

    Returns:
        An ``NgramModel`` with method "kneser_ney".

    Reference: Chen & Goodman 1998, sections 2.7 and 3 (interpolated Kneser-Ney).
    """
    rows, order, size = _training("ngrams.kneser_ney", train_ids, order, vocabulary_size)
    discounts = _discounts(discount, order)
    levels = []
    for k in range(1, order + 1):
        if k == order:
            ngrams, counts = np.unique(_codes(rows, k, size), return_counts=True)
        else:  # N1+(. h w): the distinct (k+1)-grams x h w, counted by their last k symbols
            ngrams, counts = np.unique(np.unique(_codes(rows, k + 1, size)) % size**k, return_counts=True)
        counts = counts.astype(np.float64)
        levels.append(_level(ngrams, counts, size, _estimate(counts) if discounts is None else discounts[k - 1]))
    return NgramModel("kneser_ney", size, tuple(levels))


def witten_bell(train_ids, order: int, *, vocabulary_size: int) -> NgramModel:
    r"""Interpolated Witten-Bell model of ``train_ids`` (1-D stream or 2-D independent rows).

    Math:
        p(w | h) = lambda(h) c(h w) / c(h .) + (1 - lambda(h)) p(w | h')
                 = (c(h w) + N1+(h .) p(w | h')) / (c(h .) + N1+(h .)),
        lambda(h) = c(h .) / (c(h .) + N1+(h .)), raw counts c at every order, h' = h without its
        first symbol, N1+(h .) = #{w : c(h w) > 0}; below level 1 the uniform p(w) = 1/V, so
        p(w) = (c(w) + N1+(.) / V) / (N + N1+(.)). A context with c(h .) = 0 gives p(w | h').

    Args:
        train_ids: integer ids in [0, vocabulary_size), shape (T,) or (rows, T).
        order: n >= 1, the longest n-gram.
        vocabulary_size: V, the number of symbols.

    Returns:
        An ``NgramModel`` with method "witten_bell".

    Reference: Chen & Goodman 1998, section 2.5 (Witten and Bell 1991, method C).
    """
    rows, order, size = _training("ngrams.witten_bell", train_ids, order, vocabulary_size)
    levels = []
    for k in range(1, order + 1):
        ngrams, counts = np.unique(_codes(rows, k, size), return_counts=True)
        levels.append(_level(ngrams, counts.astype(np.float64), size, 0.0))
    return NgramModel("witten_bell", size, tuple(levels))


def probability(model: NgramModel, context, symbol: int) -> float:
    """p(symbol | context) under ``model``: the last n-1 ids of ``context`` (all of them when it is shorter).

    Math: as in ``kneser_ney`` / ``witten_bell``; a context of m < n-1 ids starts the recursion at level m+1.
    """
    n, size = model.order, model.vocabulary_size
    context = _ids("ngrams.probability", "context", context, size).reshape(-1)
    symbol = validate.integer("ngrams.probability", "symbol", symbol, 0, size - 1)
    m = min(len(context), n - 1)
    gram = np.zeros((1, n), np.int64)
    gram[0, n - 1 - m:n - 1], gram[0, -1] = context[len(context) - m:], symbol
    return float(_probabilities(model, gram, np.array([m]))[0])


def perplexity(model: NgramModel, test_ids, *, prefix: int = 0) -> float:
    r"""exp(-mean log p(w_t | w_{t-n+1..t-1})) over the symbols of ``test_ids`` (1-D or 2-D rows).

    Each row is scored on its own, from its start, with no padding: symbol t of a row is predicted
    from the min(t, n-1) symbols before it in the row (t < n-1: a shorter context, whose recursion
    starts at level t+1; t = 0: the level-1 probability). The first ``prefix`` symbols of each row
    are context only and are not scored (``prefix=1`` on ``window_rows`` scores exactly the
    targets y of next-character windows, each from the ids of its own window, as an RNN sees them).

    Math:
        perplexity = exp(-(1 / |S|) sum_{(r, t) in S} log p(w_{r,t} | w_{r,max(0,t-n+1)..t-1})),
        S = every row r and position t >= prefix.
    """
    rows = _ids("ngrams.perplexity", "test_ids", test_ids, model.vocabulary_size, rows=True)
    if rows.size == 0:
        raise ValueError(f"ngrams.perplexity: expected at least one test id, got test_ids.shape={rows.shape}")
    prefix = validate.integer("ngrams.perplexity", "prefix", prefix, 0, rows.shape[1] - 1)
    n, length = model.order, rows.shape[1]
    padded = np.concatenate([np.zeros((len(rows), n - 1), np.int64), rows], axis=1)
    grams = np.lib.stride_tricks.sliding_window_view(padded, n, axis=1)[:, prefix:].reshape(-1, n)
    available = np.tile(np.minimum(np.arange(prefix, length), n - 1), len(rows))
    return float(np.exp(-np.mean(np.log(_probabilities(model, grams, available)))))


def baselines(train_ids, test_ids, *, vocabulary_size: int, orders=(3, 4, 5), prefix: int = 0) -> dict:
    """Test perplexities {"kneser_ney_3": ..., "witten_bell_5": ...} of both models, fitted on
    ``train_ids``, for each of ``orders``; ``test_ids`` and ``prefix`` as in ``perplexity``."""
    fitters = {"kneser_ney": kneser_ney, "witten_bell": witten_bell}
    return {f"{name}_{n}": perplexity(fit(train_ids, n, vocabulary_size=vocabulary_size), test_ids, prefix=prefix)
            for name, fit in fitters.items() for n in orders}


def window_rows(X, y) -> np.ndarray:
    """The (N, T + 1) id rows of next-character windows (``fnn.data.text.windows``): row k = X[k], then
    y[k, -1]. X may hold the ids as floats (as the data sets do); y must be X shifted by one."""
    X, y = np.asarray(X), np.asarray(y)
    validate.ndim("ngrams.window_rows", "X", X, 2)
    ids = X.astype(np.int64)
    if y.shape != X.shape or not np.array_equal(ids, X) or not np.array_equal(y[:, :-1], ids[:, 1:]):
        raise ValueError(f"ngrams.window_rows: expected integral ids X and targets y = X shifted by one "
                         f"position (same shape), got X.shape={X.shape}, y.shape={y.shape}; pass whole "
                         "windows from fnn.data.text.windows, not shuffled steps")
    return np.concatenate([ids, y[:, -1:].astype(np.int64)], axis=1)


def _probabilities(model: NgramModel, grams: np.ndarray, available: np.ndarray) -> np.ndarray:
    """p(w | h) for each row of ``grams`` (Q, n): w = grams[:, -1], h = the last ``available`` (Q,)
    ids of grams[:, :-1] (the entries before them are ignored)."""
    size, n = model.vocabulary_size, model.order
    p = np.full(len(grams), 1.0 / size)
    code = np.zeros(len(grams), np.int64)
    for k, level in enumerate(model.levels, start=1):
        code = code + grams[:, n - k] * size ** (k - 1)  # the k-gram grams[:, n-k:], w the lowest digit
        count = _lookup(level.ngrams, level.counts, code)
        total = _lookup(level.contexts, level.totals, code // size)
        types = _lookup(level.contexts, level.types, code // size)
        seen = (available >= k - 1) & (total > 0)
        if model.method == "kneser_ney":
            mixed = (np.maximum(count - level.discount, 0.0) + level.discount * types * p) / np.where(seen, total, 1.0)
        else:
            mixed = (count + types * p) / np.where(seen, total + types, 1.0)
        p = np.where(seen, mixed, p)
    return p


def _lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """values[i] where keys[i] == query (keys sorted), 0 where the query is absent."""
    if len(keys) == 0:
        return np.zeros(len(queries))
    index = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[index] == queries, values[index], 0.0)


def _level(ngrams: np.ndarray, counts: np.ndarray, size: int, discount: float) -> Level:
    """A ``Level`` from sorted k-gram codes and their counts (contexts = codes // V, also sorted)."""
    contexts, first, types = np.unique(ngrams // size, return_index=True, return_counts=True)
    totals = np.add.reduceat(counts, first) if len(counts) else np.zeros(0)
    return Level(ngrams, counts, contexts, totals, types.astype(np.float64), float(discount))


def _estimate(counts: np.ndarray) -> float:
    """D = n1 / (n1 + 2 n2) from the counts of counts; 0.5 when n1 = 0."""
    n1, n2 = int(np.sum(counts == 1)), int(np.sum(counts == 2))
    return n1 / (n1 + 2 * n2) if n1 > 0 else 0.5


def _codes(rows: np.ndarray, k: int, size: int) -> np.ndarray:
    """The codes sum_j w_j V^(k-1-j) of every k-gram inside the rows (Horner's rule), flattened."""
    codes = np.zeros((len(rows), max(rows.shape[1] - k + 1, 0)), np.int64)
    for j in range(k):
        codes = codes * size + rows[:, j:j + codes.shape[1]]
    return codes.reshape(-1)


def _discounts(discount, order: int):
    """None, or ``order`` discounts in (0, 1] from one number or a sequence of them."""
    if discount is None:
        return None
    values = [discount] * order if np.ndim(discount) == 0 else list(discount)
    if len(values) != order:
        raise ValueError(f"ngrams.kneser_ney: expected one discount or {order} (one per order), got {len(values)}")
    for value in values:
        validate.number_in("ngrams.kneser_ney", "discount", value, 0.0, 1.0, low_open=True)
    return [float(value) for value in values]


def _training(where: str, train_ids, order, vocabulary_size):
    """(rows (R, T) int64, order, V) checked: a positive order whose codes fit int64, ids in range."""
    size = validate.integer(where, "vocabulary_size", vocabulary_size)
    order = validate.integer(where, "order", order)
    if size**order >= 2**62:
        raise ValueError(f"{where}: expected vocabulary_size**order < 2**62 (n-gram codes are int64), got "
                         f"{size}**{order}; lower the order")
    rows = _ids(where, "train_ids", train_ids, size, rows=True)
    if rows.size == 0:
        raise ValueError(f"{where}: expected at least one training id, got train_ids.shape={rows.shape}")
    return rows, order, size


def _ids(where: str, name: str, ids, size: int, *, rows: bool = False) -> np.ndarray:
    """``ids`` as int64 (2-D rows when ``rows``: a 1-D stream becomes one row), checked in [0, size)."""
    ids = np.asarray(ids)
    if ids.size and ids.dtype.kind not in "iu":
        raise TypeError(f"{where}: expected integer ids in {name}, got dtype={ids.dtype}")
    if ids.ndim not in ((1, 2) if rows else (0, 1)):
        raise ValueError(f"{where}: expected {name} with {'1 or 2' if rows else '0 or 1'} dimensions, "
                         f"got {name}.shape={ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= size):
        raise ValueError(f"{where}: expected ids in [0, {size}) (vocabulary_size) in {name}, "
                         f"got values in [{ids.min()}, {ids.max()}]")
    ids = ids.astype(np.int64)
    return np.atleast_2d(ids) if rows else ids
