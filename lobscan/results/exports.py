"""Exports of the results: CSV, XLSX and JSON, all from the one aggregation."""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _

from lobscan.results.aggregation import Results
from lobscan.scans.services import answers_csv_rows

ANSWER_HEADER = ["respondent_id", "respondent_label", "role", "section_key", "statement_id",
                 "value"]


def _score(value: float | None) -> float | str:
    return "" if value is None else round(value, 4)


def score_rows(results: Results) -> list[list]:
    """Section scores: a row per respondent, then the group average (and the previous scan)."""
    keys = results.section_keys
    rows: list[list] = [["respondent_id", "respondent_label", "role", "complete", *keys]]
    for r in results.respondents:
        rows.append([r.id, r.label, r.role, "ja" if r.complete else "nee",
                     *(_score(r.scores[k]) for k in keys)])
    rows.append(["", _("Groepsgemiddelde"), "", "",
                 *(_score(s.group_mean) for s in results.sections)])
    if results.previous is not None:
        rows.append(["", _("Vorige scan: %(name)s", name=results.previous.name), "", "",
                     *(_score(s.previous_mean) for s in results.sections)])
    return rows


def spread_rows(results: Results) -> list[list]:
    scale = [str(v) for v in results.questionnaire.scale]
    rows: list[list] = [["section_key", "statement_id", "statement", "mean", "sd", *scale,
                         "weet_ik_niet"]]
    for s in results.sections:
        for st in s.statements:
            rows.append([s.key, st.id, st.text, _score(st.mean), _score(st.sd),
                         *(st.counts[k] for k in scale), st.counts["unknown"]])
    return rows


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _not_a_formula(value):
    """A spreadsheet must not run a respondent's name as a formula (CSV injection): a text
    cell that starts like one gets a leading apostrophe. Numbers are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(rows) -> str:
    """CSV for people, who open it in a spreadsheet (`flask lobscan answers` stays raw)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([_not_a_formula(v) for v in row] for row in rows)
    return buffer.getvalue()


def answers_csv(results: Results) -> str:
    return to_csv([ANSWER_HEADER, *answers_csv_rows(results.scan.school_id, results.scan.id)])


def scores_csv(results: Results) -> str:
    return to_csv(score_rows(results))


def xlsx(results: Results) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheets = [
        (_("Scores"), score_rows(results)),
        (_("Spreiding"), spread_rows(results)),
        (_("Antwoorden"), [ANSWER_HEADER, *answers_csv_rows(results.scan.school_id,
                                                            results.scan.id)]),
        (_("Onderdelen"), [["section_key", "title"],
                           *([s.key, s.title] for s in results.sections)]),
    ]
    first = True
    for title, rows in sheets:
        sheet = workbook.active if first else workbook.create_sheet()
        first = False
        sheet.title = title
        for row in rows:
            sheet.append(row)
            if any(isinstance(v, str) and v.startswith("=") for v in row):
                # A respondent's name such as "=HYPERLINK(...)" is text, never a formula.
                for cell in sheet[sheet.max_row]:
                    if cell.data_type == "f":
                        cell.data_type = "s"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
