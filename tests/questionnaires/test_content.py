"""The built-in LOB-scan: the data file's content rules, loading it, and which versions a school sees."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from lobscan.extensions import db
from lobscan.questionnaires import services
from lobscan.questionnaires.models import Questionnaire, Section, Statement


@pytest.fixture(scope="module")
def data() -> dict:
    return json.loads(services.BUILTIN_FILE.read_text(encoding="utf-8"))


def test_the_file_has_eleven_sections_of_four_to_seven_statements(data):
    sections = data["sections"]
    assert len(sections) == 11
    for section in sections:
        assert 4 <= len(section["statements"]) <= 7, section["key"]
        assert section["title"].strip() and section["explanation"].strip(), section["key"]
        for statement in section["statements"]:
            assert statement["text"].strip(), statement["key"]


def test_every_section_has_three_tips_and_two_public_https_links(data):
    for section in data["sections"]:
        tips = [t for t in section["tips"] if t.strip()]
        assert len(tips) >= 3, section["key"]
        links = section["links"]
        assert len(links) >= 2, section["key"]
        for link in links:
            assert link["url"].startswith("https://"), link
            assert link["title"].strip(), link
        assert len({link["url"] for link in links}) == len(links), section["key"]


def test_keys_are_unique(data):
    section_keys = [s["key"] for s in data["sections"]]
    statement_keys = [st["key"] for s in data["sections"] for st in s["statements"]]
    assert len(set(section_keys)) == len(section_keys)
    assert len(set(statement_keys)) == len(statement_keys)


def test_the_scale_is_one_to_five_with_a_label_per_point_and_weet_ik_niet(data):
    scale = data["scale"]
    assert (scale["min"], scale["max"]) == (1, 5)
    assert sorted(int(k) for k in scale["labels"]) == [1, 2, 3, 4, 5]
    assert all(label.strip() for label in scale["labels"].values())
    assert "weet ik niet" in scale["unknown_label"]


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Questionnaire, Section, Statement))


def test_loading_twice_gives_the_same_version_and_no_duplicate_rows(app_ctx, data):
    first = services.load_builtin()
    counts = _counts()
    second = services.load_builtin()

    assert second.id == first.id
    assert _counts() == counts
    total = sum(len(s["statements"]) for s in data["sections"])
    assert counts == (1, 11, total)
    assert first.school_id is None
    assert [s.key for s in first.sections] == [s["key"] for s in data["sections"]]
    assert first.scale == [1, 2, 3, 4, 5]
    assert first.label_for(1) == data["scale"]["labels"]["1"]


def test_latest_versions_lists_the_builtin_and_only_the_schools_own_copies(app_ctx, make_school):
    school_a, admin_a = make_school("School A", "a@a.nl")
    school_b, admin_b = make_school("School B", "b@b.nl")

    assert [q.school_id for q in services.latest_versions(school_a)] == [None]

    builtin = services.default_questionnaire()
    copy = services.copy_for_school(school_a, admin_a, builtin.id, "Onze LOB-scan")

    seen_by_a = services.latest_versions(school_a)
    assert [q.id for q in seen_by_a] == [builtin.id, copy.id]  # built-in first
    assert seen_by_a[1].title == "Onze LOB-scan"
    assert seen_by_a[1].based_on_id == builtin.id
    assert [q.id for q in services.latest_versions(school_b)] == [builtin.id]
    # The copy is a whole copy: same sections, same number of statements, new rows.
    assert [s.key for s in copy.sections] == [s.key for s in builtin.sections]
    assert services.statement_ids(copy.id).isdisjoint(services.statement_ids(builtin.id))
    assert len(services.statement_ids(copy.id)) == len(services.statement_ids(builtin.id))
