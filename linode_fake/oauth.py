"""The OAuth login service of login.linode.com, mounted at `/oauth`.

Endpoints:

- `GET /oauth/authorize` shows an approve page for `client_id`,
  `response_type` (`code` or `token`), `scopes` or `scope`, `redirect_uri` and
  `state`. `POST /oauth/authorize` approves or denies and redirects back.
- `POST /oauth/token` exchanges an authorization code, or a refresh token with
  `grant_type=refresh_token`, for an access token valid 7200 s and a new
  refresh token. A used refresh token stops working.
- `POST /oauth/token/expire` (documented by Linode) and `POST /oauth/revoke`
  (what linode-api4 5.48.0 calls) end the grant the given token belongs to:
  its access tokens and its refresh token.

Access tokens go into the store's token table, so the API accepts them with
their scopes. This module's tables keep SHA-256 digests of client secrets,
codes and refresh tokens, never the values themselves.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import ipaddress
import logging
import re
import secrets
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, unquote_plus, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, jsonify, redirect, request

logger = logging.getLogger(__name__)

ACCESS_TOKEN_LIFETIME = 7200
CODE_LIFETIME = 600

# Scope resources of the Linode OpenAPI spec 4.189.0, plus the families that
# linode-api4 5.48.0 also defines (databases, users, tokens, tickets, clients).
SCOPE_RESOURCES = frozenset(
    {
        "account",
        "clients",
        "databases",
        "domains",
        "events",
        "firewall",
        "images",
        "ips",
        "linodes",
        "lke",
        "longview",
        "nodebalancers",
        "object_storage",
        "stackscripts",
        "tickets",
        "tokens",
        "users",
        "volumes",
        "vpc",
    }
)
SCOPE_LEVELS = frozenset({"read_only", "read_write", "*"})

TABLES = (
    """CREATE TABLE IF NOT EXISTS oauth_clients (
        client_id TEXT PRIMARY KEY,
        secret_digest TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        created REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS oauth_codes (
        code_digest TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL,
        redirect_uri TEXT,
        expires_at REAL NOT NULL,
        used_at REAL,
        grant_id INTEGER
    )""",
    """CREATE TABLE IF NOT EXISTS oauth_grants (
        id INTEGER PRIMARY KEY,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created REAL NOT NULL,
        ended INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS oauth_refresh_tokens (
        token_digest TEXT PRIMARY KEY,
        grant_id INTEGER NOT NULL,
        created REAL NOT NULL,
        used INTEGER NOT NULL DEFAULT 0
    )""",
    # Access tokens are stored in plain text in the store's token table anyway,
    # and revoking one through the store needs the value.
    """CREATE TABLE IF NOT EXISTS oauth_access_tokens (
        token TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        grant_id INTEGER,
        expires_at REAL NOT NULL
    )""",
)


class OAuthStore(Protocol):
    """The part of `linode_fake.store.Store` this module uses."""

    def connection(self) -> Any: ...

    def add_token(self, token: str, scopes: str, expires_at: float | None = None) -> None: ...

    def revoke_token(self, token: str) -> bool: ...

    def now(self) -> float: ...


class OAuthError(Exception):
    """An OAuth error response (RFC 6749 section 5.2): a code, a description, a status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class AuthorizeRequest:
    """The validated parameters of an authorization request."""

    client_id: str
    response_type: str
    scopes: str
    redirect_uri: str
    redirect_uri_given: bool
    state: str | None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def ensure_tables(store: OAuthStore) -> None:
    """Create the OAuth tables when they do not exist yet."""
    with store.connection() as conn:
        for statement in TABLES:
            conn.execute(statement)


# -- clients -------------------------------------------------------------------


def register_oauth_client(
    store: OAuthStore, client_id: str, secret: str, redirect_uri: str
) -> None:
    """Register an OAuth client, or replace the secret and redirect URI of an existing one.

    An empty `redirect_uri` lets each login request name its own, on a
    loopback host only. Raises ValueError naming the invalid value; the message
    never contains the secret.
    """
    if not client_id or any(char.isspace() for char in client_id):
        raise ValueError(
            f"invalid OAuth client id {client_id!r}: use a non-empty string without whitespace"
        )
    if not secret or any(char.isspace() for char in secret):
        raise ValueError(
            f"invalid secret for OAuth client {client_id!r}: "
            "use a non-empty string without whitespace"
        )
    parts = urlsplit(redirect_uri)
    if redirect_uri and (
        parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment
    ):
        raise ValueError(
            f"invalid redirect URI {redirect_uri!r} for OAuth client {client_id!r}: "
            "use an absolute http or https URL without a fragment"
        )
    ensure_tables(store)
    with store.connection() as conn:
        conn.execute(
            "INSERT INTO oauth_clients (client_id, secret_digest, redirect_uri, created) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (client_id) DO UPDATE SET "
            "secret_digest = excluded.secret_digest, redirect_uri = excluded.redirect_uri",
            (client_id, _digest(secret), redirect_uri, store.now()),
        )
    logger.info(
        "registered OAuth client %s with redirect URI %s",
        client_id,
        redirect_uri or "(any on a loopback host)",
    )


def _client_redirect_uri(conn: sqlite3.Connection, client_id: str) -> str | None:
    row = conn.execute(
        "SELECT redirect_uri FROM oauth_clients WHERE client_id = ?", (client_id,)
    ).fetchone()
    return None if row is None else str(row[0])


def _authenticate_client(conn: sqlite3.Connection, form: Mapping[str, str]) -> str:
    """Return the client id after checking its secret (form fields or HTTP Basic)."""
    client_id = form.get("client_id", "")
    secret = form.get("client_secret", "")
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise OAuthError(
                "invalid_client", "the Basic Authorization header is not valid base64", 401
            ) from error
        # RFC 6749 section 2.3.1: both parts are form-encoded before Basic encoding.
        encoded_id, _, encoded_secret = decoded.partition(":")
        client_id, secret = unquote_plus(encoded_id), unquote_plus(encoded_secret)
    if not client_id:
        raise OAuthError("invalid_request", "missing client_id")
    if not secret:
        raise OAuthError("invalid_request", f"missing client_secret for client {client_id!r}")
    row = conn.execute(
        "SELECT secret_digest FROM oauth_clients WHERE client_id = ?", (client_id,)
    ).fetchone()
    if row is None:
        raise OAuthError(
            "invalid_client", f"unknown client_id {client_id!r}: register the client first", 401
        )
    if not hmac.compare_digest(str(row[0]), _digest(secret)):
        raise OAuthError("invalid_client", f"wrong client_secret for client {client_id!r}", 401)
    return client_id


# -- scopes and redirect URIs -----------------------------------------------------


def normalize_scopes(text: str) -> str:
    """Validate a scope list separated by commas or spaces; return it space-separated.

    An empty list means every scope (`*`). Raises OAuthError `invalid_scope`.
    """
    parts = [part for part in re.split(r"[\s,+]+", text.strip()) if part]
    if not parts:
        # NOTE: Linode does not document which scopes a login without a scope
        # list grants. The fake grants every scope.
        return "*"
    granted: list[str] = []
    for part in parts:
        if part != "*":
            resource, _, level = part.partition(":")
            if resource not in SCOPE_RESOURCES or level not in SCOPE_LEVELS:
                raise OAuthError(
                    "invalid_scope",
                    f"unknown scope {part!r}: use <resource>:read_only, "
                    "<resource>:read_write, <resource>:* or *",
                )
        if part not in granted:
            granted.append(part)
    return "*" if "*" in granted else " ".join(granted)


def redirect_uri_allowed(registered: str, requested: str) -> bool:
    """Return whether `requested` sits under the client's registered redirect URI.

    Scheme and host must match exactly, and the path must equal the registered
    path or continue it after a `/`. A query is allowed, a fragment is not.
    """
    want = urlsplit(requested)
    have = urlsplit(registered)
    if want.fragment or not want.netloc:
        return False
    if (want.scheme.lower(), want.netloc.lower()) != (have.scheme.lower(), have.netloc.lower()):
        return False
    base = have.path or "/"
    path = want.path or "/"
    if any(segment in (".", "..") for segment in unquote(path).split("/")):
        return False
    if path == base:
        return True
    prefix = base if base.endswith("/") else base + "/"
    return path.startswith(prefix)


def _is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.fragment or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _add_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _with_fragment(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, urlencode(params)))


# -- tokens ---------------------------------------------------------------------


def _issue_access_token(
    store: OAuthStore,
    conn: sqlite3.Connection,
    client_id: str,
    grant_id: int | None,
    scopes: str,
) -> str:
    token = secrets.token_hex(32)
    expires_at = store.now() + ACCESS_TOKEN_LIFETIME
    store.add_token(token, scopes, expires_at=expires_at)
    conn.execute(
        "INSERT INTO oauth_access_tokens (token, client_id, grant_id, expires_at) "
        "VALUES (?, ?, ?, ?)",
        (token, client_id, grant_id, expires_at),
    )
    return token


def _issue_refresh_token(store: OAuthStore, conn: sqlite3.Connection, grant_id: int) -> str:
    token = secrets.token_hex(32)
    conn.execute(
        "INSERT INTO oauth_refresh_tokens (token_digest, grant_id, created) VALUES (?, ?, ?)",
        (_digest(token), grant_id, store.now()),
    )
    return token


def _end_grant(store: OAuthStore, conn: sqlite3.Connection, grant_id: int) -> None:
    """Revoke every access and refresh token of a grant."""
    conn.execute("UPDATE oauth_grants SET ended = 1 WHERE id = ?", (grant_id,))
    conn.execute("UPDATE oauth_refresh_tokens SET used = 1 WHERE grant_id = ?", (grant_id,))
    rows = conn.execute(
        "SELECT token FROM oauth_access_tokens WHERE grant_id = ?", (grant_id,)
    ).fetchall()
    for row in rows:
        store.revoke_token(str(row[0]))


def _token_response(access_token: str, refresh_token: str | None, scopes: str) -> Response:
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "scope": scopes,
        "scopes": scopes,
    }
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


