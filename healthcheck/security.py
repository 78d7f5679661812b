"""Security headers on every response, and a per-request nonce for the one inline script."""

from __future__ import annotations

import secrets

from flask import g, request


def init_app(app) -> None:
    @app.before_request
    def make_nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.context_processor
    def nonce():
        return {"cspNonce": g.get("csp_nonce", "")}

    @app.after_request
    def headers(response):
        nonce_value = g.get("csp_nonce", "")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce_value}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        # Links carry access tokens: never send the address on to another site.
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.path.startswith(("/start/", "/contribute/", "/return", "/admin", "/survey")):
            response.headers["Cache-Control"] = "no-store"
        return response
