from fnn.bench import timing


def test_interleaved_alternates_the_candidates_and_pauses_before_each_sample(monkeypatch):
    events = []
    monkeypatch.setattr(timing.time, "sleep", lambda seconds: events.append(("pause", seconds)))

    def candidate(name):
        return lambda: events.append(name)

    medians = timing.interleaved({"a": (candidate("a"), ()), "b": (candidate("b"), ())}, number=2, repeats=2,
                                 pause=0.25)
    # one warm-up call each, then per repeat and candidate in turn: a pause, an untimed call and `number` timed ones
    assert events == ["a", "b"] + 2 * [("pause", 0.25), "a", "a", "a", ("pause", 0.25), "b", "b", "b"]
    assert set(medians) == {"a", "b"} and all(seconds >= 0 for seconds in medians.values())
