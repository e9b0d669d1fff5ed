"""The review store on PostgreSQL: set AUTOCODER_TEST_DATABASE_URL (e.g.
postgresql+psycopg://postgres@127.0.0.1:55432/postgres) and install a driver; skipped otherwise.
The database's tables are dropped and recreated."""

from __future__ import annotations

import os

import pytest
from serve_fakes import FakePipeline
from sqlalchemy import text

from autocoder.schemas import Episode, ReviewRecord
from autocoder.serve.store import Base, ReviewStore

URL = os.environ.get("AUTOCODER_TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not URL, reason="AUTOCODER_TEST_DATABASE_URL not set (PostgreSQL store test)")


@pytest.fixture()
def pg_store(terminology):
    s = ReviewStore(URL, terminology=terminology)
    with s.engine.begin() as c:
        c.execute(text("DROP TRIGGER IF EXISTS reviews_no_change ON reviews"))
    Base.metadata.drop_all(s.engine)
    s.close()
    s = ReviewStore(URL, terminology=terminology)
    yield s
    s.close()


def test_store_postgres_round_trip_append_only_and_batches(pg_store):
    pipe = FakePipeline()
    ep = Episode(id="PG-1", text="COPD hypertension")
    (res,) = pipe.predict([ep])
    pg_store.save_coded(ep, res, pipe.config_hash)
    assert pg_store.count_episodes("all") == 1
    rid = pg_store.add_review(ReviewRecord(episode_id="PG-1", reviewer="c", final_diagnoses=["J44.1"],
                                           decisions=[{"code": "I10", "decision": "rejected"}]))
    assert rid > 0 and pg_store.get("PG-1").reviews[0].final_diagnoses == ["J44.1"]
    for stmt in ("UPDATE reviews SET reviewer = 'x'", "DELETE FROM reviews"):
        with pytest.raises(Exception, match="append-only"), pg_store.engine.begin() as c:
            c.execute(text(stmt))
    assert [s.episode.id for s in pg_store.reviewed_since(None)] == ["PG-1"]
    pg_store.mark_exported(["PG-1"], "t")
    pg_store.mark_exported(["PG-1"], "t")
    assert pg_store.exported_ids("t") == {"PG-1"}
    pg_store.create_batch("b1", [(1, "A", Episode(id="A", text="COPD").model_dump_json(), None),
                                 (2, None, None, "line 2: malformed JSON")])
    (line,) = pg_store.pending_lines("b1", 10)
    (r2,) = pipe.predict([line[1]])
    pg_store.commit_batch_chunk("b1", [(1, line[1], r2)], [], pipe.config_hash)
    info = pg_store.batch_info("b1")
    assert (info.coded, info.failed, info.pending) == (1, 1, 0)
    assert len(pg_store.batch_results("b1")) == 1
