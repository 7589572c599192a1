"""Check HTTP exchanges with the fake Linode API against the official OpenAPI spec.

The spec is Linode's OpenAPI 3.0.1 document, version 4.189.0 (Apache 2.0), stored
gzipped in `spec_data/`. Every schema in it is inlined and every path starts with
`/{apiVersion}`. Its only server is https://api.linode.com, so a URL on the fake such as
`http://127.0.0.1:PORT/v4/regions` is checked as `https://api.linode.com/v4/regions`.

openapi-core matches each request to its operation and validates requests. Response
bodies are validated with openapi-schema-validator's OAS30ReadValidator (what openapi-core
itself uses) against the operation's response schema, directly, because that is many
times faster. In success bodies every documented property of an object without its own
`required` list must be present, because the real API returns whole objects and SDKs read
any attribute. Error bodies follow the spec's own rules.

Where the spec is wrong about the real API, a `SpecCorrection` (see `spec_edits`) edits
the loaded spec before validation. The contract test lists every correction in one place
with its reason.
"""

from __future__ import annotations

import copy
import datetime
import gzip
import hashlib
import ipaddress
import json
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.configurations import Config
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.testing import MockRequest
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

SPEC_FILE = Path(__file__).with_name("spec_data") / "linode-openapi-4.189.0.yaml.gz"
SPEC_VERSION = "4.189.0"
SERVER_URL = "https://api.linode.com"
# Where load_spec keeps its parsed JSON copy; entries are keyed by the spec's hash.
SPEC_CACHE = Path(tempfile.gettempdir()) / "linode-fake-spec-cache"

Schema = dict[str, Any]
Spec = dict[str, Any]


# --- loading -------------------------------------------------------------------------------


def load_spec(path: Path = SPEC_FILE, cache_dir: Path | None = None) -> Spec:
    """Load the spec, reusing a JSON copy in `cache_dir` made from the same file contents.

    Parsing the 74,000-line YAML takes over a second even with libyaml; the JSON copy
    loads in a fraction of that. The cache key is a hash of the file, so a changed spec
    never meets a stale copy.
    """
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    cached = cache_dir / f"linode-openapi-{digest}.json" if cache_dir else None
    if cached is not None and cached.exists():
        return json.loads(cached.read_text(encoding="utf-8"))

    text = gzip.decompress(raw) if path.suffix == ".gz" else raw
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec: Spec = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader in both cases
    if spec.get("info", {}).get("version") != SPEC_VERSION:
        raise ValueError(
            f"{path} holds spec version {spec.get('info', {}).get('version')!r}, "
            f"expected {SPEC_VERSION}; update SPEC_VERSION together with the corrections"
        )
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(spec), encoding="utf-8")
        tmp.replace(cached)
    return spec


# --- reading the spec ----------------------------------------------------------------------


