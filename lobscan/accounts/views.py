"""Accounts area: registration, login, schools, members, invitations, teams, activity.

Views parse input, call a service and render; services hold the rules.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import SelectChoice

from lobscan.accounts import forms, services
from lobscan.accounts.models import Membership, StaffInvitation, Team, TeamMember
from lobscan.accounts.roles import invitable_roles
from lobscan.accounts.services import ServiceError
from lobscan.core import audit
from lobscan.core.db import utcnow
from lobscan.core.mail import send_mail
from lobscan.core.rendering import is_htmx, redirect_to, render
from lobscan.core.tenancy import current_role, current_school, get_in_school, school_required
from lobscan.core.urls import public_url
from lobscan.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _safe_next(default: str) -> str:
    """Only a local path may be a redirect target."""
    target = request.values.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme \
            and not parts.netloc and "\\" not in target:
        return target
    return default


def _form_error(form, error: ServiceError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def _status(form) -> int:
    """422 for a submitted form that did not validate, 200 for a first view."""
    return 422 if request.method == "POST" else 200


def _begin_session(user, remember: bool = False) -> None:
    school_id = user.last_school_id
    session.clear()
    login_user(user, remember=remember)
    if school_id:
        session["school_id"] = school_id


# --- registration and login --------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = forms.RegisterForm()
    if form.validate_on_submit():
        try:
            school, user = services.register_school(
                form.school_name.data, form.name.data, form.email.data, form.password.data,
                today=dt.date.today(),
            )
        except ServiceError as error:
            _form_error(form, error)
            return render_template("accounts/register.html", form=form), error.status
        _begin_session(user)
        session["school_id"] = school.id
        flash(_("Welkom! Je school %(school)s is aangemaakt, met een eerste team.",
                school=school.name), "success")
        return redirect(url_for("accounts.teams"), 303)
    return render_template("accounts/register.html", form=form), _status(form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(url_for("accounts.dashboard")))
    form = forms.LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            _begin_session(user, remember=form.remember.data)
            return redirect(_safe_next(url_for("accounts.dashboard")), 303)
        form.form_errors.append(_("Dit e-mailadres en wachtwoord horen niet bij elkaar."))
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form), _status(form)


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("Je bent uitgelogd."), "success")
    return redirect(url_for("accounts.login"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.user_by_email(form.email.data)
        if user is not None:
            token = services.make_reset_token(user, current_app.config["SECRET_KEY"])
            link = public_url("accounts.reset_password", token=token)
            minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
            send_mail(
                user.email,
                _("Nieuw wachtwoord voor lobscan"),
                _("Hallo %(name)s,\n\nJe vroeg een nieuw wachtwoord aan voor lobscan. Kies het via "
                  "deze link (%(minutes)d minuten geldig, één keer te gebruiken):\n\n%(link)s\n\n"
                  "Vroeg je dit niet aan? Dan kun je deze e-mail negeren.",
                  name=user.name, link=link, minutes=minutes),
            )
        # The same answer whether or not the address is known.
        return render_template("accounts/forgot_sent.html", email=form.email.data)
    return render_template("accounts/forgot.html", form=form), _status(form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_password(token: str):
    user = services.user_for_reset_token(
        token, current_app.config["SECRET_KEY"], current_app.config["PASSWORD_RESET_MAX_AGE"]
    )
    if user is None:
        return render_template("accounts/reset_invalid.html"), 410
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        _begin_session(user)
        flash(_("Je wachtwoord is gewijzigd. Je bent ingelogd."), "success")
        return redirect(url_for("accounts.dashboard"), 303)
    return render_template("accounts/reset.html", form=form), _status(form)


# --- schools -----------------------------------------------------------------------------------


@bp.get("/schools")
@login_required
def choose_school():
    memberships = sorted(current_user.memberships, key=lambda m: m.school.name.lower())
    return render_template("accounts/schools.html", memberships=memberships,
                           next=_safe_next(""), form=forms.EmptyForm())


@bp.post("/schools/<int:school_id>/choose")
@login_required
def select_school(school_id: int):
    form = forms.EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.remember_school(current_user, school_id)
    except ServiceError:
        abort(404)
    session["school_id"] = school_id
    return redirect(_safe_next(url_for("accounts.dashboard")), 303)


@bp.get("/start")
@school_required()
def dashboard():
    return redirect(url_for("accounts.teams"))


# --- teams and cycles --------------------------------------------------------------------------


@bp.get("/teams")
@school_required()
def teams():
    school = current_school()
    return render("accounts/teams.html", "accounts/_team_list.html",
                  teams=services.list_teams(school.id), form=forms.TeamForm())


@bp.post("/teams")
@school_required("manage_teams")
def create_team():
    school = current_school()
    form = forms.TeamForm()
    if form.validate_on_submit():
        try:
            team = services.create_team(school.id, current_user.id, form.name.data,
                                        dt.date.today())
        except ServiceError as error:
            _form_error(form, error)
            status = error.status
        else:
            flash(_("Team %(team)s is aangemaakt.", team=team.name), "success")
            return render("accounts/teams.html", "accounts/_team_section.html", status=201,
                          teams=services.list_teams(school.id), form=forms.TeamForm(formdata=None))
    else:
        status = 422
    return render("accounts/teams.html", "accounts/_team_section.html", status=status,
                  teams=services.list_teams(school.id), form=form)


def _member_form(school_id: int, members, form=None) -> forms.TeamMemberForm:
    """The "add to team" form, offering the school's colleagues who are not in the team yet."""
    form = form or forms.TeamMemberForm()
    in_team = {m.user_id for m in members}
    form.user_id.choices = [
        SelectChoice(m.user_id, f"{m.user.name} ({m.user.email})")
        for m in services.list_members(school_id) if m.user_id not in in_team
    ]
    return form


