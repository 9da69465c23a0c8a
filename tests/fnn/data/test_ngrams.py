import itertools
import math

import numpy as np
import pytest

from fnn.data import ngrams, text

FITTERS = {"kneser_ney": ngrams.kneser_ney, "witten_bell": ngrams.witten_bell}
ABRACADABRA = text.Vocabulary("abracadabra")  # ids: a 0, b 1, c 2, d 3, r 4
SIZE = 6  # one more than the text's 5 characters: id 5 is never seen in training


def ids(string: str) -> np.ndarray:
    return ABRACADABRA.encode(string)


@pytest.mark.parametrize("method", FITTERS)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_the_probabilities_of_every_context_sum_to_one_and_are_positive(method, order):
    vocabulary = text.Vocabulary("abracadabra ")
    size = len(vocabulary) + 1  # a symbol the training text never has
    model = FITTERS[method](vocabulary.encode("abracadabra abracadabra"), order, vocabulary_size=size)
    contexts = [(), (size - 1,), *(tuple(vocabulary.encode(c)) for c in (" ", "ar", "bbb", "abra", " ab"))]
    for context in contexts:  # (size - 1,) (the unseen symbol), "ar" and "bbb" are unseen contexts
        p = np.array([ngrams.probability(model, context, w) for w in range(size)])
        assert np.all(p > 0) and abs(p.sum() - 1) <= 1e-12, (context, p)


@pytest.mark.parametrize("method", FITTERS)
def test_rows_are_independent_sequences_and_still_normalised(method):
    rows = np.stack([ids("abracadab"), ids("cadabraca")])
    model = FITTERS[method](rows, 3, vocabulary_size=SIZE)
    stream = FITTERS[method](rows.reshape(-1), 3, vocabulary_size=SIZE)
    for context in [(), (1,), (1, 2), (1, 4), (3, 3)]:
        p = [ngrams.probability(model, context, w) for w in range(SIZE)]
        assert abs(sum(p) - 1) <= 1e-12
    # "bc" occurs only across the rows' edge ("...dab" + "cad..."): counted in the stream, not in the rows
    assert ngrams.probability(stream, (1,), 2) > ngrams.probability(model, (1,), 2)


def test_kneser_ney_order_2_by_hand():
    # "abracadabra": bigrams ab 2, br 2, ra 2, ac 1, ca 1, ad 1, da 1.
    # Top order (raw counts): n1 = 4, n2 = 3 -> D2 = 4 / (4 + 2 * 3) = 0.4.
    # Level 1 (continuation counts N1+(. w), distinct left neighbours): a 3 (r, c, d), b 1, c 1,
    # d 1, r 1, the unseen id 5: 0; N1+(. .) = 7; n1 = 4, n2 = 0 -> D1 = 4 / 4 = 1;
    # 5 distinct w have a count: p1(w) = (max(N1+(. w) - 1, 0) + 1 * 5 / 6) / 7.
    model = ngrams.kneser_ney(ids("abracadabra"), 2, vocabulary_size=SIZE)
    assert [level.discount for level in model.levels] == [1.0, 0.4]
    p1 = {"a": (3 - 1 + 5 / 6) / 7, "b": (0 + 5 / 6) / 7}
    # context "a": c(ab) = 2, c(ac) = 1, c(ad) = 1: c(a .) = 4, N1+(a .) = 3
    p_b_after_a = (max(2 - 0.4, 0) + 0.4 * 3 * p1["b"]) / 4  # = 61 / 140
    p_a_after_a = (0 + 0.4 * 3 * p1["a"]) / 4  # = 17 / 140
    assert ngrams.probability(model, ids("a"), 1) == pytest.approx(p_b_after_a, rel=1e-14, abs=0)
    assert ngrams.probability(model, ids("a"), 0) == pytest.approx(p_a_after_a, rel=1e-14, abs=0)
    assert p_b_after_a == pytest.approx(61 / 140, rel=1e-14) and p_a_after_a == pytest.approx(17 / 140, rel=1e-14)
    assert ngrams.probability(model, (), 5) == pytest.approx((5 / 6) / 7, rel=1e-14)  # the unseen id
    assert ngrams.probability(model, (5,), 0) == pytest.approx(p1["a"], rel=1e-14)  # unseen context: level 1
    given = ngrams.kneser_ney(ids("abracadabra"), 2, vocabulary_size=SIZE, discount=(0.5, 0.25))
    assert ngrams.probability(given, ids("a"), 1) == pytest.approx(
        (2 - 0.25 + 0.25 * 3 * (1 - 0.5 + 0.5 * 5 / 6) / 7) / 4, rel=1e-14)