# -- the blueprint ----------------------------------------------------------------


def create_oauth_blueprint(store: OAuthStore) -> Blueprint:
    """Build the `/oauth` blueprint on `store`, creating its tables if needed."""
    ensure_tables(store)
    blueprint = Blueprint("oauth", __name__, url_prefix="/oauth")

    @blueprint.errorhandler(OAuthError)
    def handle_oauth_error(error: OAuthError) -> Response:
        logger.info("OAuth request %s %s rejected: %s", request.method, request.path, error)
        response = jsonify({"error": error.error, "error_description": error.description})
        response.status_code = error.status
        response.headers["Cache-Control"] = "no-store"
        if error.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="oauth"'
        return response

    @blueprint.get("/authorize")
    def show_authorize_page() -> Response:
        outcome = _read_authorize_request(store, request.args)
        if isinstance(outcome, Response):
            return outcome
        return _approve_page(outcome)

    @blueprint.post("/authorize")
    def approve_authorization() -> Response:
        outcome = _read_authorize_request(store, request.form)
        if isinstance(outcome, Response):
            return outcome
        if request.form.get("decision") != "approve":
            logger.info("login for OAuth client %s denied", outcome.client_id)
            return _redirect_with(outcome, {"error": "access_denied"})
        if outcome.response_type == "token":
            return _grant_implicit(store, outcome)
        return _grant_code(store, outcome)

    @blueprint.post("/token")
    def exchange_token() -> Response:
        grant_type = request.form.get("grant_type", "")
        if grant_type == "refresh_token":
            return _refresh(store, request.form)
        if grant_type in ("", "authorization_code"):
            return _exchange_code(store, request.form)
        raise OAuthError(
            "unsupported_grant_type",
            f"unsupported grant_type {grant_type!r}: use authorization_code or refresh_token",
        )

    @blueprint.post("/token/expire")
    def expire_token() -> Response:
        return _expire(store, request.form)

    @blueprint.post("/revoke")
    def revoke_token() -> Response:
        return _expire(store, request.form)

    return blueprint


