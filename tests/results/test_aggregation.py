"""The aggregation (DESIGN.md section 4) against cases computed by hand.

Every expected number below is a literal worked out on paper, with the working in a comment.
The built-in LOB-scan: 11 sections of 6 statements, scale 1-5; None is "weet ik niet".
"""

from __future__ import annotations

import math

import pytest

from lobscan.extensions import db
from lobscan.results.aggregation import spread_label
from tests.results.conftest import Person, section

approx = pytest.approx


def _by_label(results) -> dict:
    return {r.label: r for r in results.respondents}


# --- "weet ik niet", empty sections, silent respondents, equal weights, ties ----------------


@pytest.fixture
def basic(school, make_scan, add_people) -> dict:
    """Five respondents on a named scan:

    Ans   (docent)  S0: 4, 5            S1: 2     S2: weet ik niet   finished
    Bram  (mentor)  S0: 1, weet ik niet S1: 4
    Cor   (decaan)  S0: -, -, weet ik niet (only "weet ik niet" in the whole scan)
    Dirk  (docent)  no answers at all
    Eva   (anders)                      S1: 3
    """
    scan = make_scan(*school)
    ids = add_people(scan, [
        Person("Ans", "docent", {**section(0, [4, 5]), **section(1, [2]), (2, 0): None},
               finish=True),
        Person("Bram", "mentor", {**section(0, [1, None]), **section(1, [4])}),
        Person("Cor", "decaan", {(0, 2): None}),
        Person("Dirk", "docent", {}),
        Person("Eva", "anders", section(1, [3])),
    ])
    return {**scan, "respondents": dict(zip(["Ans", "Bram", "Cor", "Dirk", "Eva"], ids,
                                            strict=True))}


def test_a_respondent_without_answers_is_left_out_and_weet_ik_niet_counts_as_answered(
        basic, results_of):
    results = results_of(basic)
    # Dirk gave no answer at all; Cor only "weet ik niet", which still makes him a respondent.
    assert [r.label for r in results.respondents] == ["Ans", "Bram", "Cor", "Eva"]
    assert [r.number for r in results.respondents] == [1, 2, 3, 5]
    cor = _by_label(results)["Cor"]
    assert cor.id == basic["respondents"]["Cor"]
    assert set(cor.scores.values()) == {None}
    assert set(cor.marks.values()) == {None}


def test_section_scores_leave_weet_ik_niet_out(basic, results_of):
    people = _by_label(results_of(basic))
    keys = results_of(basic).section_keys
    s0, s1, s2 = keys[:3]
    # Ans S0: (4 + 5) / 2 = 4.5; S1: 2 / 1 = 2.0; S2 only "weet ik niet": no score.
    assert people["Ans"].scores[s0] == 4.5
    assert people["Ans"].scores[s1] == 2.0
    assert people["Ans"].scores[s2] is None
    # Bram S0: 1 and "weet ik niet" -> 1 / 1 = 1.0 (not (1 + 0) / 2 = 0.5); S1: 4.0.
    assert people["Bram"].scores[s0] == 1.0
    assert people["Bram"].scores[s1] == 4.0
    # Eva answered S1 only: 3.0; no score in S0.
    assert people["Eva"].scores[s1] == 3.0
    assert people["Eva"].scores[s0] is None
    # Nobody answered sections 4..11: no score for anybody.
    for person in people.values():
        assert all(person.scores[k] is None for k in keys[3:])


def test_group_mean_weighs_every_respondent_the_same(basic, results_of):
    results = results_of(basic)
    s0, s1, s2 = results.sections[:3]
    # S0: respondents' scores 4.5 (Ans, 2 answers) and 1.0 (Bram, 1 answer):
    # (4.5 + 1.0) / 2 = 2.75. The mean of all answers would be (4 + 5 + 1) / 3 = 3.33.
    assert s0.group_mean == approx(2.75)
    assert s0.group_mean != approx((4 + 5 + 1) / 3)
    # S1: (2 + 4 + 3) / 3 = 3.0
    assert s1.group_mean == approx(3.0)
    # S2: only "weet ik niet" -> no group mean; S4..S11 nobody answered -> none either.
    assert s2.group_mean is None
    assert all(s.group_mean is None for s in results.sections[3:])


