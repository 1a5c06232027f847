"""Security headers on every response, error pages included."""

from __future__ import annotations

from flask import Flask, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def register_security_headers(app: Flask) -> None:
    production = app.config.get("ENV_PRODUCTION", False)

    @app.after_request
    def add_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Pages, downloads and API answers carry partner names, costs, unpublished
            # results and, once, a new API token in clear: no browser, proxy or shared
            # computer keeps a copy, whatever a view said about caching. Only the
            # static files, the same for everyone, may be kept.
            headers["Cache-Control"] = "no-store"
        return response
