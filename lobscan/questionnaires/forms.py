from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

_required = DataRequired(message=_l("Vul dit veld in."))
_strip = [lambda v: v.strip() if isinstance(v, str) else v]


def _max(n: int) -> Length:
    return Length(max=n, message=_l("Gebruik maximaal %(max)d tekens."))


class CopyForm(FlaskForm):
    title = StringField(_l("Naam van de eigen versie"), validators=[_required, _max(120)],
                        filters=_strip)


class MetaForm(FlaskForm):
    title = StringField(_l("Naam"), validators=[_required, _max(120)], filters=_strip)
    intro = TextAreaField(_l("Inleiding voor respondenten"), validators=[_max(2000)],
                          filters=_strip)


class SectionForm(FlaskForm):
    title = StringField(_l("Titel van het onderdeel"), validators=[_required, _max(160)],
                        filters=_strip)
    explanation = TextAreaField(_l("Uitleg"), validators=[_max(2000)], filters=_strip)
    tips = TextAreaField(_l("Tips (één per regel)"), validators=[_max(10000)])
    links = TextAreaField(_l("Links (één per regel: titel | https://…)"),
                          validators=[_max(10000)])


class StatementForm(FlaskForm):
    text = TextAreaField(_l("Stelling"), validators=[_required, _max(300)], filters=_strip)