def test_witten_bell_order_2_by_hand():
    # level 1: c(a) = 5, c(b) = c(r) = 2, c(c) = c(d) = 1; N = 11, N1+(.) = 5: p1 = (c + 5 / 6) / 16
    # context "a": c(a .) = 4, N1+(a .) = 3: p(b | a) = (2 + 3 p1(b)) / (4 + 3)
    model = ngrams.witten_bell(ids("abracadabra"), 2, vocabulary_size=SIZE)
    assert ngrams.probability(model, ids("a"), 1) == pytest.approx((2 + 3 * (2 + 5 / 6) / 16) / 7, rel=1e-14)
    assert ngrams.probability(model, (), 5) == pytest.approx((5 / 6) / 16, rel=1e-14)


# NLTK as an outside oracle. Its conventions differ from ours in three places:
#   1. bottom: NLTK ends the recursion at a unigram distribution that is not mixed with 1/V
#      (Witten-Bell: c(w) / N; Kneser-Ney: N1+(. w) / N1+(. .), undiscounted), ours at 1/V
#      below a (discounted) unigram level. They coincide when every symbol is seen, with the
#      same count c(w) = N / V (Witten-Bell) and the same N1+(. w) (Kneser-Ney): then both are 1/V.
#   2. Kneser-Ney's lower-order gamma: NLTK uses N1+(h .) of the raw counts, Chen & Goodman (and
#      we) N1+'(h .) of the continuation counts; they differ only for an n-gram whose every
#      occurrence starts the text (no left neighbour), so the text's first n-1 symbols recur later.
#   3. discount: NLTK has one discount for all orders (0.1 by default); we pass it explicitly.
#      NLTK's order-1 Kneser-Ney uses continuation counts at the top, not raw ones: orders >= 2 only.
# No padding on either side (NLTK's everygrams of the raw sequence; its shorter contexts also
# start the recursion at the continuation-count level, as ours do).
ORACLE_TEXT = "cbaacbabccbabacbaccababccbacabbcacab"  # random permutations of "abc", concatenated


def test_the_oracle_text_meets_the_conditions_under_which_nltk_coincides():
    assert {ORACLE_TEXT.count(c) for c in "abc"} == {12}  # condition 1, Witten-Bell
    assert {ORACLE_TEXT[i:i + 2] for i in range(len(ORACLE_TEXT) - 1)} == {a + b for a in "abc" for b in "abc"}
    assert ORACLE_TEXT[:3] in ORACLE_TEXT[1:]  # condition 2 for orders <= 4


@pytest.mark.parametrize("method", FITTERS)
@pytest.mark.parametrize("order", [2, 3, 4])
def test_agrees_with_nltk_where_the_conventions_coincide(method, order):
    lm = pytest.importorskip("nltk.lm")
    everygrams = pytest.importorskip("nltk.util").everygrams
    oracle = (lm.KneserNeyInterpolated(order, discount=0.1) if method == "kneser_ney"
              else lm.WittenBellInterpolated(order))
    oracle.fit([list(everygrams(list(ORACLE_TEXT), max_len=order))], vocabulary_text=list(ORACLE_TEXT))
    vocabulary = text.Vocabulary(ORACLE_TEXT)
    keywords = {"discount": 0.1} if method == "kneser_ney" else {}
    model = FITTERS[method](vocabulary.encode(ORACLE_TEXT), order, vocabulary_size=3, **keywords)
    for length in range(order):  # the full context and the shorter ones of a text's start
        for context in itertools.product("abc", repeat=length):  # seen and unseen contexts
            for w in "abc":
                ours = ngrams.probability(model, vocabulary.encode("".join(context)), vocabulary.index[w])
                assert ours == pytest.approx(oracle.score(w, context), rel=1e-12, abs=0), (context, w)


def test_perplexity_is_exp_of_the_mean_negative_log_probability():
    model = ngrams.kneser_ney(ids("abracadabra"), 2, vocabulary_size=SIZE)
    p_a, p_b_after_a, p_a_after_b = 17 / 42, 61 / 140, ngrams.probability(model, ids("b"), 0)
    # "aba": "a" has no context (level 1), then "b" after "a", "a" after "b"
    expected = math.exp(-(math.log(p_a) + math.log(p_b_after_a) + math.log(p_a_after_b)) / 3)
    assert ngrams.perplexity(model, ids("aba")) == pytest.approx(expected, rel=1e-13)
    assert ngrams.perplexity(model, ids("aba"), prefix=1) == pytest.approx(
        math.exp(-(math.log(p_b_after_a) + math.log(p_a_after_b)) / 2), rel=1e-13)
    both_rows = ngrams.perplexity(model, np.stack([ids("ab"), ids("ab")]))  # each row from its start
    assert both_rows == pytest.approx(1 / math.sqrt(p_a * p_b_after_a), rel=1e-13)


