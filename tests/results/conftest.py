"""Fixtures for the results tests: respondents with hand-chosen answers, and a small HTML reader.

Answers are addressed by position, (section index, statement index) from 0, in the built-in
LOB-scan (11 sections of 6 statements, scale 1-5); None is "weet ik niet".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from lobscan.extensions import db


@dataclass
class Person:
    name: str
    role: str = "docent"
    # {(section index, statement index): value or None ("weet ik niet")}
    answers: dict[tuple[int, int], int | None] = field(default_factory=dict)
    finish: bool = False


def section(index: int, values: list[int | None]) -> dict[tuple[int, int], int | None]:
    """Answers to the first len(values) statements of section `index`."""
    return {(index, position): value for position, value in enumerate(values)}


@pytest.fixture
def school(make_school) -> tuple[int, int]:
    return make_school("Testschool", "admin@school.nl")


@pytest.fixture
def add_people(app):
    """add_people(scan, [Person, ...]) -> [respondent id, ...] in start order."""
    from lobscan.core.db import utcnow
    from lobscan.scans import services
    from lobscan.scans.models import Scan

    def go(scan: dict, people: list[Person]) -> list[int]:
        ids = []
        with app.app_context():
            found = db.session.get(Scan, scan["id"])
            statements = [[st.id for st in s.statements] for s in services.sections_of(found)]
            for person in people:
                respondent = services.start_respondent(found, name=person.name, role=person.role,
                                                       now=utcnow())
                values = {statements[si][ti]: value for (si, ti), value in person.answers.items()}
                services.save_answers(respondent, values, utcnow())
                if person.finish:
                    services.finish(respondent, utcnow())
                ids.append(respondent.id)
            db.session.remove()
        return ids

    return go


@pytest.fixture
def results_of(app):
    """results_of(scan) -> aggregation.Results (plain values; the ORM objects are detached)."""
    from lobscan.results.aggregation import aggregate
    from lobscan.scans.models import Scan

    def get(scan: dict, compare: bool = True):
        with app.app_context():
            results = aggregate(db.session.get(Scan, scan["id"]), compare=compare)
            db.session.remove()
            return results

    return get


@pytest.fixture
def new_team(app):
    """new_team(school_id, user_id, name) -> team id (with its current cycle)."""
    import datetime as dt

    from lobscan.accounts import services

    def make(school_id: int, user_id: int, name: str) -> int:
        with app.app_context():
            team_id = services.create_team(school_id, user_id, name, dt.date(2026, 10, 1)).id
            db.session.remove()
            return team_id

    return make


# --- a small HTML reader (the standard library has no DOM) -----------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)  # Node or str

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def text(self, skip=lambda node: False) -> str:
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif not skip(child):
                parts.append(child.text(skip))
        return "".join(parts)

    @property
    def visible_text(self) -> str:
        """What a sighted reader sees (no visually-hidden text)."""
        return " ".join(self.text(lambda n: "visually-hidden" in n.classes).split())

    @property
    def spoken_text(self) -> str:
        """What a screen reader reads (no aria-hidden text)."""
        return " ".join(self.text(lambda n: n.attrs.get("aria-hidden") == "true").split())

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if ((tag is None or child.tag == tag) and (cls is None or cls in child.classes)
                        and all(child.attrs.get(k.replace("_", "-")) == v
                                for k, v in attrs.items())):
                    found.append(child)
                found.extend(child.find_all(tag, cls, **attrs))
        return found

    def find(self, tag: str | None = None, cls: str | None = None, **attrs) -> Node:
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag} class={cls} {attrs}>"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def number(text: str) -> float | None:
    """'3,5 ▲' -> 3.5; '–' -> None."""
    token = text.split()[0] if text.split() else "–"
    if token == "–":
        return None
    return float(token.replace(",", "."))


def score_table(html: str) -> dict:
    """The scores table of the results page: {"sections": [title, ...], "rows": {label: {...}},
    "group_mean": [number, ...]}; a row holds its cells (visible text, spoken text, mark)."""
    table = parse_html(html).find("table", "scores")
    sections = [th.find("span", "title").text() for th in table.find("thead").find_all("th")[1:]]
    rows = {}
    for tr in table.find("tbody").find_all("tr"):
        th = tr.find("th")
        label = th.children[0].strip()
        rows[label] = {
            "header_visible": th.visible_text, "header_spoken": th.spoken_text,
            "cells": [{"visible": td.visible_text, "spoken": td.spoken_text,
                       "number": number(td.visible_text), "mark": td.attrs.get("data-mark"),
                       "classes": td.classes}
                      for td in tr.find_all("td")],
        }
    group = table.find("tfoot").find("tr", "group-mean")
    return {"sections": sections, "rows": rows,
            "group_mean": [number(td.visible_text) for td in group.find_all("td")],
            "group_mean_text": [td.visible_text for td in group.find_all("td")]}
