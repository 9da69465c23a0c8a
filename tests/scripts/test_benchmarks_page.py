"""The benchmarks page's commands at the page's sizes (slow: minutes each). Times move with the
machine and its load, so each test checks the page's claims that hold by a wide margin, never
a time: the ratios between trainers measured in the same run."""

import pytest

pytestmark = pytest.mark.slow


def test_the_cnn_epoch_avoids_xla_cpu_s_slow_convolution_gradient(load_script):
    """``python scripts/bench_cnn.py`` (the speed page's CNN): fnn's epoch a small part of the plain-JAX one
    (0.073 on 2026-11-23), because of XLA:CPU's slow weight gradient in a loop (the benchmarks page)."""
    bench = load_script("bench_cnn")
    results = bench.main(bench.parse([])[0])
    assert results["fnn_over"]["hand-written scan"] < 0.5


def test_the_convolution_weight_gradient_and_adam_s_loops(load_script):
    """``python scripts/bench_xla_cpu.py``: fnn's dW about 100 times faster than autodiff's in a loop;
    Adam's step on a matrix in three loops of 10 passes (jaxlib 0.10)."""
    bench = load_script("bench_xla_cpu")
    results = bench.main(bench.parse([])[0])
    conv = results["conv_weight_gradient_ms"]
    assert conv["fnn's dW"] < 0.1 * conv["autodiff's dW"]
    assert sorted(results["adam"]["loops"]) == [2, 2, 3] and results["adam"]["passes"] == 10


def test_the_hand_derived_bptt_step_is_faster_than_autodiff_s(load_script):
    """``python scripts/bench_rnn.py``: the hand-derived BPTT step faster than autodiff's (0.827 on 2026-11-23;
    the benchmarks page says why)."""
    bench = load_script("bench_rnn")
    assert bench.bench_cell(bench.parse([])[0], "rnn")["hand_over_auto_step"] < 0.95


def test_scikit_learn_trains_the_same_epochs_more_slowly_than_fnn(load_script):
    """``python scripts/bench_peers.py``: scikit-learn slower than fnn on both MLPs (the speed page)."""
    bench = load_script("bench_peers")
    for model in bench.main(bench.parse([])[0])["models"]:
        assert model["epochs"]["scikit-learn"]["over_baseline"] > 1.5, model["model"]


def test_64_vmapped_trials_cannot_meet_8_times_one_trial_on_this_cpu(load_script):
    """``python scripts/bench_search.py --repeats 7``: the floor at the matmul peak is above 8 (15.0 on the page)."""
    bench = load_script("bench_search")
    results = bench.main(bench.parse(["--repeats", "7"])[0])
    assert results["floor_at_peak"] > 8
