import sys

import pytest


def test_the_time_to_a_line_stops_the_process_there(load_script):
    bench = load_script("bench_cold_start")
    command = (sys.executable, "-c", "import time; print('warming up'); print('epoch 1 done'); time.sleep(60)")
    assert 0 < bench.time_to_line(command, bench.PEER_FIRST_EPOCH, env={}, timeout=30) < 30  # not the sleep


def test_a_command_that_never_prints_the_line_is_named_with_its_output(load_script):
    bench = load_script("bench_cold_start")
    with pytest.raises(RuntimeError, match=r"bench_cold_start: expected .* to print a line matching .* within 30 s, "
                                           r"got:\nno epoch"):
        bench.time_to_line((sys.executable, "-c", "raise SystemExit('no epoch')"), bench.PEER_FIRST_EPOCH, env={},
                           timeout=30)


def test_a_silent_command_is_stopped_at_the_timeout(load_script):
    bench = load_script("bench_cold_start")
    with pytest.raises(RuntimeError, match=r"within 1 s, got:\n$"):
        bench.time_to_line((sys.executable, "-c", "import time; time.sleep(60)"), bench.PEER_FIRST_EPOCH, env={},
                           timeout=1)


def test_fnn_s_first_epoch_is_its_table_row_not_a_summary_line(load_script):
    import re

    bench = load_script("bench_cold_start")
    assert re.search(bench.FNN_FIRST_EPOCH, "    1     1.8770    0.7878    1.0257    0.7855    1.858")
    assert not re.search(bench.FNN_FIRST_EPOCH, "  1 steps per epoch") and not re.search(bench.FNN_FIRST_EPOCH, "   10 x")


def test_each_round_runs_fnn_three_ways_and_the_peers(load_script, tmp_path):
    bench = load_script("bench_cold_start")
    listed = bench.commands(tmp_path)
    assert list(listed)[:4] == ["fnn train, empty cache", "fnn train, filled cache", "fnn train, cache off",
                                "plain JAX script"]
    assert listed["fnn train, empty cache"][2] == {"FNN_COMPILATION_CACHE": str(tmp_path / "cache")}
    assert listed["fnn train, cache off"][2] == {"FNN_COMPILATION_CACHE": "off"}
    assert bench.parse(["--repeats", "3"])[0].repeats == 3