def operations_by_id(spec: Spec) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Map each operationId to (path template, lower-case method, operation object)."""
    found: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = (path, method, operation)
    return found


def iter_schemas(schema: Any) -> Iterator[Schema]:
    """Yield `schema` and every schema nested in it (properties, items, combinators)."""
    if not isinstance(schema, dict):
        return
    yield schema
    for child in schema.get("properties", {}).values():
        yield from iter_schemas(child)
    for key in ("items", "additionalProperties", "not"):
        yield from iter_schemas(schema.get(key))
    for key in ("allOf", "oneOf", "anyOf"):
        for child in schema.get(key, []):
            yield from iter_schemas(child)


def response_schemas(operation: dict[str, Any], status: str = "200") -> Iterator[Schema]:
    """Yield the JSON body schema of one documented response of an operation."""
    response = operation.get("responses", {}).get(status, {})
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is not None:
        yield schema


def require_documented_properties(spec: Spec) -> None:
    """Mark every property of 2xx response objects required, unless the object lists its own.

    An object that declares `required` states which fields may be missing. Objects that
    declare none are whole objects in the API's responses. Branches of `oneOf` and `anyOf`
    are left alone so that marking them cannot change which branch matches. Idempotent.
    """
    if spec.get("x-contract-properties-required"):
        return
    for item in spec["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status in operation["responses"]:
                if status.startswith("2"):
                    for top in response_schemas(operation, status):
                        _require_properties(top, branch=False)
    spec["x-contract-properties-required"] = True


def _require_properties(schema: Any, *, branch: bool) -> None:
    if not isinstance(schema, dict):
        return
    properties = schema.get("properties")
    if isinstance(properties, dict) and "required" not in schema and not branch:
        names = [name for name, child in properties.items() if not child.get("writeOnly")]
        if names:
            schema["required"] = names
    for child in (properties or {}).values():
        _require_properties(child, branch=False)
    for key in ("items", "additionalProperties", "not"):
        _require_properties(schema.get(key), branch=False)
    for child in schema.get("allOf", []):
        _require_properties(child, branch=False)
    for key in ("oneOf", "anyOf"):
        for child in schema.get(key, []):
            _require_properties(child, branch=True)


# --- formats -------------------------------------------------------------------------------

# The API writes times as UTC without a zone suffix or fractions, e.g. 2018-01-01T00:01:01.
# A spec correction gives such fields this format in place of RFC 3339 `date-time`.
LINODE_DATE_TIME = "linode-date-time"
_LINODE_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_SSH_KEY = re.compile(
    r"(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( .*)?"
)


def _is_linode_date_time(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    if not _LINODE_DATE_TIME.fullmatch(value):
        return False
    try:
        datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")  # noqa: DTZ007 - the API's UTC form
    except ValueError:
        return False
    return True


def _is_ip(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_ipv6_128(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    address, _, prefix = value.partition("/")
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return False
    return prefix == "128"


def _is_ssh_key(value: Any) -> bool:
    return not isinstance(value, str) or bool(_SSH_KEY.fullmatch(value))


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    return value.startswith("/") or urlsplit(value).scheme in ("http", "https")


FORMAT_CHECKS: dict[str, Callable[[Any], bool]] = {
    LINODE_DATE_TIME: _is_linode_date_time,
    "ip": _is_ip,
    "ipv6/128": _is_ipv6_128,
    "ssh-key": _is_ssh_key,
    "url": _is_url,
}


# --- validation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """The spec operation a request matched."""

    operation_id: str
    path_template: str
    method: str


class ContractError(AssertionError):
    """A response (or request) that the spec does not allow."""


class SpecChecker:
    """Validate `requests` exchanges with the fake against the (corrected) spec."""

    def __init__(self, spec: Spec, root_url: str, operations: Iterable[str] | None = None) -> None:
        """Check exchanges with the fake at `root_url`.

        `operations` (operationIds) narrows the spec to the paths that hold them, which
        makes each path lookup several times faster. Requests to other paths then fail
        to match.
        """
        require_documented_properties(spec)
        if operations is not None:
            wanted = set(operations)
            paths = {
                template: item
                for template, item in spec["paths"].items()
                if any(
                    isinstance(operation, dict) and operation.get("operationId") in wanted
                    for operation in item.values()
                )
            }
            spec = {**spec, "paths": paths}
        self.spec = spec
        self.root_url = root_url.rstrip("/")
        config = Config(
            spec_validator_cls=None,  # validating the 74k-line spec itself takes minutes
            server_base_url=SERVER_URL,
            extra_format_validators=FORMAT_CHECKS,
        )
        self._app = OpenAPI.from_dict(spec, config=config)
        self._operations = operations_by_id(spec)
        self._validators: dict[tuple[str, str], Any] = {}
        self._formats = copy.deepcopy(oas30_format_checker)
        for name, check in FORMAT_CHECKS.items():
            self._formats.checks(name)(check)
        self._finder = APICallPathFinder(self._app.spec, base_url=SERVER_URL)

    def _mock_request(self, request: requests.PreparedRequest) -> MockRequest:
        url = request.url or ""
        if not url.startswith(self.root_url + "/"):
            raise ContractError(f"request URL {url!r} is not on the fake at {self.root_url}")
        parts = urlsplit(url)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        return MockRequest(
            SERVER_URL,
            request.method or "GET",
            parts.path,
            args=query,
            headers=dict(request.headers),
            data=body or None,
            content_type=request.headers.get("Content-Type", "application/json"),
        )

    def operation(self, method: str, path: str) -> Operation:
        """Find the spec operation for `method` on an API path such as `/v4/regions`."""
        found = self._finder.find(method.lower(), SERVER_URL + path)
        return Operation(
            operation_id=(found.operation / "operationId").read_str(),
            path_template=found.path.parts[-1],
            method=method.lower(),
        )

    def check_response(self, response: requests.Response, operation_id: str | None) -> None:
        """Raise ContractError unless the response is one the spec allows for `operation_id`.

        With `operation_id=None` the operation is whichever the request's method and path
        match. A status the operation does not list is checked against its `default`
        response, which in this spec is always the error envelope.
        """
        request = self._mock_request(response.request)
        matched = self.operation(request.method, request.path)
        if operation_id is None:
            operation_id = matched.operation_id
        elif matched.operation_id != operation_id:
            raise ContractError(
                f"{request.method.upper()} {request.path} matched {matched.operation_id}, "
                f"expected {operation_id}"
            )
        documented = self._operations[operation_id][2].get("responses", {})
        status = str(response.status_code)
        if status.startswith("2") and status not in documented:
            raise ContractError(
                f"{operation_id} returned {status}, but the spec lists only "
                f"{sorted(documented)} for it"
            )
        content_type = response.headers.get("Content-Type", "")
        if not content_type.startswith("application/json"):
            raise ContractError(
                f"{operation_id} returned {response.status_code} with Content-Type "
                f"{content_type!r}; the API always returns application/json"
            )

        try:
            body = response.json()
        except ValueError as error:
            raise ContractError(
                f"{operation_id} returned {status} with a body that is not JSON"
            ) from error
        lines = []
        for schema_error in self._response_validator(operation_id, status).iter_errors(body):
            lines.extend(_describe_schema_error(schema_error, with_values=True))
        if lines:
            raise ContractError(
                f"{operation_id} returned {status}, which the spec rejects:\n" + "\n".join(lines)
            )
        if response.status_code >= 400 and not body.get("errors"):
            # The envelope schema requires nothing, so `{}` would pass it.
            raise ContractError(f"{operation_id} returned {status} without an errors list")

    def _response_validator(self, operation_id: str, status: str) -> Any:
        """Return a validator for the JSON body of one documented response (cached).

        The spec has no `$ref`, so each response schema is a self-contained dict, and
        validating it directly is many times faster than openapi-core's lazy schema
        paths. OAS30ReadValidator is what openapi-core itself uses for responses.
        """
        key = (operation_id, status)
        if key not in self._validators:
            responses = self._operations[operation_id][2].get("responses", {})
            response = responses.get(status) or responses.get("default")
            if response is None:
                raise ContractError(f"{operation_id} documents no {status} or default response")
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if schema is None:
                raise ContractError(f"{operation_id} documents no JSON body for {status}")
            self._validators[key] = OAS30ReadValidator(schema, format_checker=self._formats)
        return self._validators[key]

    def check_error_envelope(self, response: requests.Response) -> None:
        """Raise ContractError unless the body is the API's error envelope.

        Used for responses that match no operation (an unknown path, a wrong method),
        checked against the `default` response of GET /profile, which every operation shares.
        """
        _path, _method, profile = self._operations["get-profile"]
        schema = next(response_schemas(profile, "default"))
        validator = OAS30ReadValidator(schema, format_checker=self._formats)
        try:
            body = response.json()
        except ValueError as error:
            raise ContractError(f"error response {response.status_code} is not JSON") from error
        problems = [
            _describe_schema_error(error, with_values=True) for error in validator.iter_errors(body)
        ]
        if problems or not body.get("errors"):
            lines = [line for problem in problems for line in problem]
            raise ContractError(
                f"error response {response.status_code} is not the error envelope:\n"
                + ("\n".join(lines) or "  errors: missing or empty")
            )

    def request_errors(self, request: requests.PreparedRequest) -> list[str]:
        """Return why the spec rejects a request (empty when it accepts it).

        The messages name the JSON location and the failed keyword, never the value, so a
        password sent in a negative test never reaches test output.
        """
        with warnings.catch_warnings():
            # openapi-core warns that it cannot check the spec's `oauth` scheme.
            warnings.simplefilter("ignore", UserWarning)
            result = self._app.unmarshal_request(self._mock_request(request))
        return [describe_error(error, with_values=False) for error in result.errors]


def describe_error(error: Exception, *, with_values: bool = True) -> str:
    """Render an openapi-core error with each underlying JSON Schema error on its own line."""
    schema_errors = getattr(error, "schema_errors", None)
    cause = error.__cause__
    if schema_errors is None and cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
    if not schema_errors:
        return f"{type(error).__name__}: {error if with_values else ''}".rstrip(": ")
    lines = []
    for schema_error in schema_errors:
        lines.extend(_describe_schema_error(schema_error, with_values=with_values))
    return f"{type(error).__name__}:\n" + "\n".join(lines)


def _describe_schema_error(error: Any, *, with_values: bool) -> list[str]:
    location = "/".join(str(part) for part in error.absolute_path) or "(body)"
    if error.context:
        # For oneOf/anyOf failures the useful reasons are in the branches.
        lines = [f"  {location}: no {error.validator} branch matched"]
        best = sorted(error.context, key=lambda sub: -len(sub.absolute_path))[:5]
        for sub in best:
            sub_lines = _describe_schema_error(sub, with_values=with_values)
            lines.extend("  " + line for line in sub_lines)
        return lines
    message = error.message if with_values else f"fails {error.validator}"
    if len(message) > 300:
        message = message[:300] + "..."
    return [f"  {location}: {message}"]
