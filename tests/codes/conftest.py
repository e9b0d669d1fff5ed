"""Fixtures for the codes tests: a private AUTOCODER_HOME per module (so no imported table from the
developer's data directory leaks in) and a fresh terminology for tests that import tables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autocoder.codes import reset_terminology

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codes"


@pytest.fixture(scope="module", autouse=True)
def _empty_codes_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("codes_home")
    old = os.environ.get("AUTOCODER_HOME")
    os.environ["AUTOCODER_HOME"] = str(home)
    reset_terminology()
    yield home
    if old is None:
        os.environ.pop("AUTOCODER_HOME", None)
    else:
        os.environ["AUTOCODER_HOME"] = old
    reset_terminology()


@pytest.fixture()
def fresh_home(autocoder_home):
    """An empty AUTOCODER_HOME for this test; the terminology is rebuilt before and after."""
    reset_terminology()
    yield autocoder_home
    reset_terminology()


@pytest.fixture()
def fixtures_dir() -> Path:
    return FIXTURES
