"""The lazy object model shared by every API resource.

An `ApiObject` is created with its identifiers only and sends nothing until
an attribute it does not have is read. It then loads the object once with a
GET. Attributes are declared with `Field` (read-only) and `MutableField`
(writable through `save()`). Values are presented as Python types:
timestamps become aware UTC datetimes, related ids become lazy objects
(`linode.region` is a `Region`), nested objects become `Nested` views whose
keys read as attributes, and fields a newer API adds are kept and readable.

Local changes are tracked by field path ("label", "alerts.cpu"). A load never
overwrites a change that is not saved yet, and `save()` sends a PUT with only
the mutable fields whose values differ from what was loaded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar, overload
from urllib.parse import quote

from linode_api.timestamps import format_timestamp, parse_timestamp

if TYPE_CHECKING:
    from linode_api.client import LinodeClient

T = TypeVar("T")

_MISSING: Any = object()


class Field(Generic[T]):
    """A read-only attribute of an API object.

    `api_name` is the key in the API's JSON when it differs from the Python
    name (for example "class" for `class_`). `timestamp=True` parses the
    value into an aware datetime; `related` turns an id into a lazy object.
    `timestamps` names nested paths that hold timestamps, and `mutable_paths`
    names nested paths (below this field) that `save()` may send.
    """

    mutable: ClassVar[bool] = False

    def __init__(
        self,
        api_name: str | None = None,
        *,
        timestamp: bool = False,
        related: Callable[[LinodeClient, Any], Any] | None = None,
        timestamps: tuple[str, ...] = (),
        mutable_paths: tuple[str, ...] = (),
    ) -> None:
        self.api_name = api_name or ""
        self.name = ""
        self.timestamp = timestamp
        self.related = related
        self.timestamps = timestamps
        self.mutable_paths = mutable_paths

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name
        if not self.api_name:
            self.api_name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, obj: ApiObject, owner: type[Any]) -> T: ...

    def __get__(self, obj: ApiObject | None, owner: type[Any]) -> Self | T:
        if obj is None:
            return self
        value: T = obj._read(self.api_name)
        return value


class MutableField(Field[T]):
    """An attribute that can be assigned and sent with `save()`."""

    mutable = True

    def __set__(self, obj: ApiObject, value: T) -> None:
        obj._assign(self.api_name, value)


class Nested:
    """A nested JSON object of an API object, read (and where allowed, written) as attributes.

    `linode.specs.memory` and `linode.alerts.cpu` read through to the owner,
    so a change such as `linode.alerts.cpu = 50` is tracked for `save()`.
    Keys that are not Python names read with `nested["site-type"]`.
    """

    __slots__ = ("_owner", "_path")

    def __init__(self, owner: ApiObject, path: str) -> None:
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = self._owner._read(f"{self._path}.{name}", missing_ok=True)
        if value is _MISSING:
            raise AttributeError(f"{self._path} of {self._owner!r} has no key {name!r}")
        return value

    def __getitem__(self, key: str) -> Any:
        value = self._owner._read(f"{self._path}.{key}", missing_ok=True)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        self._owner._assign(f"{self._path}.{name}", value)

    def __contains__(self, key: object) -> bool:
        return key in self.to_dict()

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value at `key`, or `default` when the key is missing."""
        try:
            return self[key]
        except KeyError:
            return default

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Nested):
            return self.to_dict() == other.to_dict()
        if isinstance(other, Mapping):
            return self.to_dict() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """Return the nested object as JSON data, with unsaved local changes applied."""
        value = self._owner._raw_value(self._path)
        return copy.deepcopy(value) if isinstance(value, dict) else {}

    def __repr__(self) -> str:
        return f"Nested({self.to_dict()!r})"


