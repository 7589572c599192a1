"""`LinodeClient`: the entry point for one API user's token."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import requests

from linode_api.errors import UnexpectedResponseError
from linode_api.filtering import Filter, MatchNothing, build_x_filter
from linode_api.objects.account import Account, Event, Profile, Tag
from linode_api.objects.base import ApiObject
from linode_api.objects.catalog import Image, Region, Type
from linode_api.objects.firewall import Firewall
from linode_api.objects.linode import Linode
from linode_api.objects.stackscript import StackScript
from linode_api.paginated import PaginatedList
from linode_api.passwords import check_deploy_credentials
from linode_api.redaction import Secret
from linode_api.scopes import OAuthScopes, ScopeSet
from linode_api.transport import DEFAULT_TIMEOUT, Timeout, Transport

T = TypeVar("T")
O = TypeVar("O", bound=ApiObject)  # noqa: E741

API_URL_EXAMPLE = "https://api.linode.com/v4"
MAX_PAGE_SIZE = 500
MIN_PAGE_SIZE = 25


def object_id(value: Any) -> Any:
    """Return the id of an API object, or the value itself when it already is an id."""
    if isinstance(value, ApiObject):
        return value.id
    return value


def encode_user_data(user_data: str | bytes) -> str:
    """Base64-encode cloud-init user data for `metadata.user_data`."""
    raw = user_data.encode("utf-8") if isinstance(user_data, str) else bytes(user_data)
    return base64.b64encode(raw).decode("ascii")


class LinodeClient:
    """A client for the Linode API v4 acting with one token.

    `base_url` is required, because no address is assumed: pass
    "https://api.linode.com/v4" for the real API, or a local fake's URL.
    `timeout` is a (connect, read) pair in seconds applied to every request.
    `page_size` is the number of objects per list request (25 to 500).
    Retries: `max_retries` per request, a 429 waits at most `max_retry_after`
    seconds, and backoff for 5xx and connection errors starts at
    `backoff_factor` seconds and doubles each time.
    """

    def __init__(
        self,
        token: str,
        base_url: str,
        *,
        user_agent: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        page_size: int = MAX_PAGE_SIZE,
        max_retries: int = 5,
        max_retry_after: float = 60.0,
        backoff_factor: float = 0.5,
        session: requests.Session | None = None,
    ) -> None:
        if not isinstance(token, str) or not token.strip() or any(c.isspace() for c in token):
            raise ValueError(
                "token must be a non-empty string without whitespace: pass a Linode "
                "personal access token or OAuth access token"
            )
        if isinstance(page_size, bool) or not isinstance(page_size, int):
            raise ValueError(f"page_size {page_size!r} must be an integer")
        if not MIN_PAGE_SIZE <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(
                f"page_size {page_size} must be between {MIN_PAGE_SIZE} and {MAX_PAGE_SIZE}"
            )
        secret = Secret(token)
        del token  # keep the plain token out of this frame's locals
        self.page_size = page_size
        self.transport = Transport(
            base_url,
            token=secret,
            user_agent=user_agent,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_after=max_retry_after,
            backoff_factor=backoff_factor,
            session=session,
            base_url_example=API_URL_EXAMPLE,
        )

    def __repr__(self) -> str:
        # The transport is missing while __init__ is still checking its arguments.
        transport = self.__dict__.get("transport")
        base_url = transport.base_url if transport is not None else None
        return f"LinodeClient(base_url={base_url!r})"

    @property
    def base_url(self) -> str:
        """The API root this client sends requests to."""
        return self.transport.base_url

    @property
    def session(self) -> requests.Session:
        """The `requests.Session` shared by every request of this client."""
        return self.transport.session

    # Lists

    def _list(
        self,
        path: str,
        factory: Callable[[dict[str, Any]], T],
        x_filter: dict[str, Any] | None = None,
        *,
        empty: bool = False,
    ) -> PaginatedList[T]:
        return PaginatedList(
            self.transport, path, factory, x_filter=x_filter, page_size=self.page_size, empty=empty
        )

    def _filtered_list(
        self,
        cls: type[O],
        path: str,
        conditions: Sequence[Filter],
        filters: Mapping[str, Any],
        order_by: str | None,
        order: str | None,
    ) -> PaginatedList[O]:
        x_filter = build_x_filter(
            conditions, filters, order_by=order_by, order=order, aliases=cls.filter_aliases()
        )
        factory: Callable[[dict[str, Any]], O] = lambda data: cls(self, data["id"])._take_data(data)  # noqa: E731
        if isinstance(x_filter, MatchNothing):
            return self._list(path, factory, empty=True)
        return self._list(path, factory, x_filter)

    def get_linodes(
        self,
        *conditions: Filter,
        order_by: str | None = None,
        order: str | None = None,
        **filters: Any,
    ) -> PaginatedList[Linode]:
        """List Linodes, for example `get_linodes(tags="reseller", label__contains="web")`."""
        return self._filtered_list(
            Linode, "/linode/instances", conditions, filters, order_by, order
        )

    def get_regions(
        self,
        *conditions: Filter,
        order_by: str | None = None,
        order: str | None = None,
        **filters: Any,
    ) -> PaginatedList[Region]:
        """List regions, for example `get_regions(country="us")`."""
        return self._filtered_list(Region, "/regions", conditions, filters, order_by, order)

    def get_types(
        self,
        *conditions: Filter,
        order_by: str | None = None,
        order: str | None = None,
        **filters: Any,
    ) -> PaginatedList[Type]:
        """List Linode types, for example `get_types(class_="standard", vcpus__gte=2)`."""
        return self._filtered_list(Type, "/linode/types", conditions, filters, order_by, order)

    def get_images(
        self,
        *conditions: Filter,
        order_by: str | None = None,
        order: str | None = None,
        **filters: Any,
    ) -> PaginatedList[Image]:
        """List images, for example `get_images(is_public=True, vendor="Debian")`."""
        return self._filtered_list(Image, "/images", conditions, filters, order_by, order)

    def get_stackscripts(
        self,
        *conditions: Filter,
        order_by: str | None = None,
        order: str | None = None,
        **filters: Any,
    ) -> PaginatedList[StackScript]:
        """List StackScripts, for example `get_stackscripts(mine=True)`."""
        return self._filtered_list(
            StackScript, "/linode/stackscripts", conditions, filters, order_by, order
        )

    def get_events(
        self,
        *conditions: Filter,
        order_by: str | None = None,
        order: str | None = None,
        **filters: Any,
    ) -> PaginatedList[Event]:
        """List events, for example `get_events(entity__id=123, action="linode_boot")`."""
        return self._filtered_list(Event, "/account/events", conditions, filters, order_by, order)

    def get_tags(
        self,
        *conditions: Filter,
        order_by: str | None = None,
        order: str | None = None,
        **filters: Any,
    ) -> PaginatedList[Tag]:
        """List the account's tags."""
        x_filter = build_x_filter(conditions, filters, order_by=order_by, order=order)
        factory: Callable[[dict[str, Any]], Tag] = lambda data: Tag(self, data["label"], data=data)  # noqa: E731
        if isinstance(x_filter, MatchNothing):
            return self._list("/tags", factory, empty=True)
        return self._list("/tags", factory, x_filter)

    def get_firewalls(
        self,
        *conditions: Filter,
        order_by: str | None = None,
        order: str | None = None,
        **filters: Any,
    ) -> PaginatedList[Firewall]:
        """List Cloud Firewalls, for example `get_firewalls(label="portal-default")`."""
        return self._filtered_list(
            Firewall, "/networking/firewalls", conditions, filters, order_by, order
        )

    # Single objects

    def profile(self) -> Profile:
        """Return the token's user (loaded on first attribute read)."""
        return Profile(self)

    def account(self) -> Account:
        """Return the account (loaded on first attribute read)."""
        return Account(self)

    def token_scopes(self) -> ScopeSet:
        """Return the OAuth scopes of this client's token.

        The API reports them in the `X-OAuth-Scopes` header of authenticated
        responses; this reads the header from GET /profile, which any valid token
        may call. Raises `ApiError` (such as `UnauthorizedError`) when the API
        rejects the token, and `UnexpectedResponseError` when the header is missing.
        """
        response = self.transport.send("GET", "/profile")
        header = response.headers.get("X-OAuth-Scopes")
        if header is None:
            raise UnexpectedResponseError(
                "the response has no X-OAuth-Scopes header",
                method="GET",
                path="/profile",
                status=response.status_code,
            )
        return OAuthScopes.parse(header)

    # Creation

    def create_linode(
        self,
        type: Type | str,
        region: Region | str,
        image: Image | str | None = None,
        root_pass: str | None = None,
        authorized_keys: Sequence[str] | None = None,
        label: str | None = None,
        tags: Sequence[str] | None = None,
        stackscript: StackScript | int | None = None,
        stackscript_data: Mapping[str, Any] | None = None,
        user_data: str | bytes | None = None,
        booted: bool = True,
        firewall: Firewall | int | None = None,
        **extra: Any,
    ) -> Linode:
        """Create a Linode and return it, loaded from the API's response.

        Given an image, `root_pass` or `authorized_keys` is required and
        ValueError is raised before anything is sent when both are missing.
        With keys only, a random root password is sent and discarded.
        `user_data` is the plain cloud-init text (it is base64-encoded here).
        `extra` passes further documented fields such as `private_ip`.

        A lost response raises `OutcomeUnknownError`: the Linode may exist, so
        look it up by its label before creating it again.
        """
        body: dict[str, Any] = {"type": object_id(type), "region": object_id(region)}
        if image is not None:
            body["image"] = object_id(image)
            body.update(check_deploy_credentials(root_pass, authorized_keys))
        elif root_pass is not None or authorized_keys:
            raise ValueError("root_pass and authorized_keys apply only when an image is given")
        del root_pass  # the body contains it as a Secret; keep it out of traceback locals
        if stackscript is not None:
            if image is None:
                raise ValueError("a StackScript needs an image to run on")
            body["stackscript_id"] = object_id(stackscript)
        if stackscript_data is not None:
            body["stackscript_data"] = dict(stackscript_data)
        if user_data is not None:
            body["metadata"] = {"user_data": encode_user_data(user_data)}
        if label is not None:
            body["label"] = label
        if tags is not None:
            if isinstance(tags, str):
                raise ValueError(f"tags must be a list of strings, not the string {tags!r}")
            body["tags"] = list(tags)
        if firewall is not None:
            body["firewall_id"] = object_id(firewall)
        if image is not None or "backup_id" in extra:
            body["booted"] = booted  # the API applies it to image and backup deploys only
        body.update(extra)
        data = self.transport.request("POST", "/linode/instances", json_body=body)
        return Linode(self, data["id"])._take_data(data)

    def create_stackscript(
        self,
        label: str,
        script: str,
        images: Sequence[Image | str],
        *,
        description: str | None = None,
        is_public: bool = False,
        rev_note: str | None = None,
    ) -> StackScript:
        """Create a StackScript for the given image ids ("any/all" means every image)."""
        if isinstance(images, str):
            raise ValueError(f"images must be a list of image ids, not the string {images!r}")
        body: dict[str, Any] = {
            "label": label,
            "script": script,
            "images": [object_id(image) for image in images],
            "is_public": is_public,
        }
        if description is not None:
            body["description"] = description
        if rev_note is not None:
            body["rev_note"] = rev_note
        data = self.transport.request("POST", "/linode/stackscripts", json_body=body)
        return StackScript(self, data["id"])._take_data(data)

    def create_firewall(
        self,
        label: str,
        rules: Mapping[str, Any],
        *,
        devices: Sequence[Linode | int] | None = None,
        tags: Sequence[str] | None = None,
    ) -> Firewall:
        """Create a Cloud Firewall; `rules` needs `inbound_policy` and `outbound_policy`."""
        body: dict[str, Any] = {"label": label, "rules": dict(rules)}
        if devices:
            body["devices"] = {"linodes": [object_id(device) for device in devices]}
        if tags is not None:
            body["tags"] = list(tags)
        data = self.transport.request("POST", "/networking/firewalls", json_body=body)
        return Firewall(self, data["id"])._take_data(data)