def test_marks_above_below_and_equal_for_a_tie(basic, results_of):
    results = results_of(basic)
    people = _by_label(results)
    s0, s1, s2 = results.section_keys[:3]
    # S0 mean 2.75: Ans 4.5 above, Bram 1.0 below; Cor and Eva have no score there.
    assert people["Ans"].marks[s0] == "above"
    assert people["Bram"].marks[s0] == "below"
    assert people["Eva"].marks[s0] is None
    # S1 mean 3.0: Ans 2 below, Bram 4 above, Eva 3 ties with the mean: "equal" (neutral).
    assert people["Ans"].marks[s1] == "below"
    assert people["Bram"].marks[s1] == "above"
    assert people["Eva"].marks[s1] == "equal"
    # No group mean in S2: no mark for anybody.
    assert all(p.marks[s2] is None for p in people.values())


def test_statement_means_sds_and_counts(basic, results_of):
    s0, s1, s2 = results_of(basic).sections[:3]
    st = s0.statements
    # S0 statement 1: Ans 4, Bram 1: mean 2.5; population SD sqrt((1.5² + 1.5²) / 2) = 1.5.
    assert (st[0].mean, st[0].sd) == (approx(2.5), approx(1.5))
    assert st[0].counts == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 0, "unknown": 0}
    # S0 statement 2: Ans 5, Bram "weet ik niet": mean 5.0, SD 0.0; unknown counted.
    assert (st[1].mean, st[1].sd) == (approx(5.0), approx(0.0, abs=1e-9))
    assert st[1].counts == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1, "unknown": 1}
    # S0 statement 3: only Cor's "weet ik niet": no mean, no SD, one unknown.
    assert (st[2].mean, st[2].sd) == (None, None)
    assert st[2].counts == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "unknown": 1}
    # S0 statements 4-6: no answers.
    assert all(s.mean is None and s.sd is None and set(s.counts.values()) == {0}
               for s in st[3:])
    # Spread S0: mean over the statements that have an SD: (1.5 + 0.0) / 2 = 0.75 -> gemiddeld.
    assert s0.spread == approx(0.75)
    assert s0.spread_label == "gemiddeld"
    # S1 statement 1: 2, 4, 3: mean 3; SD sqrt((1 + 1 + 0) / 3) = sqrt(2/3) = 0.8165.
    assert s1.statements[0].mean == approx(3.0)
    assert s1.statements[0].sd == approx(math.sqrt(2 / 3))
    assert s1.spread == approx(0.8165, abs=1e-4)
    # S2: only "weet ik niet": no spread and no label, but the distribution shows it.
    assert (s2.spread, s2.spread_label) == (None, None)
    assert s2.statements[0].counts["unknown"] == 1


def test_unfinished_respondents_count_and_are_marked(basic, results_of):
    people = _by_label(results_of(basic))
    # Only Ans finished; Bram, Cor and Eva are in the numbers all the same.
    assert {label: p.complete for label, p in people.items()} == {
        "Ans": True, "Bram": False, "Cor": False, "Eva": False}


def test_a_tie_is_exact_not_a_floating_point_accident(school, make_scan, add_people,
                                                      results_of):
    """Equal is neutral (DESIGN.md 4) also where adding floats up would drift by a last bit."""
    scan = make_scan(*school)
    add_people(scan, [
        # S0: ten respondents answer 1, 1, 2: each (1 + 1 + 2) / 3 = 4/3, the mean 4/3 too.
        # In floats, (10 x 1.3333333333333333) / 10 = 1.3333333333333335: not equal.
        *[Person(f"T{i}", answers=section(0, [1, 1, 2])) for i in range(10)],
        # S1: 14/5 = 2.8 (3, 3, 3, 3, 2) and 5, 2, 2, 4, 1: the mean (2.8 + 14) / 6 = 16.8 / 6
        # = 2.8 exactly - but in floats the sum divided by 6 is 2.8000000000000003.
        Person("U1", answers=section(1, [3, 3, 3, 3, 2])),
        Person("U2", answers=section(1, [5])), Person("U3", answers=section(1, [2])),
        Person("U4", answers=section(1, [2])), Person("U5", answers=section(1, [4])),
        Person("U6", answers=section(1, [1])),
    ])
    results = results_of(scan)
    s0, s1 = results.sections[:2]
    people = _by_label(results)
    assert s0.group_mean == approx(4 / 3)
    assert {people[f"T{i}"].marks[s0.key] for i in range(10)} == {"equal"}
    assert s1.group_mean == approx(2.8)
    assert [people[f"U{i}"].marks[s1.key] for i in range(1, 7)] == [
        "equal", "above", "below", "below", "above", "below"]