def _team_page(team: Team, partial: str | None = None, status: int = 200, form=None,
               member_form=None):
    """The team page (or one of its partials): name, scans, members, cycles, archive."""
    school = current_school()
    members = services.team_members(school.id, team.id)
    return render("accounts/team.html", partial, status=status, team=team,
                  form=form or forms.TeamForm(obj=team, formdata=None), empty=forms.EmptyForm(),
                  team_members=members,
                  member_form=_member_form(school.id, members, member_form))


@bp.get("/teams/<int:team_id>")
@school_required()
def team(team_id: int):
    return _team_page(get_in_school(Team, current_school().id, team_id))


@bp.post("/teams/<int:team_id>/members")
@school_required("manage_teams")
def add_team_member(team_id: int):
    school = current_school()
    team = get_in_school(Team, school.id, team_id)
    form = _member_form(school.id, services.team_members(school.id, team.id))
    if form.validate_on_submit():
        try:
            member = services.add_team_member(school.id, current_user.id, team.id,
                                              form.user_id.data)
        except ServiceError as error:
            _form_error(form, error)
            return _team_page(team, "accounts/_team_members.html", error.status,
                              member_form=form)
        flash(_("%(name)s hoort nu bij het team.", name=member.user.name), "success")
        return _team_page(team, "accounts/_team_members.html", 201)
    return _team_page(team, "accounts/_team_members.html", 422, member_form=form)


@bp.post("/team-members/<int:team_member_id>/remove")
@school_required("manage_teams")
def remove_team_member(team_member_id: int):
    school = current_school()
    get_in_school(TeamMember, school.id, team_member_id)
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    team = services.remove_team_member(school.id, current_user.id, team_member_id)
    flash(_("De collega hoort niet meer bij het team."), "success")
    return _team_page(team, "accounts/_team_members.html")


@bp.post("/teams/<int:team_id>/rename")
@school_required("manage_teams")
def rename_team(team_id: int):
    school = current_school()
    team = get_in_school(Team, school.id, team_id)
    form = forms.TeamForm()
    if form.validate_on_submit():
        try:
            services.rename_team(school.id, current_user.id, team.id, form.name.data)
        except ServiceError as error:
            _form_error(form, error)
            db.session.refresh(team)
            return _team_page(team, "accounts/_team_name.html", error.status, form=form)
        flash(_("De naam is opgeslagen."), "success")
        return _team_page(team, "accounts/_team_name.html")
    return _team_page(team, "accounts/_team_name.html", 422, form=form)


