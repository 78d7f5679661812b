"""The WSGI entry point for production servers: ``gunicorn healthcheck.wsgi:app``.

Configuration comes from the environment (HEALTHCHECK_CONFIG, SECRET_KEY, DATABASE_URL, ...).
"""
from . import create_app

app = create_app()