# --- unrounded comparison --------------------------------------------------------------------


def test_marks_compare_unrounded_values(school, make_scan, add_people, results_of):
    """Scores that round to the same "3,0" as the group mean still get a mark."""
    scan = make_scan(*school)
    add_people(scan, [
        Person("A", answers={**section(0, [3]), **section(1, [3])}),
        Person("B", answers={**section(0, [3]), **section(1, [3])}),
        Person("C", answers={**section(0, [3]), **section(1, [3])}),
        Person("D", answers={**section(0, [3, 3, 3, 3, 3, 4]), **section(1, [3, 3, 3, 3, 3, 2])}),
    ])
    results = results_of(scan)
    s0, s1 = results.sections[:2]
    people = _by_label(results)
    # S0: D = 19/6 = 3.1667; mean (3 + 3 + 3 + 19/6) / 4 = 73/24 = 3.0417, shown as "3,0".
    assert s0.group_mean == approx(73 / 24)
    assert round(s0.group_mean, 1) == 3.0
    # A, B and C score 3.0 - also "3,0" - but are below the unrounded 3.0417.
    assert [people[x].marks[s0.key] for x in "ABCD"] == ["below", "below", "below", "above"]
    # S1: D = 17/6 = 2.8333; mean (9 + 17/6) / 4 = 71/24 = 2.9583, shown as "3,0":
    # A, B and C (3.0, shown "3,0") are above it.
    assert s1.group_mean == approx(71 / 24)
    assert round(s1.group_mean, 1) == 3.0
    assert [people[x].marks[s1.key] for x in "ABCD"] == ["above", "above", "above", "below"]


# --- spread ---------------------------------------------------------------------------------


def test_spread_is_the_mean_of_population_sds_with_a_label(school, make_scan, add_people,
                                                           results_of):
    scan = make_scan(*school)
    add_people(scan, [
        # statement:      S0.1 S0.2   S1.1 S1.2   S2.1 S2.2
        Person("P", answers={**section(0, [3, 2]), **section(1, [2, 2]), **section(2, [1, 1])}),
        Person("Q", answers={**section(0, [3, 3]), **section(1, [4, 3]), **section(2, [5, 3])}),
        Person("R", answers={**section(0, [None])}),
    ])
    s0, s1, s2 = results_of(scan).sections[:3]
    # S0.1: 3, 3 (R's "weet ik niet" left out, not a 0): SD 0.  S0.2: 2, 3: SD 0.5.
    # Spread (0 + 0.5) / 2 = 0.25; 0.25 / (5 - 1) = 0.0625 < 0.15 -> weinig.
    assert [s.sd for s in s0.statements[:2]] == [approx(0.0, abs=1e-9), approx(0.5)]
    assert s0.statements[0].counts["unknown"] == 1
    assert (s0.spread, s0.spread_label) == (approx(0.25), "weinig")
    # S1.1: 2, 4: SD 1.0 (ddof=1 would give 1.414).  S1.2: 2, 3: SD 0.5.
    # Spread 0.75; 0.75 / 4 = 0.1875 -> gemiddeld.
    assert [s.sd for s in s1.statements[:2]] == [approx(1.0), approx(0.5)]
    assert (s1.spread, s1.spread_label) == (approx(0.75), "gemiddeld")
    # S2.1: 1, 5: SD 2.0 (ddof=1: 2.83).  S2.2: 1, 3: SD 1.0.  Spread 1.5; 1.5 / 4 = 0.375 -> veel.
    assert [s.sd for s in s2.statements[:2]] == [approx(2.0), approx(1.0)]
    assert (s2.spread, s2.spread_label) == (approx(1.5), "veel")


