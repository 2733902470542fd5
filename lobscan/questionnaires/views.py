"""Questionnaires: read the built-in LOB-scan, copy it into the school's own version, edit that."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lobscan.accounts.forms import EmptyForm
from lobscan.accounts.services import ServiceError
from lobscan.core.tenancy import current_school, school_required
from lobscan.questionnaires import forms, services

bp = Blueprint("questionnaires", __name__, url_prefix="/questionnaires")

_ANCHOR = re.compile(r"[a-z]+-[A-Za-z0-9-]{1,80}")


def _readable_or_404(questionnaire_id: int):
    questionnaire = services.get_readable(current_school().id, questionnaire_id)
    if questionnaire is None:
        abort(404)
    return questionnaire


@bp.get("")
@school_required()
def index():
    school = current_school()
    return render_template("questionnaires/index.html",
                           questionnaires=services.latest_versions(school.id),
                           form=forms.CopyForm())


@bp.get("/<int:questionnaire_id>")
@school_required()
def show(questionnaire_id: int):
    questionnaire = _readable_or_404(questionnaire_id)
    return render_template("questionnaires/show.html", questionnaire=questionnaire,
                           newest=services.newest_of(questionnaire),
                           form=forms.CopyForm(title=_("%(title)s (eigen versie)",
                                                      title=questionnaire.title)))


@bp.post("/<int:questionnaire_id>/copy")
@school_required("manage_members")
def copy(questionnaire_id: int):
    school = current_school()
    source = _readable_or_404(questionnaire_id)
    form = forms.CopyForm()
    if not form.validate_on_submit():
        return render_template("questionnaires/show.html", questionnaire=source,
                               newest=services.newest_of(source), form=form), 422
    copy = services.copy_for_school(school.id, current_user.id, source.id, form.title.data)
    flash(_("Je eigen versie is gemaakt. Pas hem hieronder aan."), "success")
    return redirect(url_for("questionnaires.edit", questionnaire_id=copy.id), 303)


def _own_or_404(questionnaire_id: int):
    questionnaire = _readable_or_404(questionnaire_id)
    if questionnaire.school_id != current_school().id:
        abort(404)
    return questionnaire


def _edit_page(questionnaire, status: int = 200, errors: dict | None = None, **forms_in):
    return render_template(
        "questionnaires/edit.html", questionnaire=questionnaire,
        in_use=services.in_use(questionnaire.id), errors=errors or {},
        meta=forms_in.get("meta") or forms.MetaForm(obj=questionnaire),
        empty=EmptyForm(), forms=forms,
    ), status


@bp.get("/<int:questionnaire_id>/edit")
@school_required("manage_members")
def edit(questionnaire_id: int):
    questionnaire = _own_or_404(questionnaire_id)
    newest = services.newest_of(questionnaire)
    if newest.id != questionnaire.id:
        return redirect(url_for("questionnaires.edit", questionnaire_id=newest.id))
    return _edit_page(questionnaire)


def _apply(questionnaire_id: int, form, action, anchor: str = ""):
    """Validate `form`, run the edit, and go back to the (possibly new) version's edit page."""
    questionnaire = _own_or_404(questionnaire_id)
    if form is not None and not form.validate_on_submit():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _edit_page(questionnaire, 422, errors={anchor: message})
    if form is None and not EmptyForm().validate_on_submit():
        abort(400)
    try:
        result = action(current_school().id, current_user.id, questionnaire.id)
    except ServiceError as error:
        if error.status == 404:
            abort(404)
        return _edit_page(questionnaire, error.status, errors={anchor: str(error.message)})
    if result.id != questionnaire.id:
        flash(_("Deze versie was al in gebruik door een scan; je wijziging staat in de nieuwe "
                "versie %(version)d. Oude uitslagen houden hun eigen teksten.",
                version=result.version), "success")
    else:
        flash(_("Opgeslagen."), "success")
    target = url_for("questionnaires.edit", questionnaire_id=result.id)
    return redirect(f"{target}#{anchor}" if _ANCHOR.fullmatch(anchor) else target, 303)


@bp.post("/<int:questionnaire_id>/meta")
@school_required("manage_members")
def update_meta(questionnaire_id: int):
    form = forms.MetaForm()
    return _apply(questionnaire_id, form, lambda s, a, q: services.update_meta(
        s, a, q, form.title.data, form.intro.data or ""), "meta")


@bp.post("/<int:questionnaire_id>/sections/<key>")
@school_required("manage_members")
def update_section(questionnaire_id: int, key: str):
    form = forms.SectionForm()
    return _apply(questionnaire_id, form, lambda s, a, q: services.update_section(
        s, a, q, key, title=form.title.data, explanation=form.explanation.data or "",
        tips=form.tips.data or "", links=form.links.data or ""), f"section-{key}")


@bp.post("/<int:questionnaire_id>/sections/<key>/statements")
@school_required("manage_members")
def add_statement(questionnaire_id: int, key: str):
    form = forms.StatementForm()
    return _apply(questionnaire_id, form, lambda s, a, q: services.add_statement(
        s, a, q, key, form.text.data), f"section-{key}")


@bp.post("/<int:questionnaire_id>/statements/<key>")
@school_required("manage_members")
def update_statement(questionnaire_id: int, key: str):
    form = forms.StatementForm()
    return _apply(questionnaire_id, form, lambda s, a, q: services.update_statement(
        s, a, q, key, form.text.data), f"statement-{key}")


@bp.post("/<int:questionnaire_id>/statements/<key>/delete")
@school_required("manage_members")
def delete_statement(questionnaire_id: int, key: str):
    section_key = request.form.get("section", "")
    return _apply(questionnaire_id, None, lambda s, a, q: services.delete_statement(
        s, a, q, key), f"section-{section_key}")


@bp.post("/<int:questionnaire_id>/statements/<key>/move")
@school_required("manage_members")
def move_statement(questionnaire_id: int, key: str):
    direction = -1 if request.form.get("direction") == "up" else 1
    return _apply(questionnaire_id, None, lambda s, a, q: services.move_statement(
        s, a, q, key, direction), f"statement-{key}")
