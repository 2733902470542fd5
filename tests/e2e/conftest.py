"""Real-browser tests: Playwright drives Debian's Chromium against the app in a live server.

`playwright install` is not used: the browser is the system Chromium (/usr/bin/chromium, or the
path in LOBSCAN_CHROMIUM). Without it these tests are skipped, unless LOBSCAN_E2E=required, as
in CI, where a missing browser fails every test loudly instead.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

HERE = Path(__file__).resolve().parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERIOUS = {"serious", "critical"}


def chromium_path() -> str | None:
    """The Chromium executable to use, or None when it is not there."""
    wanted = os.environ.get("LOBSCAN_CHROMIUM", "").strip() or DEFAULT_CHROMIUM
    found = shutil.which(wanted)
    return found if found and os.access(found, os.X_OK) else None


def e2e_required() -> bool:
    return os.environ.get("LOBSCAN_E2E", "").strip().lower() == "required"


def _missing_message() -> str:
    wanted = os.environ.get("LOBSCAN_CHROMIUM", "").strip() or DEFAULT_CHROMIUM
    return (f"Chromium not found at {wanted!r}: install it (apt-get install chromium) or set "
            f"LOBSCAN_CHROMIUM to its path")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = chromium_path() is None
    for item in items:
        if HERE not in item.path.parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if missing and not e2e_required():
            item.add_marker(pytest.mark.skip(reason=_missing_message()))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's launch options (--headed, --slowmo ...) plus the system Chromium."""
    executable = chromium_path()
    if executable is None:
        message = _missing_message()
        if e2e_required():
            pytest.fail(f"LOBSCAN_E2E=required, but {message}", pytrace=False)
        pytest.skip(message)
    return {
        "headless": True,
        **browser_type_launch_args,
        "executable_path": executable,
        "args": LAUNCH_ARGS,
    }


def _buffered(wsgi_app):
    """Read each response completely before the server writes it.

    Werkzeug's development server drains the socket before it closes the response; when the
    browser drops a connection (a favicon request cut off by the next page.goto or by closing a
    context), that read raises and the static file stays open: a ResourceWarning, which
    filterwarnings=error turns into a random failure of whichever test runs at that moment.
    """

    def app(environ, start_response):
        iterable = wsgi_app(environ, start_response)
        try:
            body = b"".join(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        return [body]

    return app


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """Like the shared live_server (same app, same database), with responses buffered."""
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """Relative URLs in page.goto() and new contexts go to the app served by `live_server`."""
    return live_server


# --- accessibility -----------------------------------------------------------------------------


def serious_a11y_violations(page) -> list[str]:
    """axe-core's violations of impact serious or critical on the current page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in SERIOUS:
            continue
        targets = ", ".join(
            " ".join(str(t) for t in node.get("target", [])) for node in violation["nodes"][:5])
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                     f"[{len(violation['nodes'])}x: {targets}]")
    return lines


def assert_no_serious_a11y(page) -> None:
    lines = serious_a11y_violations(page)
    assert not lines, f"accessibility violations on {page.url}:\n  " + "\n  ".join(lines)