# -- authorization ------------------------------------------------------------------


def _read_authorize_request(
    store: OAuthStore, params: Mapping[str, str]
) -> AuthorizeRequest | Response:
    """Validate authorization parameters.

    Errors about the client or its redirect URI get an HTML error page, because
    redirecting to an unchecked URI would make the fake an open redirector
    (RFC 6749 section 4.1.2.1). Later errors redirect back with `error`.
    """
    client_id = params.get("client_id", "")
    if not client_id:
        return _error_page("The login request has no client_id.")
    with store.connection() as conn:
        registered = _client_redirect_uri(conn, client_id)
    if registered is None:
        return _error_page(f"Unknown OAuth client {client_id!r}.")
    requested = params.get("redirect_uri", "")
    if not registered:
        if not _is_loopback_url(requested):
            return _error_page(
                f"Client {client_id!r} has no registered redirect URI, so the login request "
                f"must name an http or https redirect_uri on a loopback host, not {requested!r}."
            )
    elif requested and not redirect_uri_allowed(registered, requested):
        return _error_page(
            f"The redirect URI {requested!r} is not under the one registered for "
            f"client {client_id!r} ({registered!r})."
        )
    state = params.get("state") or None
    target = AuthorizeRequest(
        client_id=client_id,
        response_type=params.get("response_type", ""),
        scopes="",
        redirect_uri=requested or registered,
        redirect_uri_given=bool(requested),
        state=state,
    )
    if target.response_type not in ("code", "token"):
        logger.info("login for OAuth client %s has an unsupported response_type", client_id)
        return _redirect_with(target, {"error": "unsupported_response_type"})
    scope_text = params.get("scopes") or params.get("scope") or ""
    try:
        scopes = normalize_scopes(scope_text)
    except OAuthError as error:
        logger.info("login for OAuth client %s rejected: %s", client_id, error)
        return _redirect_with(
            target, {"error": error.error, "error_description": error.description}
        )
    return AuthorizeRequest(
        client_id=client_id,
        response_type=target.response_type,
        scopes=scopes,
        redirect_uri=target.redirect_uri,
        redirect_uri_given=target.redirect_uri_given,
        state=state,
    )


