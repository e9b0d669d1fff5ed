"""Shared fixtures. Every test runs with its own AUTOCODER_HOME so nothing leaks between tests or
into the developer's data directory; HF/MLflow stay offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
# Hermetic by default: tests never read the developer's .autocoder/ (imported NHS/HES code tables, trained
# models), so a run here sees exactly what CI's clean checkout sees. AUTOCODER_HOME set by the caller wins.
if "AUTOCODER_HOME" not in os.environ:
    import tempfile

    os.environ["AUTOCODER_HOME"] = tempfile.mkdtemp(prefix="autocoder-test-home-")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("AUTOCODER_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture()
def autocoder_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("AUTOCODER_HOME", str(home))
    return home


@pytest.fixture()
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared reference data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def label_studio():
    """A real Label Studio (url, token) shared by tests/review_export and tests/e2e for the whole session;
    skips with the reason when it is not installed (scripts/labelstudio.sh install)."""
    from review_export import testing

    reason = testing.unavailable_reason()
    if reason:
        pytest.skip(reason)
    srv = testing.acquire_shared()
    try:
        yield srv
    finally:
        testing.release_shared()
