"""Error pages in the layout, in Dutch. No traceback ever reaches a user."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from lobscan.core.rendering import is_htmx

MESSAGES = {
    400: (_l("Ongeldig verzoek"), _l("Dit verzoek kunnen we niet verwerken.")),
    403: (_l("Geen toegang"), _l("Je rol in deze school geeft geen toegang tot deze pagina.")),
    404: (_l("Niet gevonden"), _l("Deze pagina bestaat niet, of je hebt er geen toegang toe.")),
    405: (_l("Niet toegestaan"), _l("Deze actie kan zo niet worden uitgevoerd.")),
    410: (_l("Niet meer geldig"), _l("Deze link is niet meer geldig.")),
    413: (_l("Te groot"), _l("Wat je verstuurde is te groot.")),
    429: (
        _l("Te veel pogingen"),
        _l("Je hebt het te vaak geprobeerd. Wacht even en probeer het dan opnieuw."),
    ),
    500: (
        _l("Er ging iets mis"),
        _l("Er ging aan onze kant iets mis. Probeer het later opnieuw; je gegevens zijn veilig."),
    ),
}


def error_response(code: int, message: str | None = None):
    title, default = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    template = "errors/_message.html" if is_htmx() else "errors/error.html"
    return render_template(template, code=code, title=title, message=message or default), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return error_response(
            400,
            _l("Je sessie is verlopen of het formulier is niet compleet. "
               "Laad de pagina opnieuw en probeer het nog eens."),
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = error.code or 500
        if code < 400:
            return error
        # A message written for the user travels in `description` when a view sets one.
        described = getattr(error, "lobscan_message", None)
        return error_response(code, described)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        app.logger.exception("Onverwachte fout")
        return error_response(InternalServerError.code)
