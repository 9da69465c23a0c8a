import math

import pytest

from fnn.util import ranges


@pytest.mark.parametrize("name, value, message", [
    ("seed", 2**32, r"where: expected seed to be an int in \[0, 4294967295\], got 4294967296"),
    ("epochs", 0, r"where: expected epochs to be an int in \[1, 1000000\], got 0"),
    ("epochs", 2.0, r"expected epochs to be an int in \[1, 1000000\], got 2.0"),
    ("lr", 0.0, r"expected lr in \(0, inf\], got 0.0"),
    ("lr", math.inf, "expected lr to be a finite number, got inf"),
    ("strength", math.nan, r"expected strength in \[0, inf\], got nan"),
    ("val_fraction", 1.0, r"expected val_fraction in \[0, 1\), got 1.0"),
    ("temperature", True, "expected temperature to be a number, got True"),
])
def test_a_number_out_of_its_range_names_it_the_range_and_the_value(name, value, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ranges.check("where", name, value)


def test_numbers_in_range_come_back_and_a_range_can_be_given():
    assert ranges.check("where", "seed", 2**32 - 1) == 2**32 - 1
    assert ranges.check("where", "lr", 1e-3) == 1e-3
    with pytest.raises(ValueError, match=r"expected x to be an int in \[0, 2\], got 3"):
        ranges.check("where", "x", 3, ranges.Range(int, 0, 2))
