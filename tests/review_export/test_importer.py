import json

import pytest

from autocoder.errors import RecordError
from autocoder.io import load_episodes
from review_export.importer import choose_annotation, episodes_from_export, load_export_file, write_feedback
from review_export.tasks import build_task


def _exported(task: dict, task_id: int = 1) -> dict:
    """What Label Studio's JSON export returns for an imported task (ids and timestamps added)."""
    ann = dict(task["annotations"][0], id=task_id * 10, was_cancelled=False, ground_truth=False,
               created_at="2026-11-25T09:00:00Z", updated_at="2026-11-25T09:00:00Z")
    return {"id": task_id, "data": task["data"], "annotations": [ann], "predictions": [task_id]}


def _ann(aid, result, created, updated=None, **kw):
    return {"id": aid, "result": result, "was_cancelled": False, "ground_truth": False,
            "created_at": created, "updated_at": updated or created, **kw}


def _codes(ctl, *opts):
    return {"from_name": ctl, "to_name": "letter", "type": "choices", "value": {"choices": list(opts)}}


def test_importer_coders_review_becomes_gold(stored_factory):
    row = _exported(build_task(stored_factory(2, ["J18.9", "I10"], comment="pneumonia")))
    eps, stats = episodes_from_export([row])
    assert eps[0]["id"] == "EP-2" and eps[0]["diagnoses"] == ["J18.9", "I10"] and eps[0]["procedures"] == ["E85.1"]
    assert eps[0]["sex"] == "F" and eps[0]["age"] == 70 and eps[0]["text"].startswith("Discharge")
    assert eps[0]["feedback"]["decision"] == "corrected" and eps[0]["feedback"]["note"] == "pneumonia"
    assert stats.corrections == 1 and stats.accepted == 0 and stats.episodes == 1


def test_importer_later_engineer_annotation_overrides_coder(stored_factory):
    row = _exported(build_task(stored_factory(1)))
    row["annotations"].append(_ann(99, [_codes("dx_codes", "J44.1 COPD"),
                                        {"from_name": "extra_diagnoses", "to_name": "letter", "type": "textarea",
                                         "value": {"text": ["*I48.9 atrial fibrillation"]}},
                                        _codes("decision", "corrected")], "2026-11-25T10:00:00Z"))
    eps, stats = episodes_from_export([row])
    assert eps[0]["diagnoses"] == ["I48.9", "J44.1"] and eps[0]["procedures"] == []
    assert eps[0]["feedback"]["annotation_id"] == 99 and stats.overridden == 1 and stats.corrections == 1


def test_importer_updated_coder_annotation_wins_over_older_engineer_one():
    anns = [_ann(1, [], "2026-11-25T09:00:00Z", "2026-11-25T11:00:00Z"), _ann(2, [], "2026-11-25T10:00:00Z")]
    assert choose_annotation(anns)["id"] == 1


def test_importer_ground_truth_wins_over_latest_and_cancelled_is_ignored():
    anns = [_ann(1, [], "2026-11-25T09:00:00Z", ground_truth=True), _ann(2, [], "2026-11-25T10:00:00Z"),
            _ann(3, [], "2026-11-25T12:00:00Z", was_cancelled=True)]
    assert choose_annotation(anns)["id"] == 1
    assert choose_annotation([anns[1], anns[2]])["id"] == 2
    assert choose_annotation([anns[2]]) is None


def test_importer_only_cancelled_annotations_give_no_episode(stored_factory):
    row = _exported(build_task(stored_factory(1)))
    row["annotations"][0]["was_cancelled"] = True
    eps, stats = episodes_from_export([row])
    assert eps == [] and stats.without_annotation == 1 and stats.cancelled_ignored == 1


def test_importer_accepted_without_ticks_takes_the_suggestion(stored_factory):
    row = _exported(build_task(stored_factory(3, ["J44.1", "I48.9"], [])))
    row["annotations"].append(_ann(7, [_codes("decision", "Accepted as suggested")], "2026-11-25T10:00:00Z"))
    eps, stats = episodes_from_export([row])
    assert eps[0]["diagnoses"] == ["J44.1", "I10"] and eps[0]["procedures"] == ["E85.1"]
    assert stats.accepted == 1 and stats.corrections == 0


def test_importer_bad_typed_code_is_a_named_problem_not_a_crash(stored_factory):
    row = _exported(build_task(stored_factory(1)))
    row["annotations"].append(_ann(8, [_codes("dx_codes", "J44.1 COPD"),
                                       {"from_name": "extra_procedures", "to_name": "letter", "type": "textarea",
                                        "value": {"text": ["E8"]}}], "2026-11-25T10:00:00Z"))
    eps, stats = episodes_from_export([row])
    assert eps[0]["diagnoses"] == ["J44.1"]
    assert stats.problems and "EP-1" in stats.problems[0]


def test_importer_task_without_episode_id_names_the_task():
    with pytest.raises(RecordError, match="id '5'.*episode_id"):
        episodes_from_export([{"id": 5, "data": {"text": "x"}, "annotations": []}])


def test_importer_rejects_json_min_export(tmp_path):
    p = tmp_path / "min.json"
    p.write_text(json.dumps([{"id": 1, "text": "x", "episode_id": "EP-1", "decision": "accepted"}]))
    with pytest.raises(RecordError, match="JSON_MIN"):
        load_export_file(p)


def test_importer_feedback_file_is_readable_as_episodes(stored_factory, tmp_path):
    rows = [_exported(build_task(stored_factory(i, ["J18.9"])), i) for i in (1, 2)]
    eps, _ = episodes_from_export(rows)
    out = tmp_path / "feedback.jsonl"
    assert write_feedback(eps, out) == 2
    back = load_episodes(out)
    assert [e.id for e in back] == ["EP-1", "EP-2"] and back[0].diagnoses == ["J18.9"]
