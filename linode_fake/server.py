"""Serving the app with werkzeug's threaded server on a loopback address."""

from __future__ import annotations

import ipaddress
import logging
import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from linode_fake.app import create_app
from linode_fake.requestlog import RequestLog
from linode_fake.settings import FakeSettings
from linode_fake.store import Store

logger = logging.getLogger(__name__)


class QuietRequestHandler(WSGIRequestHandler):
    """Leave request logging to RequestLogMiddleware, which also records drops."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def check_loopback(host: str) -> None:
    """Raise ValueError unless `host` is a loopback address or `localhost`."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"the fake serves only on loopback; {host!r} is not a loopback address "
            "(use 127.0.0.1 or ::1)"
        )


class FakeServer:
    """The fake's app on a werkzeug server, in the foreground or a thread."""

    def __init__(
        self,
        store: Store,
        settings: FakeSettings,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        request_log: RequestLog | None = None,
    ) -> None:
        check_loopback(host)
        self.store = store
        self.settings = settings
        self.request_log = request_log or RequestLog()
        self.app = create_app(store, settings, self.request_log)
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=QuietRequestHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        host = self._server.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._server.port}"

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def start(self) -> None:
        """Serve in a daemon thread until `stop`."""
        # A short poll interval makes stop() return quickly, which tests notice.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="linode-fake",
            daemon=True,
        )
        self._thread.start()
        logger.info("linode_fake serving at %s", self.root_url)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        logger.info("linode_fake at %s stopped", self.root_url)
