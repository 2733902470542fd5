from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length

from lobscan.accounts.roles import ROLE_LABELS

PASSWORD_MIN = 10
PASSWORD_MAX = 128

_required = DataRequired(message=_l("Vul dit veld in."))


def _max(n: int) -> Length:
    return Length(max=n, message=_l("Gebruik maximaal %(max)d tekens."))


def _name_field(label):
    return StringField(label, validators=[_required, _max(120)],
                       filters=[lambda v: v.strip() if isinstance(v, str) else v])


def _email_field():
    return EmailField(
        _l("E-mailadres"),
        validators=[_required, _max(254),
                    Email(message=_l("Vul een geldig e-mailadres in."), granular_message=False)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        render_kw={"autocomplete": "email"},
    )


def _new_password_field():
    return PasswordField(
        _l("Wachtwoord"),
        validators=[
            _required,
            Length(min=PASSWORD_MIN, max=PASSWORD_MAX,
                   message=_l("Kies een wachtwoord van %(min)d tot %(max)d tekens.")),
        ],
        description=_l("Minstens %(n)d tekens.", n=PASSWORD_MIN),
        render_kw={"autocomplete": "new-password", "minlength": PASSWORD_MIN},
    )


class RegisterForm(FlaskForm):
    school_name = _name_field(_l("Naam van de school"))
    name = _name_field(_l("Je naam"))
    email = _email_field()
    password = _new_password_field()


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(_l("Wachtwoord"), validators=[_required, _max(PASSWORD_MAX)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Ingelogd blijven op dit apparaat"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password = _new_password_field()
    confirm = PasswordField(
        _l("Herhaal het wachtwoord"),
        validators=[_required, EqualTo("password", message=_l("De wachtwoorden zijn niet gelijk."))],
        render_kw={"autocomplete": "new-password"},
    )


class JoinNewAccountForm(FlaskForm):
    name = _name_field(_l("Je naam"))
    email = _email_field()
    password = _new_password_field()


class InvitationForm(FlaskForm):
    role = SelectField(_l("Rol"), validators=[_required])
    label = StringField(_l("Voor wie (optioneel)"), validators=[_max(120)],
                        description=_l("Alleen voor jezelf, om de link terug te vinden."),
                        filters=[lambda v: v.strip() if isinstance(v, str) else v])

    def set_roles(self, roles) -> None:
        self.role.choices = [SelectChoice(r.value, str(ROLE_LABELS[r])) for r in roles]


class RoleForm(FlaskForm):
    role = SelectField(_l("Rol"), validators=[_required],
                       choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()])


class TeamMemberForm(FlaskForm):
    user_id = SelectField(_l("Collega"), coerce=int, validators=[_required], choices=[])


class TeamForm(FlaskForm):
    name = _name_field(_l("Naam van het team"))


class EmptyForm(FlaskForm):
    """Buttons that only POST: the form carries the CSRF token."""
