"""Dutch display of dates and numbers in templates."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale

_TENTH = Decimal("0.1")


def decimal1(number: float | None) -> str:
    """One decimal with a Dutch comma, rounded half up as people expect (4,25 -> 4,3).
    The float is first taken to 9 decimals, so 4.35 (stored as 4.3499999...) also gives 4,4."""
    if number is None:
        return "–"
    exact = Decimal(repr(round(number, 9))).quantize(_TENTH, rounding=ROUND_HALF_UP)
    # The locale's symbols, applied by hand: this runs for every cell of a results table and
    # Babel's general formatter costs ten times as much.
    symbols = get_locale().number_symbols["latn"]
    text = f"{exact:,.1f}"
    return text.replace(",", "\0").replace(".", symbols["decimal"]).replace("\0", symbols["group"])


def register_filters(app: Flask) -> None:
    app.add_template_filter(lambda d: format_date(d, "d MMMM y") if d else "", "date")
    app.add_template_filter(
        lambda d: format_datetime(d, "d MMMM y, HH:mm") if d else "", "datetime"
    )
    app.add_template_filter(decimal1, "decimal1")
