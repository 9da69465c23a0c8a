import jax
import pytest

from fnn.search import Grid, LogUniform, rounds


@pytest.fixture(scope="module")
def searched(tiny):
    base, data = tiny
    space = {"lr": LogUniform(1e-3, 1e-1), "b1": Grid((0.8, 0.9))}  # 3 trials with b1: the grid test's program
    return rounds.search(base, space, key=jax.random.key(1), data=data, trials=3, rounds=2, keep=1)


def test_coarse_to_fine_narrows_each_round_around_the_best_trial(searched):
    first, second = searched
    assert len(first.results) == len(second.results) == 3
    best = first.results[0].settings
    assert second.space["b1"] == Grid((best["b1"],))
    low, high = second.space["lr"].low, second.space["lr"].high
    assert 1e-3 <= low <= best["lr"] <= high <= 1e-1 and high / low == pytest.approx(10.0)  # half of two decades
    assert all(low <= r.settings["lr"] <= high and r.settings["b1"] == best["b1"] for r in second.results)
    assert rounds.best(searched).score == max(first.results[0].score, second.results[0].score)


def test_grid_search_trains_every_point(tiny):
    base, data = tiny
    done = rounds.search(base, {"lr": LogUniform(1e-3, 1e-2), "b1": Grid((0.9,))}, key=jax.random.key(0), data=data,
                         method="grid", points=3, rounds=2, keep=3)
    assert sorted(r.settings["lr"] for r in done[0].results) == pytest.approx([1e-3, 10**-2.5, 1e-2])
    assert len(done) == 1  # narrowed around all three, the grid stays the same: no second round of the same trials
    for wrong, message in (({"method": "bayes"}, "unknown method 'bayes'"),
                           ({"folds": 1}, "expected folds to be an int >= 2, got 1"),
                           ({"keep": 0}, "expected keep to be a positive int, got 0")):
        with pytest.raises(ValueError, match=message):
            rounds.search(base, {"lr": LogUniform(1e-3, 1e-2)}, key=jax.random.key(0), data=data, **wrong)
