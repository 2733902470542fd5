"""A school's own questionnaire version: copy, edit, and never change what a scan pinned."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from lobscan.extensions import db
from lobscan.questionnaires import services
from lobscan.questionnaires.models import Questionnaire, Statement


def _builtin_id(app) -> int:
    with app.app_context():
        return services.default_questionnaire().id


def _copy(client, app, title="Onze LOB-scan") -> int:
    response = client.post(f"/questionnaires/{_builtin_id(app)}/copy", {"title": title})
    assert response.status_code == 303
    return int(re.search(r"/questionnaires/(\d+)/edit", response.headers["Location"]).group(1))


def _texts(app, questionnaire_id: int, section_key: str) -> list[str]:
    with app.app_context():
        q = db.session.get(Questionnaire, questionnaire_id)
        section = next(s for s in q.sections if s.key == section_key)
        return [s.text for s in section.statements]


def test_admin_copies_the_builtin_questionnaire_and_sees_it_listed(client, app, make_school):
    make_school()
    client.login("admin@school.nl")
    copy_id = _copy(client, app)
    page = client.get(f"/questionnaires/{copy_id}/edit").get_data(as_text=True)
    assert "Onze LOB-scan" in page and "Visie en beleid" in page
    listing = client.get("/questionnaires").get_data(as_text=True)
    assert "Onze LOB-scan" in listing and "eigen versie van de school" in listing
    with app.app_context():
        assert len(db.session.get(Questionnaire, copy_id).sections) == 11


def test_edit_add_move_and_delete_statements(client, app, make_school):
    make_school()
    client.login("admin@school.nl")
    copy_id = _copy(client, app)
    key = "visie-en-beleid"
    first_before = _texts(app, copy_id, key)

    r = client.post(f"/questionnaires/{copy_id}/sections/{key}/statements",
                    {"text": "Wij bespreken LOB elk jaar in de teamvergadering."})
    assert r.status_code == 303
    texts = _texts(app, copy_id, key)
    assert texts[-1] == "Wij bespreken LOB elk jaar in de teamvergadering."
    assert len(texts) == len(first_before) + 1

    with app.app_context():
        new_key = db.session.scalar(select(Statement.key).where(
            Statement.questionnaire_id == copy_id,
            Statement.text.like("Wij bespreken LOB%")))
    client.post(f"/questionnaires/{copy_id}/statements/{new_key}/move", {"direction": "up"})
    assert _texts(app, copy_id, key)[-2] == "Wij bespreken LOB elk jaar in de teamvergadering."

    client.post(f"/questionnaires/{copy_id}/statements/{new_key}", {"text": "Nieuwe tekst."})
    assert "Nieuwe tekst." in _texts(app, copy_id, key)

    client.post(f"/questionnaires/{copy_id}/statements/{new_key}/delete", {"section": key})
    assert _texts(app, copy_id, key) == first_before


def test_tips_and_links_are_edited_and_a_bad_link_is_refused(client, app, make_school):
    make_school()
    client.login("admin@school.nl")
    copy_id = _copy(client, app)
    key = "visie-en-beleid"
    data = {"title": "Visie", "explanation": "Uitleg", "tips": "Tip een\n\nTip twee",
            "links": "Expertisepunt | https://www.expertisepuntlob.nl/"}
    assert client.post(f"/questionnaires/{copy_id}/sections/{key}", data).status_code == 303
    with app.app_context():
        section = next(s for s in db.session.get(Questionnaire, copy_id).sections if s.key == key)
        assert section.title == "Visie"
        assert section.tips == ["Tip een", "Tip twee"]
        assert section.links == [{"title": "Expertisepunt",
                                  "url": "https://www.expertisepuntlob.nl/"}]

    bad = dict(data, title="Anders", links="Klik hier | javascript:alert(1)")
    response = client.post(f"/questionnaires/{copy_id}/sections/{key}", bad)
    assert response.status_code == 422
    assert "geen geldige link" in response.get_data(as_text=True)
    with app.app_context():
        section = next(s for s in db.session.get(Questionnaire, copy_id).sections if s.key == key)
        assert section.title == "Visie"  # nothing written


def test_editing_a_version_in_use_makes_the_next_version(client, app, make_school, make_scan):
    school_id, user_id = make_school()
    client.login("admin@school.nl")
    copy_id = _copy(client, app)
    with app.app_context():
        from lobscan.accounts.models import Team
        from lobscan.scans import services as scans

        team_id = db.session.scalar(select(Team.id).where(Team.school_id == school_id))
        scan = scans.create_scan(school_id, user_id, team_id, name="Scan", cycle_id=None,
                                 questionnaire_id=copy_id, anonymity="named", opens_at=None,
                                 closes_at=None, open_now=True)
        scan_id = scan.id
    key = "visie-en-beleid"
    before = _texts(app, copy_id, key)
    response = client.post(f"/questionnaires/{copy_id}/sections/{key}/statements",
                           {"text": "Een extra stelling."})
    assert response.status_code == 303
    new_id = int(re.search(r"/questionnaires/(\d+)/edit", response.headers["Location"]).group(1))
    assert new_id != copy_id
    assert _texts(app, copy_id, key) == before  # the pinned version is untouched
    assert _texts(app, new_id, key)[-1] == "Een extra stelling."
    with app.app_context():
        from lobscan.scans.models import Scan

        assert db.session.get(Scan, scan_id).questionnaire_id == copy_id
        assert db.session.get(Questionnaire, new_id).version == 2
        # The editor of the old version now leads to the new one.
    assert client.get(f"/questionnaires/{copy_id}/edit").headers["Location"].endswith(
        f"/questionnaires/{new_id}/edit")


def test_builtin_cannot_be_edited_and_members_cannot_copy(client, app, make_school, add_member):
    school_id, _ = make_school()
    builtin = _builtin_id(app)
    client.login("admin@school.nl")
    assert client.get(f"/questionnaires/{builtin}/edit").status_code == 404
    assert client.post(f"/questionnaires/{builtin}/sections/visie-en-beleid/statements",
                       {"text": "x"}).status_code == 404
    member = add_member(school_id, "lid@school.nl", "member")
    assert member
    other = type(client)(app.test_client())
    other.login("lid@school.nl")
    assert other.post(f"/questionnaires/{builtin}/copy", {"title": "x"}).status_code == 403
    assert other.get(f"/questionnaires/{builtin}").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == 1


def test_empty_statement_text_is_refused_with_a_dutch_message(client, app, make_school):
    make_school()
    client.login("admin@school.nl")
    copy_id = _copy(client, app)
    before = _texts(app, copy_id, "visie-en-beleid")
    response = client.post(f"/questionnaires/{copy_id}/sections/visie-en-beleid/statements",
                           {"text": "   "})
    assert response.status_code == 422
    assert "Vul dit veld in" in response.get_data(as_text=True)
    assert _texts(app, copy_id, "visie-en-beleid") == before
