"""The documentation builds with warnings as errors, every Python block of its pages and of the
README runs (each page's blocks in order, in one fresh interpreter, as a reader would run them),
the results the pages state are what the blocks print, and every ``fnn`` command they show parses.
The README's first lines are the two commands, and CI runs the second."""

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


def name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def blocks(page: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(page.read_text()) if lang == language]


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.?\d*(?:e[-+]?\d+)?", text)]


# --- the README's own promises ------------------------------------------------------------------

def test_the_first_lines_are_the_two_commands_and_ci_runs_the_second():
    block = re.search(r"```bash\n(.*?)```", README.read_text(), re.S).group(1).strip().splitlines()
    assert len(block) == 2 and block[0].endswith("fnn train") and "pytest" in block[1]
    assert block[1] in CI.read_text()


def test_the_readme_stays_a_front_page():
    assert len(README.read_text().splitlines()) <= 250
    assert len(blocks(README, "python")[0].strip().splitlines()) <= 25


def test_every_code_fence_starts_a_line():
    """A fence indented (in a list, say) would escape the block runner below: none is."""
    for page in PAGES:
        for number, line in enumerate(page.read_text().splitlines(), 1):
            assert "```" not in line or line.startswith("```"), f"{name(page)}:{number}: {line.strip()}"


# --- the site builds ------------------------------------------------------------------------------

def test_the_site_builds_with_warnings_as_errors(tmp_path):
    """``mkdocs build --strict``: broken links and anchors, pages left out of the nav and
    docstrings mkdocstrings cannot read are errors."""
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                          cwd=ROOT, env=os.environ | {"NO_MKDOCS_2_WARNING": "1"}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    assert (tmp_path / "site" / "api" / "layers" / "index.html").read_text().count("fnn.layers.dense") > 0


# --- every Python block runs, and prints what its page says ---------------------------------------

RUNNER = """
import contextlib, io, json, sys
page, blocks = json.loads(sys.stdin.read())
namespace, outputs = {"__name__": "__main__"}, []
for number, code in blocks:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, f"{page}, python block {number}", "exec"), namespace)
    outputs.append(printed.getvalue())
print(json.dumps(outputs))
"""


