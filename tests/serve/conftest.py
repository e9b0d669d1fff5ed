from __future__ import annotations

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
    return f"sqlite:///{tmp_path / 'review.db'}"


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

