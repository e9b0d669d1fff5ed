"""ReviewStore: the docs/INTERFACES.md API, the append-only audit trail and export marks."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from serve_fakes import FakePipeline
from sqlalchemy import delete, select, update

from autocoder.schemas import Episode, ReviewRecord
from autocoder.serve.store import (
    AppendOnlyError,
    EpisodeNotFoundError,
    ReviewRow,
    ReviewStore,
    ReviewValidationError,
)


def _coded(store: ReviewStore, ep_id: str, text: str, pipe: FakePipeline | None = None):
    pipe = pipe or FakePipeline()
    ep = Episode(id=ep_id, text=text)
    (res,) = pipe.predict([ep])
    store.save_coded(ep, res, pipe.config_hash)
    return res


def _review(ep_id: str, reviewer: str = "coder-1", **kw) -> ReviewRecord:
    base = {"episode_id": ep_id, "reviewer": reviewer, "decisions": [{"code": "J44.1", "decision": "accepted"}],
            "final_diagnoses": ["J44.1"]}
    base.update(kw)
    return ReviewRecord.model_validate(base)


def test_store_default_url_is_sqlite_wal_in_data_home(autocoder_home, terminology):
    s = ReviewStore(terminology=terminology)
    try:
        assert s.url == f"sqlite:///{autocoder_home / 'review.db'}"
        _coded(s, "EP-1", "COPD")
        with s.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        s.close()


def test_store_save_get_keeps_model_version_config_hash_and_history(store):
    _coded(store, "EP-1", "COPD", FakePipeline("fake@1", "h1"))
    _coded(store, "EP-1", "COPD hypertension", FakePipeline("fake@2", "h2"))
    st = store.get("EP-1")
    assert (st.model_version, st.config_hash) == ("fake@2", "h2")
    assert st.result.diagnosis_codes() == ["J44.1", "I10"] and st.episode.text == "COPD hypertension"
    with store.engine.connect() as c:   # every coding event is kept
        rows = c.exec_driver_sql("SELECT model_version, config_hash FROM coding_events ORDER BY id").all()
    assert [tuple(r) for r in rows] == [("fake@1", "h1"), ("fake@2", "h2")]
    with pytest.raises(EpisodeNotFoundError, match="'nope'"):
        store.get("nope")


def test_store_list_episodes_status_and_pagination(store):
    for i, t in enumerate(["pneumonia", "COPD", "diabetes", "pneumonia COPD"]):
        _coded(store, f"EP-{i}", t)
    assert store.count_episodes("needs_review") == 3 and store.count_episodes("all") == 4
    page1 = store.list_episodes("needs_review", limit=2, offset=0)
    page2 = store.list_episodes("needs_review", limit=2, offset=2)
    ids = [i.id for i in page1 + page2]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert page1[0].confidence <= page1[1].confidence <= page2[0].confidence
    store.add_review(_review("EP-3", final_diagnoses=["J44.1", "J18.9"],
                             decisions=[{"code": "J44.1", "decision": "accepted"}]))
    assert store.count_episodes("needs_review") == 2 and store.count_episodes("reviewed") == 1
    assert [i.id for i in store.list_episodes("reviewed", 10, 0)] == ["EP-3"]
    with pytest.raises(ValueError, match="status"):
        store.list_episodes("bogus", 10, 0)


def test_store_reviews_are_append_only(store, db_url):
    _coded(store, "EP-1", "COPD")
    rid = store.add_review(_review("EP-1"))
    with store._session() as s:
        row = s.get(ReviewRow, rid)
        row.reviewer = "someone else"
        with pytest.raises(AppendOnlyError):
            s.commit()
    with store._session() as s, pytest.raises(AppendOnlyError):
        s.delete(s.get(ReviewRow, rid))
        s.commit()
    # bulk SQL bypasses the ORM guard: the database trigger still refuses
    for stmt in (update(ReviewRow).values(reviewer="x"), delete(ReviewRow)):
        with pytest.raises(Exception, match="append-only"), store.engine.begin() as c:
            c.execute(stmt)
    if db_url.startswith("sqlite"):   # another client than SQLAlchemy is refused too
        con = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM reviews")
        con.close()
    with store._session() as s:
        assert s.scalars(select(ReviewRow.reviewer)).all() == ["coder-1"]


def test_store_review_validation_lists_every_problem(store):
    _coded(store, "EP-1", "COPD hypertension ventilation")
    rec = _review("EP-1", decisions=[{"code": "J18.9", "decision": "rejected"},
                                     {"code": "I10", "decision": "added"},
                                     {"code": "XX", "decision": "added"}],
                  final_diagnoses=["J44.1", "Q99.9"], final_procedures=["E851"])
    with pytest.raises(ReviewValidationError) as ei:
        store.add_review(rec)
    fields = {(p.field, p.code) for p in ei.value.problems}
    assert fields == {("final_diagnoses[1]", "Q99.9"), ("decisions[0].code", "J18.9"),
                      ("decisions[1].code", "I10"), ("decisions[2].code", "XX")}
    assert store.get("EP-1").reviews == []   # nothing stored


def test_store_review_codes_are_normalised_and_system_follows_the_lists(store):
    _coded(store, "EP-1", "COPD ventilation")
    rid = store.add_review(_review("EP-1", decisions=[{"code": "j441", "decision": "accepted"},
                                                      {"code": "E851", "decision": "accepted"},
                                                      {"code": "G45.1", "decision": "added"}],
                                   final_diagnoses=["J44.1"], final_procedures=["G451", "E85.1"]))
    rec = store.get("EP-1").reviews[0]
    assert rid > 0 and rec.final_procedures == ["G45.1", "E85.1"]
    assert [d.code for d in rec.decisions] == ["J44.1", "E85.1", "G45.1"]
    assert rec.model_version == "fake@1" and rec.decided_at


def test_store_reviewed_since_returns_latest_review_per_episode(store):
    _coded(store, "EP-1", "COPD hypertension")
    _coded(store, "EP-2", "COPD")
    _coded(store, "EP-3", "COPD")
    store.add_review(_review("EP-1", "a", final_diagnoses=["J44.1", "I10"]))
    store.add_review(_review("EP-2", "b"))
    store.add_review(_review("EP-1", "c", final_diagnoses=["J44.1"],
                             decisions=[{"code": "I10", "decision": "rejected"}]))
    items = store.reviewed_since(None)
    assert sorted(i.episode.id for i in items) == ["EP-1", "EP-2"]
    latest = {i.episode.id: i.reviews for i in items}
    assert [r.reviewer for r in latest["EP-1"]] == ["c"]
    assert store.reviewed_since(datetime.now(UTC) + timedelta(minutes=1)) == []
    assert len(store.reviewed_since(datetime.now(UTC) - timedelta(minutes=1))) == 2
    assert isinstance(items[0].result.diagnoses[0].code, str) and items[0].config_hash == "cfg-fake-1"


def test_store_export_marks_per_target(store):
    store.mark_exported(["EP-1", "EP-2", "EP-1"], "ls:proj")
    store.mark_exported(["EP-2", "EP-3"], "ls:proj")
    store.mark_exported([], "ls:proj")
    assert store.exported_ids("ls:proj") == {"EP-1", "EP-2", "EP-3"}
    assert store.exported_ids("other") == set()


def test_store_second_instance_on_same_file_sees_everything(store, db_url, terminology):
    _coded(store, "EP-1", "COPD")
    store.add_review(_review("EP-1"))
    other = ReviewStore(db_url, terminology=terminology)
    try:
        assert len(other.get("EP-1").reviews) == 1
    finally:
        other.close()