def test_the_start_of_a_stream_uses_the_shorter_contexts():
    model = ngrams.witten_bell(ids("abracadabra" * 3), 4, vocabulary_size=SIZE)
    stream = ids("cadab")
    terms = [ngrams.probability(model, stream[:t], int(stream[t])) for t in range(len(stream))]
    assert ngrams.probability(model, stream[:4], 1) == ngrams.probability(model, stream[1:4], 1)  # last n-1 only
    assert ngrams.perplexity(model, stream) == pytest.approx(math.exp(-np.mean(np.log(terms))), rel=1e-13)


@pytest.mark.parametrize("method", FITTERS)
def test_higher_orders_beat_the_unigram_on_a_repetitive_text(method):
    train, test = ids("abracadabra" * 40), ids("abracadabra" * 3)
    scores = [ngrams.perplexity(FITTERS[method](train, n, vocabulary_size=SIZE), test) for n in range(1, 6)]
    assert all(score < scores[0] for score in scores[1:]) and scores[4] < 1.5, scores


def test_baselines_names_each_method_and_order():
    train, test = ids("abracadabra" * 5), ids("cadabra")
    result = ngrams.baselines(train, test, vocabulary_size=SIZE, orders=(2, 3))
    assert list(result) == ["kneser_ney_2", "kneser_ney_3", "witten_bell_2", "witten_bell_3"]
    assert result["witten_bell_3"] == ngrams.perplexity(ngrams.witten_bell(train, 3, vocabulary_size=SIZE), test)


def test_window_rows_rebuild_the_windows_and_score_their_targets():
    stream = ids("abracadabra" * 4)
    X, y = text.windows(stream, 8)
    rows = ngrams.window_rows(X.astype(np.float32), y)  # the data sets hold X as float32
    np.testing.assert_array_equal(rows, stream[np.arange(len(rows))[:, None] * 8 + np.arange(9)])
    model = ngrams.kneser_ney(stream, 3, vocabulary_size=SIZE)
    terms = [ngrams.probability(model, X[k, max(0, t - 1):t + 1], int(y[k, t]))  # y[k, t] after x_{t-1} x_t
             for k in range(len(X)) for t in range(8)]
    assert ngrams.perplexity(model, rows, prefix=1) == pytest.approx(math.exp(-np.mean(np.log(terms))), rel=1e-13)
    with pytest.raises(ValueError, match="ngrams.window_rows: expected integral ids X and targets y = X shifted"):
        ngrams.window_rows(X, X)


def test_errors_name_the_function_and_the_fix():
    stream = ids("abracadabra")
    with pytest.raises(ValueError, match=r"ngrams.kneser_ney: expected ids in \[0, 3\) \(vocabulary_size\)"):
        ngrams.kneser_ney(stream, 2, vocabulary_size=3)
    with pytest.raises(ValueError, match="ngrams.witten_bell: expected order to be a positive int, got 0"):
        ngrams.witten_bell(stream, 0, vocabulary_size=SIZE)
    with pytest.raises(ValueError, match=r"ngrams.kneser_ney: expected discount in \(0, 1\], got 1.5"):
        ngrams.kneser_ney(stream, 2, vocabulary_size=SIZE, discount=1.5)
    with pytest.raises(ValueError, match=r"expected one discount or 2 \(one per order\), got 3"):
        ngrams.kneser_ney(stream, 2, vocabulary_size=SIZE, discount=(0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match=r"expected vocabulary_size\*\*order < 2\*\*62 .* lower the order"):
        ngrams.kneser_ney(stream, 10, vocabulary_size=100)
    with pytest.raises(TypeError, match="ngrams.witten_bell: expected integer ids in train_ids, got dtype=float"):
        ngrams.witten_bell(stream.astype(float), 2, vocabulary_size=SIZE)
    with pytest.raises(ValueError, match="ngrams.kneser_ney: expected at least one training id"):
        ngrams.kneser_ney(np.zeros(0, np.int64), 2, vocabulary_size=SIZE)
    model = ngrams.kneser_ney(stream, 2, vocabulary_size=SIZE)
    with pytest.raises(ValueError, match=r"ngrams.perplexity: expected prefix to be an int in \[0, 2\], got 3"):
        ngrams.perplexity(model, stream[:3], prefix=3)
    with pytest.raises(ValueError, match=r"ngrams.probability: expected symbol to be an int in \[0, 5\], got 6"):
        ngrams.probability(model, (), 6)
