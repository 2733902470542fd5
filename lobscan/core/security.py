"""Security headers on every response: scripts and styles only from our own origin."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def csp_nonce() -> str:
    """A fresh nonce per request, for the one kind of inline style we allow: the <style> that
    pygal puts inside a chart's SVG."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_app(app: Flask) -> None:
    app.add_template_global(csp_nonce)

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # Links carry tokens: never send them to another site.
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["PREFERRED_URL_SCHEME"] == "https":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Pages hold personal data: browsers and proxies must not keep them.
            headers.setdefault("Cache-Control", "no-store")
        vary = headers.get("Vary", "")
        if "HX-Request" not in vary:
            headers["Vary"] = ", ".join(v for v in (vary, "HX-Request") if v)
        return response
