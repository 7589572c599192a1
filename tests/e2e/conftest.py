"""The running portal stack for the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import PortalStack


@pytest.fixture
def portal_stack(tmp_path) -> Iterator[PortalStack]:
    stack = PortalStack(tmp_path)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
