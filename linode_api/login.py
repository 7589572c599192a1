"""`LinodeLoginClient`: the OAuth 2 authorization-code flow of Linode's login service."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

from linode_api.errors import UnexpectedResponseError
from linode_api.redaction import Secret
from linode_api.scopes import OAuthScopes, Scope, ScopeSet
from linode_api.transport import DEFAULT_TIMEOUT, Timeout, Transport

logger = logging.getLogger(__name__)

LOGIN_URL_EXAMPLE = "https://login.linode.com"


@dataclass(frozen=True)
class OAuthToken:
    """The token endpoint's response. Its repr hides the access and refresh tokens."""

    access_token: str = field(repr=False)
    scopes: ScopeSet
    expires_at: datetime | None
    refresh_token: str | None = field(repr=False, default=None)
    token_type: str = "bearer"


class LinodeLoginClient:
    """An OAuth client registered with Linode: builds login URLs and exchanges codes for tokens.

    `base_url` is required: pass "https://login.linode.com" for Linode's
    login service, or a local fake's root URL. Requests use the same
    transport as `LinodeClient`: one session, timeouts, a User-Agent and
    retries (a POST that may have acted is never retried).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        base_url: str,
        *,
        user_agent: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 5,
        max_retry_after: float = 60.0,
        backoff_factor: float = 0.5,
        session: requests.Session | None = None,
    ) -> None:
        if not isinstance(client_id, str) or not client_id:
            raise ValueError("client_id must be the OAuth client's id, a non-empty string")
        if not isinstance(client_secret, str) or not client_secret:
            raise ValueError("client_secret must be the OAuth client's secret, a non-empty string")
        self.client_id = client_id
        self._client_secret = Secret(client_secret)
        del client_secret  # keep the plain secret out of this frame's locals
        self.transport = Transport(
            base_url,
            user_agent=user_agent,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_after=max_retry_after,
            backoff_factor=backoff_factor,
            session=session,
            base_url_example=LOGIN_URL_EXAMPLE,
        )

    def __repr__(self) -> str:
        transport = self.__dict__.get("transport")
        base_url = transport.base_url if transport is not None else None
        client_id = self.__dict__.get("client_id")
        return f"LinodeLoginClient(client_id={client_id!r}, base_url={base_url!r})"

    @property
    def base_url(self) -> str:
        """The login service's root URL."""
        return self.transport.base_url

    def generate_login_url(
        self,
        scopes: str | Scope | Iterable[str | Scope] | None = None,
        redirect_uri: str | None = None,
        state: str | None = None,
    ) -> str:
        """Return the URL to send the user's browser to.

        Scopes default to everything ("*"). The login service redirects back
        to `redirect_uri` (which must sit under the client's registered URI)
        with `code` and, when given, `state`.
        """
        if scopes is None:
            scope_set = ScopeSet([OAuthScopes.all])
        elif isinstance(scopes, Scope):
            scope_set = ScopeSet([scopes])
        else:
            scope_set = ScopeSet.parse(scopes)
        if not len(scope_set):
            raise ValueError("scopes must name at least one scope, or be None for all scopes")
        params = {"client_id": self.client_id, "response_type": "code"}
        params["scope"] = scope_set.serialize(" ")
        if redirect_uri is not None:
            params["redirect_uri"] = redirect_uri
        if state is not None:
            params["state"] = state
        return f"{self.base_url}/oauth/authorize?{urlencode(params)}"

    def finish_oauth(self, code: str, redirect_uri: str | None = None) -> OAuthToken:
        """Exchange the `code` from the redirect for an access token and refresh token."""
        if not isinstance(code, str) or not code:
            raise ValueError("code must be the non-empty 'code' parameter of the redirect")
        form: dict[str, str | Secret] = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "code": Secret(code),
        }
        del code
        if redirect_uri is not None:
            form["redirect_uri"] = redirect_uri
        return self._token_request(form)

    def refresh_oauth_token(self, refresh_token: str) -> OAuthToken:
        """Trade a refresh token for a new access token (and a new refresh token)."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise ValueError("refresh_token must be a non-empty string")
        form: dict[str, str | Secret] = {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "refresh_token": Secret(refresh_token),
        }
        del refresh_token
        return self._token_request(form)

    def expire_token(self, token: str) -> None:
        """Revoke an access token now; later API requests with it get 401."""
        if not isinstance(token, str) or not token:
            raise ValueError("token must be a non-empty string")
        form: dict[str, str | Secret] = {
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "token": Secret(token),
        }
        del token
        self.transport.request("POST", "/oauth/token/expire", form=form)

    def _token_request(self, form: dict[str, str | Secret]) -> OAuthToken:
        started = datetime.now(UTC)
        body = self.transport.request("POST", "/oauth/token", form=form)
        return _parse_token(body, started)


def _parse_token(body: dict[str, Any], issued_at: datetime) -> OAuthToken:
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise UnexpectedResponseError(
            "the token response has no access_token", method="POST", path="/oauth/token"
        )
    # The login service has been seen sending "scope", "scopes" or both.
    scope_text = body.get("scope") or body.get("scopes") or ""
    expires_in = body.get("expires_in")
    expires_at = None
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        expires_at = issued_at + timedelta(seconds=float(expires_in))
    refresh_token = body.get("refresh_token")
    return OAuthToken(
        access_token=access_token,
        scopes=ScopeSet.parse(str(scope_text)),
        expires_at=expires_at,
        refresh_token=refresh_token if isinstance(refresh_token, str) else None,
        token_type=str(body.get("token_type") or "bearer"),
    )
