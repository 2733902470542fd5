"""With RATELIMIT_STORAGE_URI pointing at Redis, login attempts are counted there, so the
limit holds across processes. Runs in a subprocess: the limiter is one object per process."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

SCRIPT = r"""
import os, re, sys, tempfile
os.environ["SECRET_KEY"] = "x"
from flask_migrate import upgrade
from lobscan import create_app
db = os.path.join(tempfile.mkdtemp(), "rl.db")
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + db,
                  "RATELIMIT_STORAGE_URI": sys.argv[1], "RATELIMIT_KEY_PREFIX": sys.argv[2],
                  "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"})
with app.app_context():
    upgrade()
from lobscan.extensions import limiter
assert type(limiter._storage).__name__ == "RedisStorage", type(limiter._storage)
statuses = []
for attempt in range(2):  # two clients, as if two app processes behind one Redis
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    for _ in range(6):
        r = client.post("/login", data={"email": "x@y.nl", "password": "wrong-password",
                                        "csrf_token": token})
        statuses.append(r.status_code)
print(",".join(map(str, statuses)))
"""


def _redis_up() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_login_attempts_are_counted_in_redis():
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running at 127.0.0.1:6379")
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"lobscan-test-{uuid.uuid4().hex}"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, "redis://127.0.0.1:6379/15", prefix],
        capture_output=True, text=True, timeout=120,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    statuses = [int(s) for s in result.stdout.strip().splitlines()[-1].split(",")]
    # 10 per minute: ten refusals of the password, then 429 "Te veel pogingen" for both clients.
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
