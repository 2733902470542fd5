"""One helper renders a whole page, or only its partial when htmx asks for it."""

from __future__ import annotations

from flask import Response, redirect, render_template, request


def is_htmx() -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, partial: str | None = None, /, status: int = 200,
           **context) -> tuple[str, int]:
    """Render `page`, or `partial` for an htmx request. The page includes the partial itself,
    so a reload or a plain link shows the same state. `page` and `partial` are positional-only,
    so a template variable may be called `page` too."""
    if partial and is_htmx():
        html = render_template(partial, **context)
        # Messages flashed while handling this request travel along out of band.
        html += render_template("_flashes.html", oob=True)
        return html, status
    return render_template(page, **context), status


def redirect_to(url: str) -> Response:
    """Redirect a plain request, or tell htmx to load the URL as a full page."""
    if is_htmx():
        response = Response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)