def fresh_process(code: str) -> bool:
    """A block that starts JAX's multi-process runtime must run before any array exists: alone."""
    return "jax.distributed.initialize(" in code


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _run(page: str, numbered: list, cwd: Path) -> list[str]:
    """Run the (number, code) blocks in one new interpreter, as a reader would: float32, no test
    configuration, the working directory a fresh folder. Return what each block printed."""
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JAX_ENABLE_X64")}
    env["COORDINATOR"] = f"localhost:{_free_port()}"
    done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps([page, numbered]), cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{page}: {done.stderr[-4000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def lines(text: str) -> list[str]:
    return text.strip().splitlines()


def check_readme(out):
    first, second = lines(out[0])
    assert float(first) <= 1e-10  # float64: hand-derived vs autodiff, relative to each leaf's largest entry
    loss, later = map(float, second.split())
    assert later < 0.1 * loss


def check_tutorial(out):
    assert lines(out[1]) == ["(1079, 64) (359, 64) (359, 64) 10"]
    assert out[2].startswith("(10,) (DenseParams(W=(64, 32), b=(32,)), (), DenseParams(W=(32, 10), b=(10,)))")
    assert 2.2 < float(out[3]) < 2.8  # about ln 10 before training
    assert out[4].strip() == "True"
    assert float(out[5]) < 1e-14  # by hand vs jax.grad, float64
    auto_vs_loop, hand_vs_loop = numbers(out[6])
    assert auto_vs_loop < 1e-14 and hand_vs_loop == 0.0
    assert float(out[7]) < 1e-7  # finite differences
    assert all(x < 1e-14 for x in numbers(out[8]))
    auto, hand = lines(out[9])
    assert numbers(auto) == numbers(hand) and numbers(auto)[-1] > 0.85  # the same loss and accuracy
    assert numbers(auto) == pytest.approx([0.2470, 0.922], abs=0.01)  # the page's numbers, to rounding across CPUs
    assert float(out[10]) < 1e-12


def check_layers(out):
    assert len(lines(out[0])) == 2 and all(numbers(line)[-1] < 1e-14 for line in lines(out[0]))
    assert numbers(out[1]) == [72, 72, 102, 102, 132, 132]
    first_try = lines(out[3])  # the LayerNorm rule that treats the mean and variance as constants
    assert first_try[0] == "False" and [row.split()[-1] for row in first_try[1:]] == ["allclose", "exact", "WRONG"]
    assert [row.split()[3] for row in first_try[1:]] == ["dparams.gamma", "dparams.beta", "dX"]
    report = lines(out[4])
    assert report[0] == "LayerNorm: every gradient agrees" and len(report) == 2 + 3 * 3 + 6
    rows = [row.split() for row in report[2:]]
    assert all(row[-1] in ("exact", "allclose") for row in rows)
    assert all(float(row[-2]) < 1e-14 for row in rows if row[0] != "alone" or row[2] == "autodiff")
    assert all(float(row[-2]) < 1e-8 for row in rows)


def check_optimizers(out):
    assert numbers(out[0]) == [-1.40498122, 1.98035123, 0.0]  # fnn.optim.adam vs optax.adam: bit for bit
    x1, x2, value = numbers(out[1])
    assert abs(x1 - 1) < 1e-8 and abs(x2 - 1) < 1e-8 and value < 1e-12
    assert numbers(out[2]) == pytest.approx([0.1, 0.05, 0.0001, 0.1, 0.0001], abs=1e-4)
    assert float(out[3]) == pytest.approx(1e-4)


def check_regularisation(out):
    assert lines(out[0]) == ["inverted 1.0 1.0", "lecture 0.8 0.8"]
    assert all(abs(x) < 1e-6 for x in numbers(out[1]))


def check_cnn(out):
    assert lines(out[0])[-1] == "MaxPool  size (2, 2)  field (10, 10)  jump (4, 4)  start (1.5, 1.5)"
    mean, pca16, pca32 = (numbers(line)[-1] for line in lines(out[1]))
    assert (mean, pca16, pca32) == pytest.approx((0.0749, 0.0122, 0.0033), abs=2e-4)


def check_rnn(out):
    rows = lines(out[0])
    characters, vocabulary = numbers(rows[0])
    unigram, bigram = (float(row.split()[1]) for row in rows[1:3])
    smoothed = {row.split()[0]: float(row.split()[1]) for row in rows[3:]}
    assert smoothed["kneser_ney_5"] < smoothed["kneser_ney_3"] < bigram < unigram
    if sys.version_info[:2] == (3, 11):  # the page's numbers: the corpus is the running Python's source
        assert (characters, vocabulary, unigram, bigram) == (323285, 96, 21.6, 10.8)
        assert smoothed == {"kneser_ney_3": 6.96, "kneser_ney_4": 5.43, "kneser_ney_5": 4.9,
                            "witten_bell_3": 7.05, "witten_bell_4": 5.76, "witten_bell_5": 5.74}


def check_classic(out):
    runs = [line.split() for line in lines(out[0])]
    assert len(runs) == 5 and all(flag == "True" and int(m) <= int(bound) for m, bound, flag in runs)
    assert [int(m) for m, _, _ in runs] == [9, 9, 11, 10, 18] and {int(b) for _, b, _ in runs} >= {185, 273}
    assert lines(out[1]) == ["[0. 1. 1. 0.]", "[0. 1. 1. 1. 0. 0. 1. 0.]"]
    squared, newton, lecture, ada = lines(out[2])
    assert numbers(squared)[0] < 1e-14
    difference, ours, theirs = numbers(newton)
    assert difference < 1e-14 and ours == pytest.approx(0.270, abs=1e-3) and theirs == pytest.approx(0.270, abs=1e-3)
    assert numbers(lecture) == pytest.approx([1.06, 0.556, 0.270], abs=1e-2)
    assert numbers(ada)[0] < 1e-13 and ada.endswith("True")


def check_experiments(out):
    full, small = lines(out[0])
    assert "depth=30" in full and "momentum_learning_rate=0.003" in full and "epochs=60" in full
    assert "momentum_learning_rate=0.001" in small


def check_search(out):
    scores = [numbers(line)[0] for line in lines(out[0])]
    assert len(scores) == 8 and scores == sorted(scores, reverse=True) and scores[0] >= 0.9
    by_rate = [numbers(line)[:2] for line in lines(out[0])]  # (val accuracy, lr)
    assert all(0.93 <= score <= 0.97 for score, rate in by_rate if rate > 0.005)
    assert min(scores) == pytest.approx(0.333, abs=1e-3)


def check_devices(out):
    full, mixed = numbers(out[0])[:2]
    assert abs(mixed - full) < 0.02 * full and out[0].strip().endswith("float32")
    process, devices, accuracy = numbers(out[1])
    assert (process, devices) == (0, 1) and accuracy > 0.8


def check_cli(out):
    assert numbers(out[0])[0] > 0.85 and lines(out[0])[2] == "True"
    predicted, true = (numbers(half) for half in lines(out[0])[1].split("] ["))
    assert [(t, p) for p, t in zip(predicted, true) if p != t] == [(5, 9)]  # one mistake: a 5 read as 9
    accuracy, shape = out[1].split(" ", 1)
    assert float(accuracy) > 0.85 and shape.strip() == "(1,)"
    scores, predicted = lines(out[2])
    assert numbers(scores)[0] > 0.85 and numbers(scores)[1] > 0  # wine from a CSV file of the user's
    assert predicted == "['barolo' 'barolo' 'barolo'] classification"


def check_troubleshooting(out):
    assert out[0].strip() == "dense.apply: expected X with last dim 64 (W.shape[0]), got X.shape=(32, 8, 8)"


CHECKS = {"README.md": check_readme, "docs/tutorial.md": check_tutorial, "docs/layers.md": check_layers,
          "docs/optimizers.md": check_optimizers, "docs/regularisation.md": check_regularisation,
          "docs/cnn.md": check_cnn, "docs/rnn.md": check_rnn, "docs/classic.md": check_classic,
          "docs/experiments.md": check_experiments, "docs/search.md": check_search, "docs/devices.md": check_devices,
          "docs/cli.md": check_cli, "docs/troubleshooting.md": check_troubleshooting}
"""What each page says its blocks print, checked loosely; the argument is each block's output, in order."""

WITH_CODE = [page for page in PAGES if blocks(page, "python")]


def test_every_page_with_code_has_its_results_checked():
    assert {name(page) for page in WITH_CODE} == set(CHECKS)


@pytest.mark.parametrize("page", WITH_CODE, ids=name)
def test_the_python_blocks_run_and_print_what_the_page_says(page, tmp_path):
    code = blocks(page, "python")
    together = [(number, block) for number, block in enumerate(code, 1) if not fresh_process(block)]
    printed = dict(zip((number for number, _ in together), _run(name(page), together, tmp_path)))
    for number, block in enumerate(code, 1):
        if fresh_process(block):
            printed[number] = _run(name(page), [(number, block)], tmp_path)[0]
    CHECKS[name(page)]([printed[number] for number in range(1, len(code) + 1)])


# --- every fnn command parses ---------------------------------------------------------------------

def commands(page: Path):
    """(line, arguments) of every ``fnn`` command in the page's bash blocks: continuation lines
    joined, comments dropped, ``&&``/``;``/``|`` separating commands, ``VAR=value`` prefixes skipped."""
    for body in blocks(page, "bash"):
        for line in body.replace("\\\n", " ").splitlines():
            words, command = shlex.split(line, comments=True), []
            for word in [*words, "&&"]:
                if word not in ("&&", ";", "|", "||"):
                    command.append(word)
                    continue
                while command and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", command[0]):
                    command = command[1:]
                if command and Path(command[0]).name == "fnn":
                    yield line.strip(), command[1:]
                command = []


def test_every_script_and_test_the_docs_name_exists():
    """``python scripts/bench_fit.py``, ``python -m pytest tests/fnn/classic``: the commands next to
    the numbers must point at files that exist."""
    missing = [f"{name(page)}: {path}" for page in PAGES
               for path in re.findall(r"\b((?:scripts|tests)/[\w/]+(?:\.py)?)", page.read_text())
               if not (ROOT / path).exists()]
    assert not missing, missing


def test_every_fnn_command_in_the_docs_parses():
    """Parsed by the real argument parser, not run: a command that needs files (a run folder,
    MNIST's IDX files) is checked as much as one that does not."""
    from fnn import cli

    parser, found, failed = cli.parser(), 0, []
    for page in PAGES:
        for line, arguments in commands(page):
            found += 1
            try:
                parser.parse_args(arguments)
            except SystemExit:
                failed.append(f"{name(page)}: {line}")
    assert found > 80 and not failed, failed


def test_every_toml_block_is_a_run_configuration(tmp_path):
    """The TOML examples are ``fnn train --config`` files: read as the command reads them, they make a RunConfig."""
    from fnn.run import config_file
    from fnn.run.configuration import RunConfig

    examples = [(page, body) for page in PAGES for body in blocks(page, "toml")]
    assert examples
    for index, (page, body) in enumerate(examples):
        (tmp_path / f"{index}.toml").write_text(body)
        assert isinstance(RunConfig(**config_file.read(tmp_path / f"{index}.toml")), RunConfig), name(page)
