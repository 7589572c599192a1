"""The paginated envelope: `{"data": [...], "page": 1, "pages": 3, "results": 300}`."""

from __future__ import annotations

import math
from typing import Any

from flask import request

from linode_fake.errors import FieldErrors

MIN_PAGE_SIZE = 25
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100


def _integer_arg(name: str, errors: FieldErrors) -> int | None:
    text = request.args.get(name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        errors.add(name, f"{name} must be an integer, got {text!r}")
        return None


def page_arguments() -> tuple[int, int]:
    """Read and check `page` (1 or more) and `page_size` (25 to 500)."""
    errors = FieldErrors()
    page = _integer_arg("page", errors)
    page_size = _integer_arg("page_size", errors)
    if page is not None and page < 1:
        errors.add("page", f"page must be 1 or more, got {page}")
    if page_size is not None and not MIN_PAGE_SIZE <= page_size <= MAX_PAGE_SIZE:
        errors.add(
            "page_size",
            f"page_size must be between {MIN_PAGE_SIZE} and {MAX_PAGE_SIZE}, got {page_size}",
        )
    errors.raise_if_any()
    return page or 1, page_size or DEFAULT_PAGE_SIZE


def paginate(items: list[Any], *, paged: bool = True) -> dict[str, Any]:
    """Cut one page out of `items` and wrap it in the envelope.

    `paged=False` serves collections that declare no page parameters
    (regions, types): every item on page 1, still in the envelope.
    """
    if not paged:
        return {"data": items, "page": 1, "pages": 1, "results": len(items)}
    page, page_size = page_arguments()
    pages = max(1, math.ceil(len(items) / page_size))
    start = (page - 1) * page_size
    return {
        "data": items[start : start + page_size],
        "page": page,
        "pages": pages,
        "results": len(items),
    }
