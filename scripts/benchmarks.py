"""Every speed comparison of fnn against its peers, rerun in one command that writes the docs'
speed page (``docs/speed.md``): the figures, the machine, its load and the versions.

    python scripts/benchmarks.py                          # about 16 minutes on 2 cores
    python scripts/benchmarks.py --rounds 3 --cold-start-repeats 3

It runs, one after the other:
- the digits MLP (``scripts/bench_peers.py``'s 64-128-128-10, batch 64) in ``rounds``
  interleaved rounds: fnn's fused epoch, the hand-written JAX ``lax.scan`` epoch, PyTorch eager
  and scikit-learn, each round reported with the load average at its start;
- the digits CNN (``scripts/bench_cnn.py``) and the simple-RNN and GRU language models
  (``scripts/bench_rnn.py``) in ``rounds`` rounds each, against the plain-JAX and PyTorch peers;
- the wide MLP 784-1024-1024-10 once against every peer (``--wide 0`` leaves it out);
- the cold start (``scripts/bench_cold_start.py``).
Each round is the median of ``repeats`` samples of ``epoch_calls`` epochs (``digits_repeats`` of
``digits_epoch_calls`` for the digits MLP), the trainers alternating, each sample after a pause of
``pause_ms``; every round times the programs compiled for the first. A peer whose package is
missing is skipped with a note.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from pathlib import Path

from fnn.bench import optional, page, timing
from fnn.cli import script

HERE = Path(__file__).resolve().parent
PAGE = HERE.parent / "docs" / "speed.md"
COMMAND = "python scripts/benchmarks.py"


@dataclasses.dataclass(frozen=True)
class Config:
    rounds: int = 5
    repeats: int = 5
    epoch_calls: int = 3
    digits_epoch_calls: int = 20  # the digits MLP's epochs take 3 ms: more of them a sample
    digits_repeats: int = 9  # and more samples a round: its rounds are the page's closest comparison
    mlp_steps: int = 20  # Adam steps per epoch of the MLPs
    steps_per_epoch: int = 16  # of the CNN and the language models
    hidden: int = 128  # the language models' units
    wide: int = 1
    cold_start_repeats: int = 5
    torch_threads: int = 0  # 0: as many as XLA:CPU uses
    seed: int = 0
    pause_ms: int = 300  # slept before each sample, so that it starts on idle cores (fnn.bench.timing.interleaved)


def sibling(name: str):
    """``scripts/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def mlp_rounds(config: Config, peak: float) -> tuple[list[dict], dict | None]:
    """The digits MLP's rounds (name -> seconds, and the load), and the wide MLP's one run."""
    peers = sibling("bench_peers")
    options = peers.Config(steps_per_epoch=config.mlp_steps, epoch_calls=config.epoch_calls, repeats=config.repeats,
                           torch_threads=config.torch_threads, seed=config.seed, pause_ms=config.pause_ms)
    digits, wide = options.models
    rounds = peers.bench_model(*digits, dataclasses.replace(options, epoch_calls=config.digits_epoch_calls,
                                                            repeats=config.digits_repeats, rounds=config.rounds),
                               peak)["rounds"]
    return rounds, peers.bench_model(*wide, options, peak)["rounds"][0] if config.wide else None


def family_rounds(config: Config) -> dict[str, list[dict]]:
    """The CNN's and each language model's rounds: name -> seconds per epoch, and the load."""
    cnn, rnn = sibling("bench_cnn"), sibling("bench_rnn")
    shared = dict(steps_per_epoch=config.steps_per_epoch, epoch_calls=config.epoch_calls, repeats=config.repeats,
                  step_calls=1, torch_threads=config.torch_threads, seed=config.seed, rounds=config.rounds,
                  pause_ms=config.pause_ms)
    runs = {"digits CNN": lambda: cnn.main(cnn.Config(**shared)),
            **{f"{name} language model": (lambda cell=cell: rnn.bench_cell(rnn.Config(hidden=config.hidden, **shared),
                                                                            cell))
               for cell, name in (("rnn", "simple-RNN"), ("gru", "GRU"))}}
    rounds = {}
    for family, run in runs.items():
        rounds[family] = []
        for timed in run()["rounds"]:
            epochs = dict(timed["epoch_seconds"])
            rounds[family].append({"load": timed["load"], "fnn": epochs.pop("autodiff"),
                                   "fnn, hand-derived rules": epochs.pop("hand-derived"), **epochs})
    return rounds


