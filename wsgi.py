"""gunicorn entry point: `gunicorn wsgi:app`."""

from lobscan import create_app

app = create_app()