@pytest.mark.parametrize(("sd", "label"), [
    (None, None), (0.0, "weinig"), (0.59, "weinig"), (0.6, "gemiddeld"), (0.99, "gemiddeld"),
    (1.0, "veel"), (2.0, "veel"),
])
def test_spread_label_thresholds_on_a_five_point_scale(sd, label):
    # On 1-5: below 0.6 weinig, from 0.6 gemiddeld, from 1.0 veel (15% and 25% of the range).
    assert spread_label(sd, 1, 5) == label


# --- pseudonymous scans and roles -----------------------------------------------------------


PEOPLE_WITH_ROLES = [
    # S0 scores: docenten 2, 4, 3 (mean 3.0); mentoren 5, 2 (mean 3.5); the decaan 1.
    Person("Ans", "docent", section(0, [2])),
    Person("Bram", "mentor", section(0, [5])),
    Person("Cor", "docent", {}),  # no answers: not a respondent, R3 stays unused
    Person("Dirk", "docent", section(0, [4])),
    Person("Eva", "mentor", section(0, [2])),
    Person("Fien", "docent", section(0, [3])),
    Person("Gert", "decaan", section(0, [1])),
]


def test_pseudonymous_labels_are_stable_by_start_order(school, make_scan, add_people,
                                                       results_of):
    scan = make_scan(*school, anonymity="pseudonymous")
    ids = add_people(scan, PEOPLE_WITH_ROLES)
    results = results_of(scan)
    # Numbered in the order they started; Cor (R3) gave no answer, the others keep their number.
    assert [(r.id, r.label) for r in results.respondents] == [
        (ids[0], "R1"), (ids[1], "R2"), (ids[3], "R4"), (ids[4], "R5"), (ids[5], "R6"),
        (ids[6], "R7")]
    # A new answer (or respondent) later on does not renumber anybody.
    add_people(scan, [Person("Hans", "docent", section(0, [5]))])
    again = results_of(scan)
    assert [r.label for r in again.respondents] == ["R1", "R2", "R4", "R5", "R6", "R7", "R8"]
    assert [r.id for r in again.respondents][:6] == [r.id for r in results.respondents]


def test_pseudonymous_scan_has_no_role_line_below_three_respondents(school, make_scan,
                                                                    add_people, results_of):
    scan = make_scan(*school, anonymity="pseudonymous")
    add_people(scan, PEOPLE_WITH_ROLES)
    roles = results_of(scan).roles
    # docent: Ans, Dirk, Fien (3, Cor does not count): (2 + 4 + 3) / 3 = 3.0.
    # mentor (2) and decaan (1) would point at people: no line.
    assert list(roles) == ["docent"]
    key = results_of(scan).section_keys[0]
    assert roles["docent"][key] == approx(3.0)


def test_named_scan_shows_every_role(school, make_scan, add_people, results_of):
    scan = make_scan(*school)
    add_people(scan, PEOPLE_WITH_ROLES)
    results = results_of(scan)
    key, other = results.section_keys[:2]
    assert sorted(results.roles) == ["decaan", "docent", "mentor"]
    # docent (2 + 4 + 3) / 3 = 3.0; mentor (5 + 2) / 2 = 3.5; decaan 1.0; nothing in S1.
    assert {role: v[key] for role, v in results.roles.items()} == {
        "decaan": approx(1.0), "docent": approx(3.0), "mentor": approx(3.5)}
    assert all(v[other] is None for v in results.roles.values())
    assert [r.label for r in results.respondents] == ["Ans", "Bram", "Dirk", "Eva", "Fien", "Gert"]


# --- comparison with the team's previous scan -----------------------------------------------


@pytest.fixture
def scan_on(app):
    """scan_on(school, questionnaire_id, team_id=None, name=...) -> scan dict."""
    from sqlalchemy import select

    from lobscan.accounts.models import Team
    from lobscan.scans import services

    def make(school: tuple[int, int], questionnaire_id: int, team_id: int | None = None,
             name: str = "Scan") -> dict:
        school_id, user_id = school
        with app.app_context():
            if team_id is None:
                team_id = db.session.scalar(
                    select(Team.id).where(Team.school_id == school_id).order_by(Team.id))
            scan = services.create_scan(
                school_id, user_id, team_id, name=name, questionnaire_id=questionnaire_id,
                cycle_id=None, anonymity="named", opens_at=None, closes_at=None, open_now=True)
            result = {"id": scan.id, "team_id": team_id}
            db.session.remove()
            return result

    return make


