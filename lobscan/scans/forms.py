from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional

from lobscan.scans.models import RESPONDENT_ROLES

_required = DataRequired(message=_l("Vul dit veld in."))
_strip = [lambda v: v.strip() if isinstance(v, str) else v]

ROLE_LABELS = {
    "docent": _l("docent"),
    "mentor": _l("mentor / coach"),
    "decaan": _l("decaan / LOB-coördinator"),
    "management": _l("management"),
    "ondersteuning": _l("ondersteuning"),
    "anders": _l("anders"),
}
assert set(ROLE_LABELS) == set(RESPONDENT_ROLES)

ANONYMITY_LABELS = {
    "named": _l("Met naam: respondenten vullen hun naam in en staan zo in de uitslag"),
    "pseudonymous": _l("Met pseudoniem: geen namen, respondenten heten R1, R2, …"),
}


def to_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A datetime-local from the form is local school time; store UTC."""
    if value is None:
        return None
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return value.replace(tzinfo=zone).astimezone(dt.UTC)


class ScanForm(FlaskForm):
    name = StringField(_l("Naam van de scan"), validators=[_required, Length(
        max=120, message=_l("Gebruik maximaal %(max)d tekens."))], filters=_strip)
    questionnaire_id = SelectField(_l("Vragenlijst"), coerce=int, validators=[_required])
    cycle_id = SelectField(_l("Cyclus"), coerce=int, validators=[_required])
    anonymity = RadioField(_l("Namen in de uitslag"), default="named",
                           choices=[SelectChoice(k, v) for k, v in ANONYMITY_LABELS.items()],
                           validators=[_required])
    open_now = BooleanField(_l("Meteen openen"), default=True,
                            description=_l("Zonder vinkje opent de scan op de openingsdatum, "
                                           "of wanneer je hem zelf opent."))
    opens_at = DateTimeLocalField(_l("Openen op (optioneel)"), validators=[Optional()],
                                  format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Sluiten op (optioneel)"), validators=[Optional()],
                                   format="%Y-%m-%dT%H:%M")


class StartForm(FlaskForm):
    name = StringField(_l("Je naam"), validators=[Length(
        max=80, message=_l("Gebruik maximaal %(max)d tekens."))], filters=_strip,
        render_kw={"autocomplete": "name"})
    role = RadioField(_l("Je rol in de school"),
                      choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()],
                      validators=[DataRequired(message=_l("Kies je rol."))])
