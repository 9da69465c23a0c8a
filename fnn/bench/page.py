"""The speed page of the docs, written from the results of ``scripts/benchmarks.py``: the machine,
its load and the versions, then one table per comparison, every figure from the run that wrote it.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform

import jax

PACKAGES = ("fnn", "jax", "jaxlib", "optax", "torch", "scikit-learn")

CONTROL = ", second copy"
"""A peer's second, separately compiled copy, timed as one more trainer, is named the peer's name and
this: the two copies compute the same, so their ratio in a round is the machine's noise alone."""


def machine() -> dict:
    """What the figures depend on: the CPU, the cores this process may use, the memory, the JAX
    device, and the versions of Python and the packages (None: not installed)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {"cpu": cpu, "cores": len(os.sched_getaffinity(0)), "memory_gib": round(memory, 1),
            "device": str(jax.devices()[0]), "python": platform.python_version(), "versions": versions,
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M")}


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.2f}"


def machine_section(facts: dict, load: tuple[float, float], command: str) -> str:
    installed = ", ".join(f"{name} {version}" for name, version in facts["versions"].items() if version)
    torch = f" PyTorch ran on {facts['torch_threads']} threads." if facts.get("torch_threads") else ""
    return (f"Written by `{command}` on {facts['date']}: {facts['cpu']}, {facts['cores']} cores for this "
            f"process, {facts['memory_gib']} GiB of memory, JAX device `{facts['device']}`; Python "
            f"{facts['python']}, {installed}.{torch} Load average {load[0]:.2f} when the run started and {load[1]:.2f} "
            "when it ended: other jobs on the machine slow the trainers unequally, so read the ratios "
            "between trainers measured in the same run, not the times.")


def gap_section(title: str, rounds: list[dict], peer: str) -> str:
    """Each round's fnn epoch against ``peer``'s, with the load average at its start, and the peer's
    second copy against the peer where it was timed (``CONTROL``)."""
    control = peer + CONTROL if peer + CONTROL in rounds[0] else None
    rows = [[k + 1, f"{r['load']:.2f}", _ms(r["fnn"]), _ms(r[peer]), f"{r['fnn'] / r[peer]:.3f}"] +
            ([f"{r[control] / r[peer]:.3f}"] if control else []) for k, r in enumerate(rounds)]
    header = ["round", "load", "fnn ms/epoch", f"{peer} ms/epoch", "fnn / peer"]
    header += ["second copy / peer"] if control else []
    held = sum(r["fnn"] <= r[peer] for r in rounds)
    text = (f"### {title}\n\n" + table(header, rows) +
            f"\n\nfnn's epoch was at or below the {peer}'s in {held} of {len(rounds)} rounds.")
    if control:
        spread = [r[control] / r[peer] for r in rounds]
        text += (f" A second, separately compiled copy of the {peer} epoch, timed in the same rounds, ran at "
                 f"{min(spread):.3f} to {max(spread):.3f} times the first: how far apart the machine's noise "
                 "puts two equal programs.")
    return text


def epochs_table(round_: dict) -> str:
    """One round: ms per epoch of each trainer and its time over fnn's."""
    seconds = {name: value for name, value in round_.items() if name != "load"}
    return table(["trainer", "ms/epoch", "x fnn"],
                 [[name, _ms(value), f"{value / seconds['fnn']:.3f}"] for name, value in seconds.items()])


def cold_start_section(results: dict | None) -> str:
    if results is None:
        return "Not measured in this run (`--cold-start-repeats 0`)."
    seconds = results["seconds"]
    rows = [[name, f"{value:.2f}", f"{value / seconds['plain JAX script']:.2f}"] for name, value in seconds.items()]
    return (f"Median of {results['repeats']} interleaved rounds, seconds from launch to the line of the first "
            "epoch:\n\n" + table(["command", "seconds", "x plain JAX"], rows))
