"""``scripts/benchmarks.py`` at a tiny size: it runs every comparison and writes the speed page."""

import json


def test_it_writes_the_speed_page_from_one_run(load_script, tmp_path, capsys):
    bench = load_script("benchmarks")
    config, _ = bench.parse(["--rounds", "2", "--wide", "0", "--cold-start-repeats", "0"])
    assert (config.rounds, config.wide, config.cold_start_repeats, config.repeats) == (2, 0, 0, 5)
    config = bench.Config(rounds=2, repeats=1, epoch_calls=1, digits_epoch_calls=1, digits_repeats=1, mlp_steps=2,
                          steps_per_epoch=2, hidden=8, wide=0, cold_start_repeats=0, torch_threads=1, pause_ms=0)
    results = bench.main(config, out=tmp_path / "speed.md")
    text = (tmp_path / "speed.md").read_text()
    assert text.startswith("# Speed against the peers") and "Written by `python scripts/benchmarks.py`" in text
    for family in ("digits MLP", "digits CNN", "simple-RNN language model", "GRU language model"):
        assert f"## The {family}" in text
    assert text.count("fnn's epoch was at or below the") == 4 and "of 2 rounds" in text
    # The digits MLP and both language models time a second copy of the JAX epoch; the CNN does not.
    assert text.count("| second copy / peer |") == 3 and text.count("A second, separately compiled copy") == 3
    assert text.count("fnn's epoch with the lecture's backward rules over the hand-written scan's") == 3
    assert "Not measured in this run (`--cold-start-repeats 0`)" in text and "## The wide MLP" not in text
    assert len(results["digits_mlp"]) == 2 and all(len(rounds) == 2 for rounds in results["families"].values())
    assert {"fnn", "fnn, hand-derived rules", "hand-written scan"} <= set(results["families"]["digits CNN"][0])
    assert "jax" in results["machine"]["versions"] and results["machine"]["cores"] >= 1
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'speed.md'}" in out and "fnn / hand-written scan epoch" in out
    assert "GRU LM, 8 units" in out
    json.dumps(results)