def _redirect_with(target: AuthorizeRequest, params: dict[str, str]) -> Response:
    if target.state is not None:
        params = {**params, "state": target.state}
    if target.response_type == "token":
        location = _with_fragment(target.redirect_uri, params)
    else:
        location = _add_query(target.redirect_uri, params)
    response = redirect(location, code=302)
    # The location carries a code or an access token.
    response.headers["Cache-Control"] = "no-store"
    return response


def _grant_code(store: OAuthStore, target: AuthorizeRequest) -> Response:
    code = secrets.token_hex(10)
    with store.connection() as conn:
        conn.execute(
            "INSERT INTO oauth_codes (code_digest, client_id, scopes, redirect_uri, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                _digest(code),
                target.client_id,
                target.scopes,
                target.redirect_uri if target.redirect_uri_given else None,
                store.now() + CODE_LIFETIME,
            ),
        )
    logger.info("issued an authorization code to OAuth client %s", target.client_id)
    return _redirect_with(target, {"code": code})


def _grant_implicit(store: OAuthStore, target: AuthorizeRequest) -> Response:
    with store.connection() as conn:
        token = _issue_access_token(store, conn, target.client_id, None, target.scopes)
    logger.info("issued an implicit-flow access token to OAuth client %s", target.client_id)
    params = {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": str(ACCESS_TOKEN_LIFETIME),
        "scopes": target.scopes,
    }
    return _redirect_with(target, params)


def _exchange_code(store: OAuthStore, form: Mapping[str, str]) -> Response:
    code = form.get("code", "")
    with store.connection() as conn:
        client_id = _authenticate_client(conn, form)
        if not code:
            raise OAuthError(
                "invalid_request", "missing code: send the code from the login redirect"
            )
        row = conn.execute(
            "SELECT scopes, redirect_uri, expires_at, used_at, grant_id "
            "FROM oauth_codes WHERE code_digest = ? AND client_id = ?",
            (_digest(code), client_id),
        ).fetchone()
        if row is None:
            raise OAuthError(
                "invalid_grant", f"the authorization code is unknown to client {client_id!r}"
            )
        scopes, code_redirect_uri, expires_at, used_at, used_grant = row
        if used_at is not None:
            # RFC 6749 section 4.1.2: a replayed code ends what it granted. The
            # error is raised after this block so that the revocation commits.
            if used_grant is not None:
                _end_grant(store, conn, int(used_grant))
            replayed = True
        else:
            replayed = False
            if expires_at <= store.now():
                raise OAuthError(
                    "invalid_grant", "the authorization code has expired: start a new login"
                )
            sent_redirect_uri = form.get("redirect_uri", "")
            if sent_redirect_uri and code_redirect_uri and sent_redirect_uri != code_redirect_uri:
                raise OAuthError(
                    "invalid_grant",
                    f"redirect_uri {sent_redirect_uri!r} differs from the one of the login request",
                )
            cursor = conn.execute(
                "INSERT INTO oauth_grants (client_id, scopes, created) VALUES (?, ?, ?)",
                (client_id, scopes, store.now()),
            )
            grant_id = int(cursor.lastrowid or 0)
            conn.execute(
                "UPDATE oauth_codes SET used_at = ?, grant_id = ? WHERE code_digest = ?",
                (store.now(), grant_id, _digest(code)),
            )
            access_token = _issue_access_token(store, conn, client_id, grant_id, scopes)
            refresh_token = _issue_refresh_token(store, conn, grant_id)
    if replayed:
        logger.warning("authorization code replayed by OAuth client %s", client_id)
        raise OAuthError("invalid_grant", "the authorization code was already used")
    logger.info("OAuth client %s exchanged a code (grant %d)", client_id, grant_id)
    return _token_response(access_token, refresh_token, scopes)


