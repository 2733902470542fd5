import pytest

from lobscan.core.formatting import decimal1


@pytest.mark.parametrize(("number", "shown"), [
    (3.5, "3,5"), (4.25, "4,3"), (4.35, "4,4"), (4.249999, "4,2"), (2.0, "2,0"),
    (10 / 3, "3,3"), (-0.05, "-0,1"), (1234.56, "1.234,6"), (None, "–"),
])
def test_one_decimal_with_a_dutch_comma_rounded_half_up(app_ctx, number, shown):
    assert decimal1(number) == shown
