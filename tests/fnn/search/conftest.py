import pytest

from fnn.run import assembly
from fnn.run.configuration import RunConfig


@pytest.fixture(scope="module")
def tiny():
    """A float64 base run (digits MLP 64-8-10, batch 16, 2 epochs) and 100 training, 50 validation samples."""
    base = RunConfig(dtype="float64", epochs=2, hidden=(8,), batch_size=16)
    data = assembly.load_data(base)
    return base, data._replace(train=tuple(a[:100] for a in data.train), val=tuple(a[:50] for a in data.val))
