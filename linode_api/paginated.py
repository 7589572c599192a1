"""`PaginatedList`: a lazy, read-only list over one of the API's paginated collections."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from linode_api.errors import UnexpectedResponseError

if TYPE_CHECKING:
    from linode_api.transport import Transport

T = TypeVar("T")


class PaginatedList(Sequence[T]):
    """The results of a list call, fetched page by page on demand.

    Nothing is sent until the list is used. `len()`, indexing (negative too),
    slicing (past the end as well, as a Python list does), iteration and truth
    tests behave like a list. Each page is fetched at most once, at the page
    size given (500, the API's maximum, by default), so N objects cost
    ceil(N / page_size) requests. Objects are built from the page data and
    need no further request to read their attributes.

    When objects are added or deleted between two page requests the pages can
    shift; the list then holds what each page returned when it was fetched.
    """

    def __init__(
        self,
        transport: Transport,
        path: str,
        factory: Callable[[dict[str, Any]], T],
        *,
        x_filter: dict[str, Any] | None = None,
        page_size: int = 500,
        empty: bool = False,
    ) -> None:
        self._transport = transport
        self._path = path
        self._factory = factory
        self._x_filter = x_filter
        self._page_size = page_size
        self._pages: dict[int, list[T]] = {}
        self._total: int | None = 0 if empty else None
        self._page_count = 0
        # The number of items on every page but the last, as the API applied it.
        self._items_per_page = page_size

    def __repr__(self) -> str:
        size = "not fetched yet" if self._total is None else f"{self._total} results"
        return f"<PaginatedList {self._path} ({size})>"

    @property
    def x_filter(self) -> dict[str, Any] | None:
        """The X-Filter value this list sends, or None when it sends none."""
        return self._x_filter

    def _fetch_page(self, number: int) -> list[T]:
        headers = {"X-Filter": json.dumps(self._x_filter)} if self._x_filter else None
        body = self._transport.request(
            "GET",
            self._path,
            params={"page": number, "page_size": self._page_size},
            headers=headers,
        )
        data = body.get("data")
        if not isinstance(data, list):
            raise UnexpectedResponseError(
                "expected a page with a 'data' list", method="GET", path=self._path
            )
        items = [self._factory(item) for item in data]
        self._pages[number] = items
        if number == 1:
            self._total = int(body.get("results", len(items)))
            self._page_count = int(body.get("pages", 1))
            if self._page_count > 1 and items:
                self._items_per_page = len(items)
        return items

    def _ensure_first_page(self) -> None:
        if self._total is None:
            self._fetch_page(1)

    def _page(self, number: int) -> list[T]:
        if number not in self._pages:
            return self._fetch_page(number)
        return self._pages[number]

    def __len__(self) -> int:
        self._ensure_first_page()
        assert self._total is not None
        return self._total

    def __bool__(self) -> bool:
        return len(self) > 0

    def _item(self, index: int) -> T:
        number, offset = divmod(index, self._items_per_page)
        page = self._page(number + 1)
        if offset >= len(page):
            raise IndexError(
                f"item {index} of {self._path} is missing: the collection changed while "
                "it was being listed"
            )
        return page[offset]

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        length = len(self)
        if isinstance(index, slice):
            return [self._item(position) for position in range(*index.indices(length))]
        if not isinstance(index, int):
            raise TypeError(f"list indices must be integers or slices, not {type(index).__name__}")
        position = index + length if index < 0 else index
        if not 0 <= position < length:
            raise IndexError(f"index {index} is out of range for {length} results")
        return self._item(position)

    def __iter__(self) -> Iterator[T]:
        length = len(self)
        if length == 0:
            return
        pages = max(self._page_count, math.ceil(length / self._items_per_page))
        for number in range(1, pages + 1):
            yield from self._page(number)

    def first(self) -> T | None:
        """Return the first result, or None when there is none."""
        return self[0] if len(self) else None

    def only(self) -> T:
        """Return the single result; raise LookupError when there are none or several."""
        length = len(self)
        if length != 1:
            raise LookupError(f"expected exactly one result from {self._path}, got {length}")
        return self[0]
