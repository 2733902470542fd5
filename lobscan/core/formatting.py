"""Dutch display of dates and numbers in templates."""

from __future__ import annotations

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal


def register_filters(app: Flask) -> None:
    app.add_template_filter(lambda d: format_date(d, "d MMMM y") if d else "", "date")
    app.add_template_filter(
        lambda d: format_datetime(d, "d MMMM y, HH:mm") if d else "", "datetime"
    )
    app.add_template_filter(
        lambda n: format_decimal(n, format="#,##0.0") if n is not None else "–", "decimal1"
    )