def _refresh(store: OAuthStore, form: Mapping[str, str]) -> Response:
    presented = form.get("refresh_token", "")
    with store.connection() as conn:
        client_id = _authenticate_client(conn, form)
        if not presented:
            raise OAuthError("invalid_request", "missing refresh_token")
        row = conn.execute(
            "SELECT r.grant_id, r.used, g.client_id, g.scopes, g.ended "
            "FROM oauth_refresh_tokens AS r JOIN oauth_grants AS g ON g.id = r.grant_id "
            "WHERE r.token_digest = ?",
            (_digest(presented),),
        ).fetchone()
        if row is None or row[2] != client_id:
            raise OAuthError("invalid_grant", "the refresh token is unknown")
        grant_id, used, _, scopes, ended = row
        if used or ended:
            raise OAuthError("invalid_grant", "the refresh token was already used or revoked")
        conn.execute(
            "UPDATE oauth_refresh_tokens SET used = 1 WHERE token_digest = ?",
            (_digest(presented),),
        )
        access_token = _issue_access_token(store, conn, client_id, grant_id, scopes)
        refresh_token = _issue_refresh_token(store, conn, grant_id)
    logger.info("OAuth client %s refreshed grant %d", client_id, grant_id)
    return _token_response(access_token, refresh_token, scopes)


def _expire(store: OAuthStore, form: Mapping[str, str]) -> Response:
    token = form.get("token", "")
    with store.connection() as conn:
        client_id = _authenticate_client(conn, form)
        if not token:
            raise OAuthError("invalid_request", "missing token")
        access = conn.execute(
            "SELECT grant_id FROM oauth_access_tokens WHERE token = ? AND client_id = ?",
            (token, client_id),
        ).fetchone()
        refresh = conn.execute(
            "SELECT r.grant_id FROM oauth_refresh_tokens AS r "
            "JOIN oauth_grants AS g ON g.id = r.grant_id "
            "WHERE r.token_digest = ? AND g.client_id = ?",
            (_digest(token), client_id),
        ).fetchone()
        if access is None and refresh is None:
            raise OAuthError("invalid_grant", f"the token was not issued to client {client_id!r}")
        grant_id = access[0] if access is not None else refresh[0]
        if grant_id is None:
            store.revoke_token(token)
        else:
            _end_grant(store, conn, int(grant_id))
    logger.info("OAuth client %s expired a token", client_id)
    return jsonify({})


# -- HTML -----------------------------------------------------------------------------


def _page(title: str, body: str, status: int = 200) -> Response:
    document = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>\n{body}\n</body></html>\n"
    )
    response = Response(document, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


def _error_page(message: str) -> Response:
    logger.info("OAuth login page rejected a request: %s", message)
    body = f"<h1>Login failed</h1>\n<p>{html.escape(message)}</p>"
    return _page("Login failed", body, status=400)


def _hidden_fields(fields: Iterable[tuple[str, str]]) -> str:
    return "\n".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in fields
    )


def _approve_page(target: AuthorizeRequest) -> Response:
    fields = [
        ("client_id", target.client_id),
        ("response_type", target.response_type),
        ("scopes", target.scopes),
    ]
    if target.redirect_uri_given:
        fields.append(("redirect_uri", target.redirect_uri))
    if target.state is not None:
        fields.append(("state", target.state))
    scope_items = "\n".join(f"<li>{html.escape(scope)}</li>" for scope in target.scopes.split(" "))
    body = (
        "<h1>Authorize application</h1>\n"
        f"<p>The application <strong>{html.escape(target.client_id)}</strong> requests "
        "access to this Linode account with these scopes:</p>\n"
        f"<ul>\n{scope_items}\n</ul>\n"
        f"<p>After your decision the browser returns to {html.escape(target.redirect_uri)}.</p>\n"
        '<form method="post" action="authorize">\n'
        f"{_hidden_fields(fields)}\n"
        '<button type="submit" name="decision" value="approve">Approve</button>\n'
        '<button type="submit" name="decision" value="deny">Deny</button>\n'
        "</form>"
    )
    return _page("Authorize application", body)
