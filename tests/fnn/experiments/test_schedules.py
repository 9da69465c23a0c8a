import numpy as np
import pytest

from fnn.experiments import registry, schedules
from fnn.optim import schedules as fnn_schedules


def test_every_schedule_is_plotted(tmp_path):
    assert set(schedules.EXAMPLES) == set(fnn_schedules.BY_NAME)
    numbers = schedules.run(schedules.SIZES["small"], tmp_path)
    assert (tmp_path / "schedules.png").read_bytes()[:4] == b"\x89PNG"
    curves = numbers["curves"]
    assert all(len(c) == 50 and np.all(np.isfinite(c)) for c in curves.values())
    assert curves["staircase"][0] == pytest.approx(0.1) and curves["linear_warmup"][0] < curves["linear_warmup"][49]


def test_a_seed_is_refused_where_nothing_is_drawn():
    with pytest.raises(ValueError, match="experiment schedules: draws nothing at random; expected no seed, got 1"):
        registry.config("schedules", seed=1)
