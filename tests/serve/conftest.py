from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from serve_fakes import KEYS, FakePipeline, FakeTerminology

from autocoder.serve.app import create_app
from autocoder.serve.settings import ServeSettings
from autocoder.serve.store import ReviewStore


@pytest.fixture()
def terminology():
    return FakeTerminology()


@pytest.fixture()
def db_url(tmp_path) -> str:
    """A fresh SQLite file; or, with AUTOCODER_TEST_DATABASE_URL set, that database emptied (so the whole
    serve suite can run on PostgreSQL)."""
    url = os.environ.get("AUTOCODER_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'review.db'}"
    from sqlalchemy import create_engine, text

    from autocoder.serve.store import Base

    eng = create_engine(url)
    with eng.begin() as c:
        c.execute(text("DROP TRIGGER IF EXISTS reviews_no_change ON reviews") if _has_reviews(eng) else text("SELECT 1"))
    Base.metadata.drop_all(eng)
    eng.dispose()
    return url


def _has_reviews(eng) -> bool:
    from sqlalchemy import inspect

    return inspect(eng).has_table("reviews")


@pytest.fixture()
def store(db_url, terminology):
    s = ReviewStore(db_url, terminology=terminology)
    yield s
    s.close()


@pytest.fixture()
def settings(db_url) -> ServeSettings:
    return ServeSettings(api_keys=KEYS, database_url=db_url, batch_chunk_size=2, start_worker=False)


@pytest.fixture()
def pipeline():
    return FakePipeline()


@pytest.fixture()
def client(settings, pipeline, store, terminology, autocoder_home):
    app = create_app(settings, pipeline=pipeline, store=store, terminology=terminology)
    with TestClient(app) as c:
        yield c

