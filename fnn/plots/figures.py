"""Writing a matplotlib figure: rendered to PNG in memory, closed, then written atomically."""

from __future__ import annotations

from pathlib import Path

from fnn.util import files

def save(fig, path, *, dpi: int = 110) -> Path:
    """Render a matplotlib figure to PNG, close it, and write it to ``path`` atomically."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return files.atomic_write(path, lambda f: f.write(buffer.getvalue()))