@bp.post("/teams/<int:team_id>/archive")
@school_required("manage_teams")
def archive_team(team_id: int):
    return _set_archived(team_id, True)


@bp.post("/teams/<int:team_id>/restore")
@school_required("manage_teams")
def restore_team(team_id: int):
    return _set_archived(team_id, False)


def _set_archived(team_id: int, archived: bool):
    school = current_school()
    get_in_school(Team, school.id, team_id)
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    team = services.set_team_archived(school.id, current_user.id, team_id, archived, utcnow())
    if archived:
        flash(_("Team %(team)s staat in het archief.", team=team.name), "success")
    else:
        flash(_("Team %(team)s is terug uit het archief.", team=team.name), "success")
    return redirect_to(url_for("accounts.team", team_id=team.id))


@bp.post("/teams/<int:team_id>/cycles")
@school_required("manage_teams")
def start_cycle(team_id: int):
    school = current_school()
    team = get_in_school(Team, school.id, team_id)
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    try:
        cycle = services.start_next_cycle(school.id, current_user.id, team.id)
    except ServiceError as error:
        flash(str(error.message), "error")
        if is_htmx():  # a whole page must not be swapped into the button's form
            return redirect_to(url_for("accounts.team", team_id=team.id))
        return _team_page(team, None, error.status)
    flash(_("Cyclus %(cycle)s is gestart.", cycle=cycle.name), "success")
    return redirect_to(url_for("accounts.team", team_id=team.id))


# --- members -----------------------------------------------------------------------------------


@bp.get("/members")
@school_required()
def members():
    school = current_school()
    return render("accounts/members.html", None, members=services.list_members(school.id),
                  role_form=forms.RoleForm(), empty=forms.EmptyForm())


@bp.post("/members/<int:membership_id>/role")
@school_required("manage_members")
def change_role(membership_id: int):
    school = current_school()
    membership = get_in_school(Membership, school.id, membership_id)
    form = forms.RoleForm()
    error_message = None
    status = 200
    if form.validate_on_submit():
        try:
            services.change_role(school.id, current_user.id, membership.id, form.role.data)
        except ServiceError as error:
            error_message, status = error.message, error.status
            db.session.rollback()
    else:
        error_message, status = _("Kies een geldige rol."), 422
    if error_message is None:
        flash(_("De rol van %(name)s is gewijzigd.", name=membership.user.name), "success")
        if membership.user_id == current_user.id:  # you may have lost the right to this page
            return redirect_to(url_for("accounts.members"))
    elif not is_htmx():
        flash(str(error_message), "error")
    return render("accounts/members.html", "accounts/_member_row.html", status=status,
                  members=services.list_members(school.id), member=membership,
                  role_form=forms.RoleForm(formdata=None), empty=forms.EmptyForm(),
                  row_error=error_message)


@bp.post("/members/<int:membership_id>/remove")
@school_required("manage_members")
def remove_member(membership_id: int):
    school = current_school()
    membership = get_in_school(Membership, school.id, membership_id)
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    name, self_removed = membership.user.name, membership.user_id == current_user.id
    try:
        services.remove_member(school.id, current_user.id, membership.id)
    except ServiceError as error:
        db.session.rollback()
        if is_htmx():
            return render("accounts/members.html", "accounts/_member_row.html",
                          status=error.status, member=membership,
                          members=services.list_members(school.id),
                          role_form=forms.RoleForm(formdata=None), empty=forms.EmptyForm(),
                          row_error=error.message)
        flash(str(error.message), "error")
        return redirect(url_for("accounts.members"), 303)
    flash(_("%(name)s is uit de school verwijderd.", name=name), "success")
    if self_removed:
        session.pop("school_id", None)
        return redirect_to(url_for("accounts.choose_school"))
    if is_htmx():  # the row disappears; the message travels out of band
        return render_template("_flashes.html", oob=True), 200
    return redirect(url_for("accounts.members"), 303)