def main(config: Config, *, out: Path = PAGE) -> dict:
    load_before = os.getloadavg()[0]
    threads = config.torch_threads or len(os.sched_getaffinity(0))
    facts = page.machine() | {"torch_threads": threads if optional.torch_available(threads) else None}
    peak = timing.matmul_gflops(2048 if config.wide else 512)
    digits, wide = mlp_rounds(config, peak)
    families = family_rounds(config)
    cold = None
    if config.cold_start_repeats:
        cold_start = sibling("bench_cold_start")
        cold = cold_start.main(cold_start.Config(repeats=config.cold_start_repeats))
    results = {"machine": facts, "load": (load_before, os.getloadavg()[0]), "matmul_gflops": peak,
               "digits_mlp": digits, "wide_mlp": wide, "families": families, "cold_start": cold}
    out.write_text(render(results, config))
    print(f"wrote {out}")
    return results


def render(results: dict, config: Config) -> str:
    """The speed page."""
    sections = [
        "# Speed against the peers\n\n"
        "<!-- Written by scripts/benchmarks.py: rerun it rather than edit this page. -->\n\n" +
        page.machine_section(results["machine"], results["load"], COMMAND),
        "## The digits MLP, round by round\n\n"
        "64-128-128-10, ReLU, Adam 1e-3, batch 64, one epoch = "
        f"{config.mlp_steps} steps on the first {64 * config.mlp_steps} standardised digits (`scripts/bench_peers.py`"
        "; `fnn.bench.peers` maps each library's conventions and a test checks that every peer takes fnn's first "
        "step).\n\n" + page.gap_section("fnn against the hand-written JAX epoch", results["digits_mlp"],
                                        "hand-written JAX scan"),
        "### Every trainer, round 1\n\n" + page.epochs_table(results["digits_mlp"][0]),
    ]
    if results["wide_mlp"] is not None:
        sections.append("## The wide MLP\n\n784-1024-1024-10, batch 256, synthetic data, one run "
                        f"(float32 matmul peak of this run: {results['matmul_gflops']:.1f} GFLOP/s).\n\n" +
                        page.epochs_table(results["wide_mlp"]))
    for family, rounds in results["families"].items():
        sections.append(f"## The {family}\n\n" + _family_text(family, config) +
                        page.gap_section("fnn against the hand-written JAX epoch", rounds, "hand-written scan") +
                        "\n\n" + _hand_derived_line(rounds) + "\n\n" + _peer_line(rounds, "PyTorch eager") +
                        "\n\n### Every trainer, round 1\n\n" +
                        page.epochs_table(rounds[0]))
    sections.append("## Cold start\n\n`python scripts/bench_cold_start.py`: the default `fnn train` (one epoch) "
                    "against the same MLP in a plain-JAX and a PyTorch script "
                    "(`scripts/cold_start/`), each launched as a new process.\n\n" +
                    page.cold_start_section(results["cold_start"]))
    return "\n\n".join(sections) + "\n"


def _family_text(family: str, config: Config) -> str:
    script_name = "bench_cnn" if family == "digits CNN" else "bench_rnn"
    return (f"`scripts/{script_name}.py`, {config.steps_per_epoch} Adam steps of batch 64 an epoch; fnn is its "
            "fused epoch with autodiff, beside it with the lecture's backward rules. Tests check that the "
            "plain-JAX peer's loss and gradient, and the PyTorch peer's loss and first two Adam steps, "
            "equal fnn's.\n\n")


def _hand_derived_line(rounds: list[dict]) -> str:
    ratios = [r["fnn, hand-derived rules"] / r["hand-written scan"] for r in rounds]
    held = sum(ratio <= 1 for ratio in ratios)
    return ("fnn's epoch with the lecture's backward rules over the hand-written scan's, round by round: " +
            ", ".join(f"{ratio:.3f}" for ratio in ratios) + f" (at or below in {held} of {len(rounds)}).")


def _peer_line(rounds: list[dict], peer: str) -> str:
    if peer not in rounds[0]:
        return f"{peer}: not installed in this run (`pip install .[peers]`)."
    ratios = ", ".join(f"{r['fnn'] / r[peer]:.3f}" for r in rounds)
    return f"fnn's epoch over {peer}'s, round by round: {ratios}."


def parse(argv=None) -> tuple[Config, str | None]:
    return script.parse_config(Config, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    script.run_script(main, parse)
