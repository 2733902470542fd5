"""Scans: coordinators' pages (create, share, follow, close) and the respondent flow (no account).

Respondents come in through the scan's invite link and then use their own resume link
(/r/<token>/...), also remembered in a cookie on their device.
"""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from lobscan.accounts import services as accounts_services
from lobscan.accounts.forms import EmptyForm
from lobscan.accounts.models import Team
from lobscan.accounts.services import ServiceError
from lobscan.core.db import utcnow
from lobscan.core.qr import qr_svg
from lobscan.core.rendering import is_htmx, redirect_to, render
from lobscan.core.tenancy import current_role, current_school, get_in_school, school_required
from lobscan.core.urls import public_url
from lobscan.extensions import limiter
from lobscan.questionnaires import services as questionnaires
from lobscan.scans import forms, services
from lobscan.scans.models import Respondent, Scan

bp = Blueprint("scans", __name__)

COOKIE_PREFIX = "lobscan_r"
COOKIE_AGE = 60 * 60 * 24 * 365


# --- coordinators ------------------------------------------------------------------------------


def _scan_form(school_id: int, team: Team) -> forms.ScanForm:
    form = forms.ScanForm()
    form.questionnaire_id.choices = [
        SelectChoice(q.id, f"{q.title} (versie {q.version})" if q.school_id else q.title)
        for q in questionnaires.latest_versions(school_id)
    ]
    form.cycle_id.choices = [SelectChoice(c.id, c.name) for c in team.cycles]
    if not form.is_submitted():
        form.cycle_id.data = team.current_cycle.id if team.current_cycle else None
        if not form.name.data:
            form.name.data = _("LOB-scan %(cycle)s", cycle=team.current_cycle.name) \
                if team.current_cycle else _("LOB-scan")
    return form


@bp.route("/teams/<int:team_id>/scans/new", methods=["GET", "POST"])
@school_required("manage_teams")
def new_scan(team_id: int):
    school = current_school()
    team = get_in_school(Team, school.id, team_id)
    form = _scan_form(school.id, team)
    status = 200
    if form.validate_on_submit():
        try:
            scan = services.create_scan(
                school.id, current_user.id, team.id, name=form.name.data,
                questionnaire_id=form.questionnaire_id.data, cycle_id=form.cycle_id.data,
                anonymity=form.anonymity.data, opens_at=forms.to_utc(form.opens_at.data),
                closes_at=forms.to_utc(form.closes_at.data), open_now=form.open_now.data,
            )
        except ServiceError as error:
            field = getattr(form, error.field, None) if error.field else None
            if field is not None:
                field.errors = [*field.errors, str(error.message)]
            else:
                form.form_errors.append(str(error.message))
            status = error.status
        else:
            flash(_("De scan is aangemaakt. Deel de link met je team."), "success")
            return redirect(url_for("scans.scan", scan_id=scan.id), 303)
    elif form.is_submitted():
        status = 422
    return render_template("scans/new.html", form=form, team=team), status


def scan_for_viewer(scan_id: int) -> Scan:
    """A scan of the current school that the current user may see: 404 for another school's,
    403 for a plain member outside the scan's team."""
    school = current_school()
    scan = get_in_school(Scan, school.id, scan_id)
    if not accounts_services.can_see_team(school.id, current_user.id, current_role(),
                                          scan.team_id):
        abort(403)
    return scan


def _scan_page_context(scan: Scan, now: dt.datetime) -> dict:
    invitation = services.current_invitation(scan)
    link = public_url("scans.invite", token=invitation.token) if invitation else None
    counts = services.counts(scan.id)
    return {
        "scan": scan,
        "link": link,
        "qr": qr_svg(link, title=_("QR-code van de uitnodigingslink")) if link else None,
        "counts": counts,
        "scan_status": scan.status(now),
        "version": services.live_version(scan, now, counts),
        "empty": EmptyForm(),
    }


@bp.get("/scans/<int:scan_id>")
@school_required()
def scan(scan_id: int):
    scan = scan_for_viewer(scan_id)
    return render("scans/scan.html", None, **_scan_page_context(scan, utcnow()))