# --- staff invitations -------------------------------------------------------------------------


def _invitation_form() -> forms.InvitationForm:
    form = forms.InvitationForm()
    form.set_roles(invitable_roles(current_role()))
    return form


@bp.get("/invitations")
@school_required("invite")
def invitations():
    school = current_school()
    return render("accounts/invitations.html", None, form=_invitation_form(),
                  invitations=services.list_invitations(school.id), now=utcnow(),
                  empty=forms.EmptyForm(), created=None)


@bp.post("/invitations")
@school_required("invite")
def create_invitation():
    school = current_school()
    form = _invitation_form()
    created = None
    status = 422
    if form.validate_on_submit():
        try:
            created = services.create_invitation(
                school.id, current_user.id, current_role(), form.role.data, form.label.data or "",
                utcnow(), current_app.config["INVITE_DAYS"],
            )
            status = 201
            form = _invitation_form()
            form.process(formdata=None)
        except ServiceError as error:
            _form_error(form, error)
            status = error.status
    return render("accounts/invitations.html", "accounts/_invitations.html", status=status,
                  form=form, invitations=services.list_invitations(school.id), now=utcnow(),
                  empty=forms.EmptyForm(), created=created)


@bp.post("/invitations/<int:invitation_id>/revoke")
@school_required("invite")
def revoke_invitation(invitation_id: int):
    school = current_school()
    get_in_school(StaffInvitation, school.id, invitation_id)
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.revoke_invitation(school.id, current_user.id, invitation_id, utcnow())
    except ServiceError as error:
        flash(str(error.message), "error")
    else:
        flash(_("De uitnodiging is ingetrokken; de link werkt niet meer."), "success")
    return redirect_to(url_for("accounts.invitations"))


def _open_invitation(token: str) -> StaffInvitation:
    invitation = services.invitation_by_token(token)
    if invitation is None:
        abort(404)
    return invitation


@bp.route("/join/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def join(token: str):
    invitation = _open_invitation(token)
    now = utcnow()
    if invitation.status(now) != "open":
        return render_template("accounts/join_closed.html", invitation=invitation), 410
    empty = forms.EmptyForm()
    register_form = forms.JoinNewAccountForm(prefix="new")
    if request.method == "POST" and current_user.is_authenticated:
        if not empty.validate_on_submit():
            abort(400)
        try:
            services.accept_invitation(invitation, current_user, now)
        except ServiceError as error:
            flash(str(error.message), "error")
            return render_template("accounts/join.html", invitation=invitation, empty=empty,
                                   form=register_form), error.status
        session["school_id"] = invitation.school_id
        flash(_("Welkom bij %(school)s!", school=invitation.school.name), "success")
        return redirect(url_for("accounts.dashboard"), 303)
    if request.method == "POST":
        if register_form.validate_on_submit():
            try:
                user = services.register_and_accept(
                    invitation, register_form.name.data, register_form.email.data,
                    register_form.password.data, now,
                )
            except ServiceError as error:
                _form_error(register_form, error)
                return render_template("accounts/join.html", invitation=invitation, empty=empty,
                                       form=register_form), error.status
            _begin_session(user)
            session["school_id"] = invitation.school_id
            flash(_("Welkom bij %(school)s!", school=invitation.school.name), "success")
            return redirect(url_for("accounts.dashboard"), 303)
        return render_template("accounts/join.html", invitation=invitation, empty=empty,
                               form=register_form), 422
    return render_template("accounts/join.html", invitation=invitation, empty=empty,
                           form=register_form)


# --- activity ----------------------------------------------------------------------------------


@bp.get("/activity")
@school_required("view_activity")
def activity():
    school = current_school()
    page = request.args.get("page", 1, type=int) or 1
    page = max(1, min(page, 10_000))
    per_page = 50
    events, total = audit.page(school.id, page, per_page)
    return render("accounts/activity.html", None, events=events, page=page,
                  pages=max(1, -(-total // per_page)), describe=audit.describe)

