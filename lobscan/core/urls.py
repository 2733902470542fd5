"""Links that leave the page (e-mails, invite links, QR codes) use the public address."""

from __future__ import annotations

from flask import current_app, url_for


def public_url(endpoint: str, **values) -> str:
    """BASE_URL + path when BASE_URL is configured, so a forged Host header can never end up in
    a link we send or show; otherwise the address of the current request (local use)."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