class Record:
    """A read-only JSON object inside a list, such as one entry of `region_prices`."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_data", dict(data))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return _present_plain(self._data[name])
        except KeyError:
            raise AttributeError(
                f"record has no key {name!r}; keys: {sorted(self._data)}"
            ) from None

    def __getitem__(self, key: str) -> Any:
        return _present_plain(self._data[key])

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{name} is read-only")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record):
            return bool(self._data == other._data)
        if isinstance(other, Mapping):
            return bool(self._data == dict(other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value at `key`, or `default` when the key is missing."""
        return _present_plain(self._data[key]) if key in self._data else default

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON data."""
        return copy.deepcopy(self._data)

    def __repr__(self) -> str:
        return f"Record({self._data!r})"


def _present_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return Record(value)
    if isinstance(value, list):
        return [_present_plain(item) for item in value]
    return value


def serialize(value: Any) -> Any:
    """Turn a value assigned to a field into JSON data: objects become ids, datetimes strings."""
    if isinstance(value, ApiObject):
        return value._filter_value()
    if isinstance(value, Nested | Record):
        return value.to_dict()
    if hasattr(value, "isoformat") and hasattr(value, "tzinfo"):
        return format_timestamp(value)
    if isinstance(value, Mapping):
        return {str(key): serialize(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [serialize(item) for item in value]
    return value


def _get_path(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return _MISSING
        data = data[part]
    return data


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        child = data.get(part)
        if not isinstance(child, dict):
            child = {}
            data[part] = child
        data = child
    data[parts[-1]] = value


class ApiObject:
    """Base class of every API resource.

    Subclasses set `api_path`, a template such as "/linode/instances/{id}"
    whose placeholders are the identifiers, and `parent_ids` for objects that
    live under a parent (`Disk(client, 456, 123)` has parent id `linode_id`).
    """

    api_path: ClassVar[str] = ""
    parent_ids: ClassVar[tuple[str, ...]] = ()
    # The entity type the API writes in events about this kind of object.
    event_entity_type: ClassVar[str | None] = None
    _fields: ClassVar[dict[str, Field[Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, Field[Any]] = {}
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                if isinstance(value, Field):
                    fields[value.api_name] = value
        cls._fields = fields

    def __init__(
        self,
        client: LinodeClient,
        id: Any,
        *parent_ids: Any,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        if len(parent_ids) != len(self.parent_ids):
            names = ", ".join(("id", *self.parent_ids))
            raise TypeError(f"{type(self).__name__} takes the identifiers ({names})")
        if id is None or id == "":
            raise ValueError(f"{type(self).__name__} needs an id, got {id!r}")
        ids = {"id": id, **dict(zip(self.parent_ids, parent_ids, strict=True))}
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_ids", ids)
        self._reset()
        if data is not None:
            self._apply_data(data)

    def _reset(self) -> None:
        object.__setattr__(self, "_data", {})
        object.__setattr__(self, "_loaded", False)
        object.__setattr__(self, "_changes", {})
        object.__setattr__(self, "_views", {})
        object.__setattr__(self, "_related_cache", {})
        object.__setattr__(self, "_collections", {})

    _client: LinodeClient
    _ids: dict[str, Any]
    _data: dict[str, Any]
    _loaded: bool
    _changes: dict[str, Any]
    _views: dict[str, tuple[Any, Any]]
    _related_cache: dict[str, Any]
    _collections: dict[str, Any]

    # Identity

    @property
    def id(self) -> Any:
        """The object's identifier (an integer, or a string for regions, types and images)."""
        return self._ids["id"]

    def _filter_value(self) -> Any:
        return self._ids["id"]

    @property
    def api_url(self) -> str:
        """The object's path below the API's base URL."""
        quoted = {key: quote(str(value), safe="/") for key, value in self._ids.items()}
        return self.api_path.format(**quoted)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ApiObject):
            return NotImplemented
        return type(self) is type(other) and self._ids == other._ids

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self._ids.items()))))

    def __repr__(self) -> str:
        ids = ", ".join(f"{key}={value!r}" for key, value in self._ids.items())
        label = self._data.get("label")
        suffix = f", label={label!r}" if isinstance(label, str) else ""
        return f"{type(self).__name__}({ids}{suffix})"

    # Loading

    @property
    def loaded(self) -> bool:
        """Whether the object contains the API's data (reading attributes then sends nothing)."""
        return bool(self._loaded)

    def _load(self) -> None:
        data = self._client.transport.request("GET", self.api_url)
        self._apply_data(data, owned=True)

    def reload(self) -> Self:
        """Fetch the object again now, keeping local changes that are not saved yet."""
        self._load()
        return self

    def _apply_data(self, data: Mapping[str, Any], *, owned: bool = False) -> None:
        """Replace the loaded data; unsaved local changes stay and keep precedence.

        With `owned=True` the object keeps `data`'s nested lists and dicts
        without copying them. Pass it only for JSON parsed for this object
        alone (a response body or one item of a page) that no other code
        keeps. A deep copy of 500 Linodes' data costs more than building the
        objects. Nothing here edits `_data` in place: readers get copies of
        dicts and of mutable lists, so the data stays the snapshot that
        `save()` compares against.
        """
        for path, (view, snapshot) in list(self._views.items()):
            if view != snapshot and path not in self._changes:
                self._changes[path] = view
        self._views.clear()
        self._related_cache.clear()
        new_data = dict(data) if owned else copy.deepcopy(dict(data))
        for name, value in self._ids.items():
            new_data.setdefault(name, value)
        object.__setattr__(self, "_data", new_data)
        object.__setattr__(self, "_loaded", True)

    def _take_data(self, data: dict[str, Any]) -> Self:
        """Load `data`, freshly parsed JSON that no other code keeps, without copying it."""
        self._apply_data(data, owned=True)
        return self

    def _mark_stale(self) -> None:
        """Forget the loaded data so the next read fetches it; keep local changes."""
        for path, (view, snapshot) in list(self._views.items()):
            if view != snapshot and path not in self._changes:
                self._changes[path] = view
        self._views.clear()
        self._related_cache.clear()
        object.__setattr__(self, "_data", {})
        object.__setattr__(self, "_loaded", False)

    def invalidate(self) -> None:
        """Drop everything but the identifiers: loaded data, unsaved changes, related lists."""
        self._reset()

    # Reading

    def _raw_value(self, path: str) -> Any:
        """Return the JSON value at `path` with local changes applied, loading if needed."""
        top = path.split(".", 1)[0]
        if top in self._ids and "." not in path:
            return self._ids[top]
        if path in self._changes:
            return serialize(self._changes[path])
        for prefix, value in self._changes.items():
            if path.startswith(prefix + "."):
                return _get_path(serialize(value), path[len(prefix) + 1 :])
        if top not in self._data and not self._loaded:
            self._load()
        value = _get_path(self._data, path)
        if isinstance(value, dict):
            value = copy.deepcopy(value)
            for changed_path, changed in self._changes.items():
                if changed_path.startswith(path + "."):
                    _set_path(value, changed_path[len(path) + 1 :], serialize(changed))
        return value

    def _read(self, path: str, *, missing_ok: bool = False) -> Any:
        if path in self._ids:
            return self._ids[path]
        if path in self._changes:
            return self._changes[path]
        if path in self._views:
            return self._views[path][0]
        value = self._raw_value(path)
        top = path.split(".", 1)[0]
        field = self._fields.get(top)
        if value is _MISSING:
            if missing_ok:
                return _MISSING
            if field is not None:
                return None  # a documented field this API version left out
            raise AttributeError(f"{type(self).__name__} has no attribute {path!r}")
        return self._present(path, field, value)

    def _present(self, path: str, field: Field[Any] | None, value: Any) -> Any:
        if value is None:
            return None
        subpath = path.split(".", 1)[1] if "." in path else ""
        if field is not None:
            if not subpath and field.related is not None:
                if path not in self._related_cache:
                    self._related_cache[path] = field.related(self._client, value)
                return self._related_cache[path]
            if (not subpath and field.timestamp) or (subpath and subpath in field.timestamps):
                return parse_timestamp(value) if isinstance(value, str) else value
        if isinstance(value, dict):
            return Nested(self, path)
        if isinstance(value, list):
            if self._is_mutable(path):
                view = copy.deepcopy(value)
                self._views[path] = (view, copy.deepcopy(value))
                return view
            return [_present_plain(item) for item in value]
        return value

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *(key for key in self._data if key.isidentifier())})

    def __getattr__(self, name: str) -> Any:
        # Reached only for names that are not declared fields: keep what a newer API added.
        if name.startswith("_"):
            raise AttributeError(name)
        return self._read(name)

    # Writing

    def _is_mutable(self, path: str) -> bool:
        top, _, rest = path.partition(".")
        field = self._fields.get(top)
        if field is None:
            return False
        if field.mutable:
            return True
        return any(
            rest == allowed or rest.startswith(allowed + ".") for allowed in field.mutable_paths
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        field = next((f for f in self._fields.values() if f.name == name), None)
        if field is None:
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r} that can be assigned"
            )
        self._assign(field.api_name, value)

    def _assign(self, path: str, value: Any) -> None:
        if not self._is_mutable(path):
            top = path.split(".", 1)[0]
            reason = "read-only" if top in self._fields else "not a field of this object"
            raise AttributeError(f"{type(self).__name__}.{path} is {reason}; it cannot be assigned")
        self._views.pop(path, None)
        for prefix in list(self._changes):
            if prefix.startswith(path + "."):
                del self._changes[prefix]
            elif path.startswith(prefix + ".") and isinstance(self._changes[prefix], dict):
                parent = copy.deepcopy(self._changes[prefix])
                _set_path(parent, path[len(prefix) + 1 :], value)
                self._changes[prefix] = parent
                return
        self._changes[path] = value

    def pending_changes(self) -> dict[str, Any]:
        """Return the JSON body `save()` would send: changed mutable fields only."""
        changed: dict[str, Any] = {}
        candidates = dict(self._changes)
        for path, (view, snapshot) in self._views.items():
            if path not in candidates and view != snapshot:
                candidates[path] = view
        for path, value in candidates.items():
            new_value = serialize(value)
            if self._loaded and _get_path(self._data, path) == new_value:
                continue
            _set_path(changed, path, copy.deepcopy(new_value))
        return changed

    def save(self) -> bool:
        """Send a PUT with the fields changed since the last load; return whether one was sent.

        Fields that were not changed are left out of the body, so a concurrent
        edit of another field is not overwritten.
        """
        body = self.pending_changes()
        if not body:
            return False
        data = self._client.transport.request("PUT", self.api_url, json_body=body)
        self._changes.clear()
        self._views.clear()
        if data:
            self._apply_data(data, owned=True)
        else:
            self._mark_stale()
        return True

    def delete(self) -> None:
        """Delete the object (a 200 or 204 response both mean success)."""
        self._client.transport.request("DELETE", self.api_url)
        self.invalidate()

    # Helpers for subclasses

    def _post_action(self, action: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._client.transport.request(
            "POST", f"{self.api_url}/{action}", json_body=dict(body) if body else None
        )

    def _related_list(self, name: str, factory: Callable[[], T]) -> T:
        """Return a related collection, built on first use and kept until `invalidate()`."""
        if name not in self._collections:
            self._collections[name] = factory()
        value: T = self._collections[name]
        return value

    @classmethod
    def filter_aliases(cls) -> dict[str, str]:
        """Map Python attribute names to the API's field names where they differ."""
        return {f.name: f.api_name for f in cls._fields.values() if f.name != f.api_name}
