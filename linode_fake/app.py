"""The Flask app factory: the API at /v4 and /v4beta, OAuth at /oauth."""

from __future__ import annotations

import logging

from flask import Flask, Response

from linode_fake.context import EXTENSION_KEY, FakeContext
from linode_fake.errors import register_error_handlers
from linode_fake.faults import FaultMiddleware
from linode_fake.ratelimit import RateLimiter
from linode_fake.requestlog import RequestLog, RequestLogMiddleware
from linode_fake.routing import add_api_headers
from linode_fake.settings import FakeSettings
from linode_fake.store import Store

logger = logging.getLogger(__name__)


def create_app(
    store: Store,
    settings: FakeSettings | None = None,
    request_log: RequestLog | None = None,
) -> Flask:
    """Build the fake's WSGI app around an opened Store."""
    from linode_fake.api import api
    from linode_fake.control import control

    settings = settings or FakeSettings()
    request_log = request_log or RequestLog()
    app = Flask("linode_fake")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = False
    app.extensions[EXTENSION_KEY] = FakeContext(
        store=store,
        settings=settings,
        limiter=RateLimiter(settings, store.clock),
        request_log=request_log,
    )

    app.register_blueprint(api, url_prefix="/v4")
    app.register_blueprint(api, url_prefix="/v4beta", name="api_beta")
    if settings.fault_endpoints:
        app.register_blueprint(control, url_prefix="/__fake__")
    _mount_oauth(app, store)

    register_error_handlers(app)

    @app.after_request
    def after_request(response: Response) -> Response:
        return add_api_headers(response)

    app.wsgi_app = FaultMiddleware(app.wsgi_app, settings)  # type: ignore[method-assign]
    app.wsgi_app = RequestLogMiddleware(app.wsgi_app, request_log)  # type: ignore[method-assign]
    return app


def _mount_oauth(app: Flask, store: Store) -> None:
    try:
        from linode_fake.oauth import create_oauth_blueprint
    except ImportError as error:
        if error.name != "linode_fake.oauth":
            raise
        logger.warning("linode_fake.oauth is missing; /oauth is not served")
        return
    app.register_blueprint(create_oauth_blueprint(store), url_prefix="/oauth")
