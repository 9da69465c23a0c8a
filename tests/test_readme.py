"""The README's example runs as printed, and its commands are the ones CI runs."""

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
CI = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()


def test_the_first_lines_are_the_two_commands_and_ci_runs_the_second():
    block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert len(block) == 2 and block[0].endswith("fnn train") and "pytest" in block[1]
    assert block[1] in CI


def test_the_python_example_runs(capsys):
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    assert len(code.strip().splitlines()) <= 25
    exec(compile(code, "README.md", "exec"), {})
    first, second = capsys.readouterr().out.splitlines()
    assert float(first) <= 1e-10  # float64: hand-derived vs autodiff, relative to each leaf's largest entry
    loss, later = map(float, second.split())
    assert later < 0.1 * loss
