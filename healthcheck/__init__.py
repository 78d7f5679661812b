"""The Social Work Health Check web application.

The package itself imports nothing heavy: ``create_app`` and the rest of ``app`` load on first
use (PEP 562), so the ``healthcheck`` command can lower a long build's priority before Flask,
SQLAlchemy and the rest take their second of CPU (see ``console``).
"""
from __future__ import annotations


def __getattr__(name: str):
    from importlib import import_module

    if name.startswith("__") or name == "app":  # dunders, and the submodule while it loads
        raise AttributeError(f"module 'healthcheck' has no attribute {name!r}")
    app = import_module(".app", __name__)
    if name in globals():  # a submodule that loading the application imported (data, models, ...)
        return globals()[name]
    try:
        return getattr(app, name)
    except AttributeError:
        raise AttributeError(f"module 'healthcheck' has no attribute {name!r}") from None
