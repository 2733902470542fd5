"""The numbers of a scan, exactly as DESIGN.md section 4 defines them, computed in SQL.

One function, aggregate(), feeds the page, every export and the JSON. It issues the same
handful of GROUP BY queries whether a scan has 5 or 5,000 respondents; Python only walks the
aggregated rows (respondents x sections, statements), never the answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import Float, cast, func, select

from lobscan.extensions import db
from lobscan.questionnaires.models import Questionnaire, Section, Statement
from lobscan.scans.models import Answer, Respondent, Scan

# Spread (population SD) relative to the scale's range: below LOW is "weinig", from HIGH "veel".
# On a 1-5 scale: < 0.6 weinig, 0.6-1.0 gemiddeld, >= 1.0 veel.
SPREAD_LOW = 0.15
SPREAD_HIGH = 0.25
ROLE_MINIMUM_PSEUDONYMOUS = 3


@dataclass
class StatementResult:
    id: int
    key: str
    text: str
    mean: float | None
    sd: float | None
    counts: dict[str, int]  # "1".."5" and "unknown"


@dataclass
class SectionResult:
    key: str
    title: str
    explanation: str
    tips: list[str]
    links: list[dict]
    group_mean: float | None
    spread: float | None
    spread_label: str | None  # "weinig", "gemiddeld", "veel"
    statements: list[StatementResult]
    previous_mean: float | None = None

    @property
    def difference(self) -> float | None:
        if self.group_mean is None or self.previous_mean is None:
            return None
        return self.group_mean - self.previous_mean


@dataclass
class RespondentResult:
    id: int
    number: int
    label: str
    role: str
    complete: bool
    scores: dict[str, float | None]
    marks: dict[str, str | None]


@dataclass
class Results:
    scan: Scan
    questionnaire: Questionnaire
    sections: list[SectionResult]
    respondents: list[RespondentResult]
    previous: Scan | None = None
    roles: dict[str, dict[str, float | None]] = field(default_factory=dict)

    @property
    def section_keys(self) -> list[str]:
        return [s.key for s in self.sections]

    def starting_points(self, n: int = 3) -> dict[str, list[SectionResult]]:
        """The lowest-scoring sections and those with the most spread: where to begin talking."""
        scored = [s for s in self.sections if s.group_mean is not None]
        spread = [s for s in self.sections if s.spread is not None]
        return {
            "lowest": sorted(scored, key=lambda s: s.group_mean)[:n],
            "most_spread": sorted(spread, key=lambda s: -s.spread)[:n],
        }


def spread_label(sd: float | None, scale_min: int, scale_max: int) -> str | None:
    if sd is None:
        return None
    relative = sd / max(1, scale_max - scale_min)
    if relative < SPREAD_LOW:
        return "weinig"
    if relative < SPREAD_HIGH:
        return "gemiddeld"
    return "veel"


def _mark(score: float | None, mean: float | None) -> str | None:
    if score is None or mean is None:
        return None
    if score > mean:
        return "above"
    if score < mean:
        return "below"
    return "equal"


def _exact_mark(score: tuple[int, int] | None, mean: tuple[int, int] | None) -> str | None:
    """Like _mark, on exact fractions (numerator, denominator): a respondent who ties with the
    group average is "equal" even where adding up floats would drift by a last bit."""
    if score is None or mean is None:
        return None
    return _mark(score[0] * mean[1], mean[0] * score[1])


def _exact_mean(parts: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The mean of fractions (sum, count), as one exact fraction (numerator, denominator)."""
    if not parts:
        return None
    common = math.lcm(*(count for _, count in parts))
    return sum(total * (common // count) for total, count in parts), common * len(parts)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def section_sums(scan_id: int) -> dict[int, dict[int, tuple[int, int]]]:
    """{respondent_id: {section_id: (sum, count) of that respondent's answered statements}}:
    the exact section score, sum / count."""
    rows = db.session.execute(
        select(Answer.respondent_id, Statement.section_id, func.sum(Answer.value),
               func.count(Answer.value))
        .join(Statement, Statement.id == Answer.statement_id)
        .where(Answer.scan_id == scan_id, Answer.value.is_not(None))
        .group_by(Answer.respondent_id, Statement.section_id)
    ).all()
    result: dict[int, dict[int, tuple[int, int]]] = {}
    for respondent_id, section_id, total, count in rows:
        result.setdefault(respondent_id, {})[section_id] = (int(total), int(count))
    return result


def section_means(scan_id: int) -> dict[int, dict[int, float]]:
    """{respondent_id: {section_id: mean of that respondent's answered statements}}."""
    return {respondent_id: {section_id: total / count
                            for section_id, (total, count) in sections.items()}
            for respondent_id, sections in section_sums(scan_id).items()}


def _group_means_by_key(scan: Scan) -> dict[str, float | None]:
    """Group mean per section key of another scan (for the comparison)."""
    sections = {s.id: s.key for s in db.session.scalars(
        select(Section).where(Section.questionnaire_id == scan.questionnaire_id))}
    per_section: dict[str, list[float]] = {}
    for scores in section_means(scan.id).values():
        for section_id, mean in scores.items():
            per_section.setdefault(sections[section_id], []).append(mean)
    return {key: _mean(values) for key, values in per_section.items()}


def previous_scan(scan: Scan) -> Scan | None:
    """The team's latest earlier scan on the same questionnaire (same lineage) with answers."""
    lineage = select(Questionnaire.lineage).where(Questionnaire.id == scan.questionnaire_id)
    return db.session.scalar(
        select(Scan)
        .join(Questionnaire, Questionnaire.id == Scan.questionnaire_id)
        .where(Scan.school_id == scan.school_id, Scan.team_id == scan.team_id,
               Scan.id != scan.id, Questionnaire.lineage == lineage.scalar_subquery(),
               (Scan.created_at < scan.created_at)
               | ((Scan.created_at == scan.created_at) & (Scan.id < scan.id)),
               select(Answer.id).where(Answer.scan_id == Scan.id).exists())
        .order_by(Scan.created_at.desc(), Scan.id.desc())
        .limit(1)
    )


def aggregate(scan: Scan, compare: bool = True) -> Results:
    questionnaire = scan.questionnaire
    sections = list(db.session.scalars(
        select(Section).where(Section.questionnaire_id == questionnaire.id)
        .order_by(Section.position)))
    statements = list(db.session.scalars(
        select(Statement).where(Statement.questionnaire_id == questionnaire.id)
        .order_by(Statement.position)))
    by_section: dict[int, list[Statement]] = {}
    for statement in statements:
        by_section.setdefault(statement.section_id, []).append(statement)

    # Respondents who answered at least one statement ("weet ik niet" counts as an answer).
    respondents = list(db.session.scalars(
        select(Respondent)
        .where(Respondent.scan_id == scan.id,
               select(Answer.id).where(Answer.respondent_id == Respondent.id).exists())
        .order_by(Respondent.number)))
    sums = section_sums(scan.id)
    means = {rid: {sid: total / count for sid, (total, count) in sections.items()}
             for rid, sections in sums.items()}
    exact_means: dict[str, tuple[int, int] | None] = {}

    stats = {
        statement_id: (n, mean, mean_sq)
        for statement_id, n, mean, mean_sq in db.session.execute(
            select(Answer.statement_id, func.count(Answer.value),
                   func.avg(cast(Answer.value, Float)),
                   func.avg(cast(Answer.value * Answer.value, Float)))
            .where(Answer.scan_id == scan.id)
            .group_by(Answer.statement_id))
    }
    distribution: dict[int, dict[str, int]] = {}
    for statement_id, value, count in db.session.execute(
        select(Answer.statement_id, Answer.value, func.count())
        .where(Answer.scan_id == scan.id)
        .group_by(Answer.statement_id, Answer.value)
    ):
        key = "unknown" if value is None else str(value)
        distribution.setdefault(statement_id, {})[key] = count

    scale_keys = [str(v) for v in questionnaire.scale]
    section_results: list[SectionResult] = []
    for section in sections:
        statement_results = []
        for statement in by_section.get(section.id, []):
            n, mean, mean_sq = stats.get(statement.id, (0, None, None))
            sd = None
            if n:
                mean, mean_sq = float(mean), float(mean_sq)
                sd = math.sqrt(max(0.0, mean_sq - mean * mean))  # population SD (ddof = 0)
            else:
                mean = None
            counts = {k: distribution.get(statement.id, {}).get(k, 0) for k in scale_keys}
            counts["unknown"] = distribution.get(statement.id, {}).get("unknown", 0)
            statement_results.append(StatementResult(statement.id, statement.key, statement.text,
                                                     mean, sd, counts))
        # Each respondent weighs the same; kept exact, so that a tie is a tie (see _exact_mark).
        exact = _exact_mean([sums[r.id][section.id] for r in respondents
                             if section.id in sums.get(r.id, {})])
        exact_means[section.key] = exact
        sds = [s.sd for s in statement_results if s.sd is not None]
        spread = _mean(sds)
        section_results.append(SectionResult(
            key=section.key, title=section.title, explanation=section.explanation,
            tips=list(section.tips or []), links=list(section.links or []),
            group_mean=None if exact is None else exact[0] / exact[1], spread=spread,
            spread_label=spread_label(spread, questionnaire.scale_min, questionnaire.scale_max),
            statements=statement_results,
        ))

    respondent_results = []
    for r in respondents:
        scores = {s.key: means.get(r.id, {}).get(sec.id)
                  for s, sec in zip(section_results, sections, strict=True)}
        marks = {s.key: _exact_mark(sums.get(r.id, {}).get(sec.id), exact_means[s.key])
                 for s, sec in zip(section_results, sections, strict=True)}
        label = r.pseudonym if scan.pseudonymous or not r.display_name else r.display_name
        respondent_results.append(RespondentResult(
            id=r.id, number=r.number, label=label, role=r.role,
            complete=r.completed_at is not None, scores=scores, marks=marks))

    results = Results(scan=scan, questionnaire=questionnaire, sections=section_results,
                      respondents=respondent_results)
    results.roles = role_means(results)
    if compare:
        results.previous = previous_scan(scan)
        if results.previous is not None:
            previous = _group_means_by_key(results.previous)
            for section in results.sections:
                section.previous_mean = previous.get(section.key)
    return results


def role_means(results: Results) -> dict[str, dict[str, float | None]]:
    """Per role, the mean of its respondents' section scores. In a pseudonymous scan a role
    with fewer than three respondents gets no line: it would point at a person."""
    by_role: dict[str, list[RespondentResult]] = {}
    for r in results.respondents:
        by_role.setdefault(r.role, []).append(r)
    roles = {}
    for role, members in sorted(by_role.items()):
        if results.scan.pseudonymous and len(members) < ROLE_MINIMUM_PSEUDONYMOUS:
            continue
        roles[role] = {
            key: _mean([m.scores[key] for m in members if m.scores[key] is not None])
            for key in results.section_keys
        }
    return roles


def live_version(scan_id: int) -> str:
    """Changes whenever the results would: polled by the page, which gets 204 when equal."""
    count, last, completed = db.session.execute(
        select(func.count(Answer.id), func.max(Answer.updated_at),
               select(func.count(Respondent.completed_at))
               .where(Respondent.scan_id == scan_id).scalar_subquery())
        .where(Answer.scan_id == scan_id)
    ).one()
    stamp = last.isoformat() if hasattr(last, "isoformat") else str(last)
    return f"{count}-{stamp}-{completed}"


def to_json(results: Results) -> dict:
    """The documented JSON (also `flask lobscan results SCAN_ID`)."""
    q = results.questionnaire
    return {
        "scan": {"id": results.scan.id, "name": results.scan.name,
                 "scale_min": q.scale_min, "scale_max": q.scale_max},
        "sections": [
            {"key": s.key, "title": s.title, "group_mean": s.group_mean, "spread": s.spread,
             "spread_label": s.spread_label,
             "statements": [{"id": st.id, "text": st.text, "mean": st.mean, "sd": st.sd,
                             "counts": st.counts} for st in s.statements]}
            for s in results.sections
        ],
        "respondents": [
            {"id": r.id, "label": r.label, "role": r.role, "complete": r.complete,
             "scores": r.scores, "marks": r.marks}
            for r in results.respondents
        ],
    }