@bp.get("/scans/<int:scan_id>/live")
@school_required()
def live(scan_id: int):
    """The counts panel; 204 when nothing changed since the version the client has."""
    scan = scan_for_viewer(scan_id)
    now = utcnow()
    version = services.live_version(scan, now)
    if request.args.get("v") == version:
        return Response(status=204)
    return render("scans/scan.html", "scans/_live.html", **_scan_page_context(scan, now))


# action in the URL -> (service call, message flashed afterwards)
_ACTIONS = {
    "close": (lambda school_id, actor_id, scan_id, now: services.set_state(
        school_id, actor_id, scan_id, "closed", now),
        _l("De scan is gesloten. Respondenten kunnen niets meer wijzigen.")),
    "open": (lambda school_id, actor_id, scan_id, now: services.set_state(
        school_id, actor_id, scan_id, "open", now),
        _l("De scan is open.")),
    "replace-link": (services.replace_link,
                     _l("Er is een nieuwe link. De oude link werkt niet meer; wie al begonnen "
                        "is, gaat verder via de eigen link.")),
}


def _scan_action(scan_id: int, action: str):
    school = current_school()
    get_in_school(Scan, school.id, scan_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    run, message = _ACTIONS[action]
    run(school.id, current_user.id, scan_id, utcnow())
    flash(str(message), "success")
    return redirect_to(url_for("scans.scan", scan_id=scan_id))


@bp.post("/scans/<int:scan_id>/close")
@school_required("manage_teams")
def close(scan_id: int):
    return _scan_action(scan_id, "close")


@bp.post("/scans/<int:scan_id>/open")
@school_required("manage_teams")
def open_scan(scan_id: int):
    return _scan_action(scan_id, "open")


@bp.post("/scans/<int:scan_id>/replace-link")
@school_required("manage_teams")
def replace_link(scan_id: int):
    return _scan_action(scan_id, "replace-link")


# --- respondents -------------------------------------------------------------------------------


def _cookie_name(scan: Scan) -> str:
    return f"{COOKIE_PREFIX}{scan.id}"


def _respondent_or_404(token: str) -> Respondent:
    respondent = services.respondent_for_token(token)
    if respondent is None:
        abort(404)
    return respondent


def _closed_page(scan: Scan, status: str, code: int = 200):
    return render_template("scans/respond/unavailable.html", scan=scan, status=status), code


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit("120 per minute", methods=["POST"])
def invite(token: str):
    scan = services.scan_for_invite(token)
    if scan is None:
        abort(404)
    now = utcnow()
    status = scan.status(now)
    returning = services.respondent_for_token(request.cookies.get(_cookie_name(scan)))
    if returning is not None and returning.scan_id != scan.id:
        returning = None
    if status != "open":
        return _closed_page(scan, status, 409 if request.method == "POST" else 200)
    form = forms.StartForm()
    code = 200
    if form.validate_on_submit():
        try:
            respondent = services.start_respondent(scan, name=form.name.data or "",
                                                   role=form.role.data, now=now)
        except ServiceError as error:
            field = getattr(form, error.field, None) if error.field else None
            if field is not None:
                field.errors = [*field.errors, str(error.message)]
            code = error.status
        else:
            response = redirect(url_for("scans.section", token=respondent.resume_token, number=1),
                                303)
            response.set_cookie(_cookie_name(scan), respondent.resume_token, max_age=COOKIE_AGE,
                                httponly=True, samesite="Lax",
                                secure=request.scheme == "https")
            return response
    elif form.is_submitted():
        code = 422
    sections = services.sections_of(scan)
    return render_template("scans/respond/intro.html", scan=scan, form=form, returning=returning,
                           section_count=len(sections),
                           statement_count=sum(len(s.statements) for s in sections)), code


def _section_context(respondent: Respondent, number: int, now: dt.datetime) -> dict:
    sections = services.sections_of(respondent.scan)
    if not 1 <= number <= len(sections):
        abort(404)
    return {
        "respondent": respondent,
        "scan": respondent.scan,
        "questionnaire": respondent.scan.questionnaire,
        "sections": sections,
        "section": sections[number - 1],
        "number": number,
        "answers": services.answers_of(respondent),
        "progress": services.progress(respondent),
        "unknown": services.UNKNOWN,
        "form": EmptyForm(),
        "editable": respondent.scan.status(now) == "open",
    }


@bp.get("/r/<token>")
def resume(token: str):
    respondent = _respondent_or_404(token)
    per_section = services.section_progress(respondent)
    for number, section in enumerate(services.sections_of(respondent.scan), start=1):
        answered, total = per_section.get(section.id, (0, 0))
        if answered < total:
            return redirect(url_for("scans.section", token=token, number=number))
    return redirect(url_for("scans.overview", token=token))


@bp.route("/r/<token>/onderdeel/<int:number>", methods=["GET", "POST"])
def section(token: str, number: int):
    respondent = _respondent_or_404(token)
    now = utcnow()
    context = _section_context(respondent, number, now)
    if request.method == "GET":
        if not context["editable"]:
            return _closed_page(respondent.scan, respondent.scan.status(now))
        return render_template("scans/respond/section.html", **context)
    # Without JavaScript: the whole section at once, then on to where the button points.
    if not context["form"].validate_on_submit():
        abort(400)
    questionnaire = respondent.scan.questionnaire
    values: dict[int, int | None] = {}
    try:
        for statement in context["section"].statements:
            raw = request.form.get(f"s{statement.id}")
            if raw is not None:
                values[statement.id] = services.parse_value(raw, questionnaire)
        services.save_answers(respondent, values, now)
    except ServiceError as error:
        if error.status == 409:
            return _closed_page(respondent.scan, respondent.scan.status(now), 409)
        context["error"] = error.message
        return render_template("scans/respond/section.html", **context), error.status
    go = request.form.get("go", "next")
    total = len(context["sections"])
    if go == "prev" and number > 1:
        target = url_for("scans.section", token=token, number=number - 1)
    elif go == "next" and number < total:
        target = url_for("scans.section", token=token, number=number + 1)
    else:
        target = url_for("scans.overview", token=token)
    return redirect(target, 303)


@bp.post("/r/<token>/antwoord")
def answer(token: str):
    """Autosave of one statement (htmx). Answers with the statement's saved state."""
    respondent = _respondent_or_404(token)
    now = utcnow()
    try:
        statement_id = int(request.form.get("statement", ""))
    except ValueError:
        return _answer_error(_("Deze stelling hoort niet bij deze scan."), 422)
    try:
        value = services.parse_value(request.form.get(f"s{statement_id}"),
                                     respondent.scan.questionnaire)
        services.save_answers(respondent, {statement_id: value}, now)
    except ServiceError as error:
        return _answer_error(error.message, error.status, statement_id)
    html = render_template("scans/respond/_saved.html", statement_id=statement_id, ok=True)
    html += render_template("scans/respond/_progress.html", progress=services.progress(respondent),
                            oob=True)
    return html


def _answer_error(message, status: int, statement_id: int | None = None):
    if not is_htmx():
        return render_template("errors/error.html", code=status, title=_("Niet opgeslagen"),
                               message=message), status
    return render_template("scans/respond/_saved.html", statement_id=statement_id, ok=False,
                           message=message), status


@bp.get("/r/<token>/overzicht")
def overview(token: str):
    respondent = _respondent_or_404(token)
    now = utcnow()
    per_section = services.section_progress(respondent)
    return render_template(
        "scans/respond/overview.html", respondent=respondent, scan=respondent.scan,
        sections=services.sections_of(respondent.scan), per_section=per_section,
        progress=services.progress(respondent), form=EmptyForm(),
        editable=respondent.scan.status(now) == "open",
    )


@bp.post("/r/<token>/afronden")
def finish(token: str):
    respondent = _respondent_or_404(token)
    now = utcnow()
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.finish(respondent, now)
    except ServiceError:
        return _closed_page(respondent.scan, respondent.scan.status(now), 409)
    return redirect(url_for("scans.thanks", token=token), 303)


@bp.get("/r/<token>/klaar")
def thanks(token: str):
    respondent = _respondent_or_404(token)
    response = make_response(render_template(
        "scans/respond/thanks.html", respondent=respondent, scan=respondent.scan,
        resume_link=public_url("scans.resume", token=token)))
    return response


@bp.app_template_global()
def team_scans(team: Team) -> list[Scan]:
    """The team page lists its scans (the accounts area stays unaware of scans)."""
    return services.list_scans(team.school_id, team.id)