def test_comparison_with_the_teams_previous_scan(school, make_scan, add_people, results_of,
                                                 new_team):
    first = make_scan(*school, name="Najaar")
    # S0: 4 and 2 -> previous group mean 3.0; S2: 5 -> 5.0; nothing in S1.
    add_people(first, [Person("A", answers={**section(0, [4]), **section(2, [5])}),
                       Person("B", answers=section(0, [2]))])
    # Later, but no use: another team's scan with answers, and this team's scan without any.
    other_team = new_team(*school, "Team bovenbouw")
    elsewhere = make_scan(*school, team_id=other_team, name="Ander team")
    add_people(elsewhere, [Person("X", answers=section(0, [1]))])
    make_scan(*school, name="Leeg")

    current = make_scan(*school, name="Voorjaar")
    # S0: 5 -> 5.0 (difference +2.0); S1: 3 (no previous: no difference); S2: 4 (-1.0).
    add_people(current, [Person("C", answers={**section(0, [5]), **section(1, [3]),
                                              **section(2, [4])})])
    results = results_of(current)
    assert results.previous is not None and results.previous.id == first["id"]
    s0, s1, s2 = results.sections[:3]
    assert (s0.previous_mean, s0.difference) == (approx(3.0), approx(2.0))
    assert (s1.previous_mean, s1.difference) == (None, None)
    assert (s2.previous_mean, s2.difference) == (approx(5.0), approx(-1.0))

    # The earliest scan has nothing to compare with; the other team's scan does not look at
    # this team's scans.
    assert results_of(first).previous is None
    assert results_of(elsewhere).previous is None
    assert all(s.previous_mean is None for s in results_of(elsewhere).sections)


def test_no_comparison_when_the_previous_scan_has_no_answers(school, make_scan, add_people,
                                                             results_of, new_team):
    empty = make_scan(*school, name="Leeg")
    # Only "weet ik niet"s would still count as answers; a scan with a silent respondent not.
    add_people(empty, [Person("Stil", answers={})])
    other_team = new_team(*school, "Team bovenbouw")
    add_people(make_scan(*school, team_id=other_team, name="Ander team"),
               [Person("X", answers=section(0, [1]))])
    current = make_scan(*school, name="Nu")
    add_people(current, [Person("C", answers=section(0, [5]))])
    results = results_of(current)
    assert results.previous is None
    assert all(s.previous_mean is None and s.difference is None for s in results.sections)


def test_comparison_follows_the_questionnaire_lineage(app, school, add_people, results_of,
                                                      scan_on):
    from lobscan.questionnaires import services as questionnaires

    school_id, user_id = school
    with app.app_context():
        builtin = questionnaires.default_questionnaire().id
        own_v1 = questionnaires.copy_for_school(school_id, user_id, builtin, "Onze scan").id
        db.session.remove()
    first = scan_on(school, own_v1, name="Eigen versie 1")
    add_people(first, [Person("A", answers=section(0, [2]))])  # S0 group mean 2.0
    with app.app_context():
        # Version 1 is in use: the edit makes version 2 of the same lineage.
        own_v2 = questionnaires.update_section(
            school_id, user_id, own_v1, "visie-en-beleid", title="Visie", explanation="",
            tips="", links="").id
        db.session.remove()
    assert own_v2 != own_v1
    # A later scan of the same team on another lineage (the built-in questionnaire).
    builtin_scan = scan_on(school, builtin, name="Ingebouwd")
    add_people(builtin_scan, [Person("B", answers=section(0, [5]))])

    current = scan_on(school, own_v2, name="Eigen versie 2")
    add_people(current, [Person("C", answers=section(0, [3]))])
    results = results_of(current)
    # Same lineage, other version: compared by section key. 3.0 - 2.0 = +1.0.
    assert results.previous.id == first["id"]
    assert results.sections[0].key == "visie-en-beleid"
    assert (results.sections[0].previous_mean, results.sections[0].difference) == (
        approx(2.0), approx(1.0))
    # The built-in scan's lineage has no earlier scan.
    assert results_of(builtin_scan).previous is None
