"""A real Label Studio for end-to-end tests (shared with tests/review_export in one session)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def label_studio():
    from review_export import testing

    reason = testing.unavailable_reason()
    if reason:
        pytest.skip(reason)
    srv = testing.acquire_shared()
    try:
        yield srv
    finally:
        testing.release_shared()
