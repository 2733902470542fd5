"""lobscan: the LOB-scan and the improvement cycle that follows it."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from lobscan import config as config_module
from lobscan.config import ROOT
from lobscan.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(config_module.load())
    if overrides:
        app.config.update(overrides)
    # Flask's defaults hold MAX_CONTENT_LENGTH = None (no limit), so setdefault would not apply.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024

    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)

    _init_extensions(app)
    _register_blueprints(app)

    from lobscan.core import errors, security

    errors.init_app(app)
    security.init_app(app)

    from lobscan.cli import cli

    app.cli.add_command(cli)
    return app


def _locale() -> str:
    # Dutch is the language of the product; English comes later as a second catalogue.
    return "nl"


def _init_extensions(app: Flask) -> None:
    import lobscan.core.db  # noqa: F401  (SQLite pragmas)
    from lobscan import models  # noqa: F401  (every model known to Alembic)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    from lobscan.accounts.services import user_by_session_token
    from lobscan.core.tenancy import resolve_school

    login_manager.user_loader(user_by_session_token)
    app.before_request(resolve_school)

    from lobscan.accounts.roles import ROLE_LABELS, can
    from lobscan.core.formatting import register_filters

    register_filters(app)
    from lobscan.core.urls import public_url

    app.add_template_global(public_url)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        membership = g.get("membership")
        return {
            "current_school": g.get("school"),
            "current_role": membership.role if membership else None,
            "can": lambda permission: can(membership.role if membership else None, permission),
            "role_labels": ROLE_LABELS,
            "is_htmx": bool(getattr(request, "htmx", False)),
        }


def _register_blueprints(app: Flask) -> None:
    from lobscan.accounts.views import bp as accounts_bp
    from lobscan.core.views import bp as core_bp
    from lobscan.questionnaires.views import bp as questionnaires_bp
    from lobscan.results.views import bp as results_bp
    from lobscan.scans.views import bp as scans_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(scans_bp)
    app.register_blueprint(questionnaires_bp)
    app.register_blueprint(results_bp)
