"""The Flask app factory: the API at /v4 and /v4beta, OAuth at /oauth."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response

from linode_fake.context import EXTENSION_KEY, FakeContext
from linode_fake.errors import register_error_handlers
from linode_fake.faults import FaultMiddleware, StartResponse, WsgiApp
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
    # Bodies larger than this get a 413; a StackScript may hold up to 1 MiB of script.
    app.config["MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024
    app.extensions[EXTENSION_KEY] = FakeContext(
        store=store,
        settings=settings,
        limiter=RateLimiter(settings, store.clock),
        request_log=request_log,
    )

    app.register_blueprint(api, url_prefix="/v4")
    if settings.fault_endpoints:
        app.register_blueprint(control, url_prefix="/__fake__")
    _mount_oauth(app, store)

    register_error_handlers(app)

    @app.after_request
    def after_request(response: Response) -> Response:
        return add_api_headers(response)

    app.wsgi_app = BetaAliasMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    app.wsgi_app = FaultMiddleware(app.wsgi_app, settings)  # type: ignore[method-assign]
    app.wsgi_app = RequestLogMiddleware(app.wsgi_app, request_log)  # type: ignore[method-assign]
    return app


class BetaAliasMiddleware:
    """Serve `/v4beta/...` with the `/v4/...` routes: every operation here is
    stable, and the API serves stable operations identically on both versions.

    Rewriting the path instead of mounting the routes twice halves the time
    Flask needs to build the app, which every test fixture pays.
    """

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/v4beta" or path.startswith("/v4beta/"):
            environ["PATH_INFO"] = "/v4" + path[len("/v4beta") :]
        return self.app(environ, start_response)


def _mount_oauth(app: Flask, store: Store) -> None:
    try:
        from linode_fake.oauth import create_oauth_blueprint
    except ImportError as error:
        if error.name != "linode_fake.oauth":
            raise
        logger.warning("linode_fake.oauth is missing; /oauth is not served")
        return
    app.register_blueprint(create_oauth_blueprint(store), url_prefix="/oauth")
