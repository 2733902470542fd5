"""The results page of a scan, its live refresh, and its exports."""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, request, url_for

from lobscan.core.rendering import is_htmx, render
from lobscan.core.security import csp_nonce
from lobscan.core.tenancy import school_required
from lobscan.results import aggregation, charts, exports
from lobscan.scans.forms import ROLE_LABELS
from lobscan.scans.models import Scan
from lobscan.scans.views import scan_for_viewer

bp = Blueprint("results", __name__)


def _options(results: aggregation.Results) -> dict:
    """Chart options from the query: mode=respondents|roles; with `filtered`, only the
    respondents whose ids are given as `show` are drawn."""
    mode = "roles" if request.args.get("mode") == "roles" else "respondents"
    hidden: frozenset[int] = frozenset()
    if request.args.get("filtered"):
        shown = {int(v) for v in request.args.getlist("show") if v.isdigit() and len(v) < 10}
        hidden = frozenset(r.id for r in results.respondents if r.id not in shown)
    return {"mode": mode, "hidden": hidden}


def _query(options: dict, results: aggregation.Results) -> dict:
    query: dict = {"mode": options["mode"]}
    if options["hidden"]:
        query["filtered"] = 1
        query["show"] = [r.id for r in results.respondents if r.id not in options["hidden"]]
    return query


def _filename(scan: Scan, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", scan.name).strip("-").lower() or "scan"
    return f"lobscan-{scan.id}-{stem}.{extension}"


def _download(body, mimetype: str, scan: Scan, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(scan, extension)}"'
    return response


def _scan(scan_id: int) -> Scan:
    return scan_for_viewer(scan_id)


def _context(scan: Scan) -> dict:
    results = aggregation.aggregate(scan)
    options = _options(results)
    query = _query(options, results)
    version = aggregation.live_version(scan.id)
    return {
        "scan": scan,
        "results": results,
        "options": options,
        "chart": charts.radar_markup(results, nonce=csp_nonce(), **options),
        "starting": results.starting_points(),
        "role_labels_respondent": ROLE_LABELS,
        "live": scan.status() == "open",
        "query": query,
        "live_url": url_for("results.live", scan_id=scan.id, v=version, **query),
        # An htmx redraw also swaps the chart's download links (outside #results-body).
        "oob_downloads": is_htmx(),
    }


@bp.get("/scans/<int:scan_id>/results")
@school_required()
def page(scan_id: int):
    scan = _scan(scan_id)
    return render("results/page.html", "results/_body.html", **_context(scan))


@bp.get("/scans/<int:scan_id>/results/live")
@school_required()
def live(scan_id: int):
    """Polled every 5 s while the scan is open: 204 when nothing changed."""
    scan = _scan(scan_id)
    if request.args.get("v") == aggregation.live_version(scan.id):
        return Response(status=204)
    return render("results/page.html", "results/_body.html", **_context(scan))


@bp.get("/scans/<int:scan_id>/results.json")
@school_required()
def as_json(scan_id: int):
    scan = _scan(scan_id)
    body = json.dumps(aggregation.to_json(aggregation.aggregate(scan)), ensure_ascii=False)
    return Response(body, mimetype="application/json")


@bp.get("/scans/<int:scan_id>/results/answers.csv")
@school_required()
def answers_csv(scan_id: int):
    scan = _scan(scan_id)
    return _download(exports.answers_csv(aggregation.aggregate(scan, compare=False)),
                     "text/csv", scan, "antwoorden.csv")


@bp.get("/scans/<int:scan_id>/results/scores.csv")
@school_required()
def scores_csv(scan_id: int):
    scan = _scan(scan_id)
    return _download(exports.scores_csv(aggregation.aggregate(scan)), "text/csv", scan,
                     "scores.csv")


@bp.get("/scans/<int:scan_id>/results.xlsx")
@school_required()
def xlsx(scan_id: int):
    scan = _scan(scan_id)
    return _download(exports.xlsx(aggregation.aggregate(scan)),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     scan, "xlsx")


@bp.get("/scans/<int:scan_id>/results/web.svg")
@school_required()
def web_svg(scan_id: int):
    scan = _scan(scan_id)
    results = aggregation.aggregate(scan)
    svg = charts.radar(results, **_options(results))
    return _download(svg, "image/svg+xml", scan, "web.svg")


@bp.get("/scans/<int:scan_id>/results/web.png")
@school_required()
def web_png(scan_id: int):
    scan = _scan(scan_id)
    results = aggregation.aggregate(scan)
    return _download(charts.radar_png(results, **_options(results)), "image/png", scan, "web.png")
