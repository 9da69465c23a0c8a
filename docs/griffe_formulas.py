"""A Griffe extension for the API pages: keep the docstrings' formulas as written.

fnn's docstrings follow Google style plus sections of plain-text formulas (``Math:``,
``Shapes:``, ``Reference:``, and module docstrings such as ``Forward (...):``), each a
header line ending in a colon over an indented block. Markdown would join the block's lines
into one paragraph, so this extension turns every such block that is not a Google section
(Args, Returns, Raises, ...) into a ``text`` code block under a bold header: the formulas
keep their lines and their alignment. Loaded by ``mkdocs.yml``; it changes no source file.
"""

from __future__ import annotations

import re
import textwrap

import griffe

GOOGLE_SECTIONS = {
    "args", "arguments", "params", "parameters", "keyword args", "keyword arguments", "other args",
    "other arguments", "other params", "other parameters", "raises", "exceptions", "returns", "yields",
    "receives", "examples", "example", "attributes", "functions", "methods", "classes", "modules",
    "warns", "warnings", "warning", "note", "notes", "see also", "todo", "deprecated", "type parameters",
    "type aliases",
}
HEADER = re.compile(r"^(?P<title>\S.*):\s*$")


def _indented(line: str) -> bool:
    return line[:1].isspace()


def preformat(text: str) -> str:
    """``text`` with every indented block under a non-Google ``Header:`` line fenced as ``text``."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        line, match = lines[i], HEADER.match(lines[i])
        following = next((later for later in lines[i + 1:] if later.strip()), "")
        if match is None or match["title"].strip().lower() in GOOGLE_SECTIONS or not _indented(following):
            out.append(line)
            i += 1
            continue
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or _indented(lines[j])):
            j += 1
        block = textwrap.dedent("\n".join(lines[i + 1:j])).strip("\n")
        out += ["", f"**{match['title'].strip()}:**", "", "```text", *block.splitlines(), "```", ""]
        i = j
    return "\n".join(out)


class Formulas(griffe.Extension):
    """Fence the formula blocks of every docstring (see the module docstring)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = preformat(obj.docstring.value)
