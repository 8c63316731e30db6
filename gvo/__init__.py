"""GVO, the Governors' Virtual Office: the Flask application factory."""

from dataclasses import dataclass

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gvo.storage import keys
from gvo.storage.instance import Instance


@dataclass
class GvoState:
    """What the app keeps in app.extensions['gvo']."""

    instance: Instance


def create_app(config: dict | None = None, instance: Instance | None = None) -> Flask:
    """Build the web application for one instance directory."""
    from gvo.core import config as gvo_config
    from gvo.mail import config as mail_config
    from gvo.web.app import init_app
    from gvo.web.urls import GvoFlask, check_url_defaults

    app = GvoFlask(__name__)
    app.config.update(gvo_config.from_environment())
    app.config.update(
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the (server-side) session
        WTF_CSRF_SSL_STRICT=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        TEMPLATES_AUTO_RELOAD=False,
    )
    if config:
        app.config.update(config)
    # The process sends mail as this app is configured (a bad URL or address stops here).
    mail_config.configure(mail_config.from_mapping(app.config))
    if instance is None:
        instance = Instance.open(app.config["GVO_INSTANCE"])
    app.extensions["gvo"] = GvoState(instance)
    # Flask's signing secret is derived from the master key: one secret fewer to manage.
    app.config["SECRET_KEY"] = keys.derive(instance.master_key, "flask-secret:v1").hex()

    # The one place X-Forwarded-* headers are believed. `gvo serve` has waitress pass them
    # through only when this is on (gvo.cli.serve.proxy_options); off, waitress drops them.
    if app.config["GVO_TRUSTED_PROXIES"]:
        n = app.config["GVO_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    init_app(app)
    check_url_defaults(app)
    return app
