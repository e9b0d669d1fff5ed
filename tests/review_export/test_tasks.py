from review_export import labelling as L
from review_export.tasks import build_task


def _res(items, name):
    return [r for r in items if r["from_name"] == name]


def test_tasks_prediction_carries_model_version_confidence_codes_and_evidence(stored_factory):
    task = build_task(stored_factory(1))
    assert task["data"]["episode_id"] == "EP-1"
    pred = task["predictions"][0]
    assert pred["model_version"] == "autocoder@1" and pred["score"] == 0.72
    assert _res(pred["result"], L.DX_CODES)[0]["value"]["choices"] == [
        "J44.1 COPD with acute exacerbation", "I10 Essential hypertension"]
    spans = _res(pred["result"], L.EVIDENCE)
    text = task["data"]["text"]
    assert {s["value"]["labels"][0] for s in spans} == {"DIAGNOSIS", "PROCEDURE"}
    for s in spans:
        assert text[s["value"]["start"]:s["value"]["end"]] == s["value"]["text"]


def test_tasks_options_hold_final_suggested_and_top_alternatives(stored_factory):
    task = build_task(stored_factory(2, ["J18.9", "I10"]), n_alternatives=0)
    codes = [L.option_code(o["value"]) for o in task["data"]["dx_options"]]
    assert codes == ["J18.9", "I10", "J44.1"]  # coder's final first, then the rest of the suggestion
    task = build_task(stored_factory(1), n_alternatives=2)
    assert [L.option_code(o["value"]) for o in task["data"]["dx_options"]] == ["J44.1", "I10", "J18.9", "J45.9"]


def test_tasks_annotation_is_coders_review_with_decision(stored_factory):
    ann = build_task(stored_factory(1))["annotations"][0]["result"]
    assert _res(ann, L.DECISION)[0]["value"]["choices"] == ["accepted"]
    ann = build_task(stored_factory(2, ["J18.9", "I10"], comment="pneumonia, not COPD"))["annotations"][0]["result"]
    assert _res(ann, L.DECISION)[0]["value"]["choices"] == ["corrected"]
    assert [L.option_code(v) for v in _res(ann, L.DX_CODES)[0]["value"]["choices"]] == ["J18.9", "I10"]
    assert _res(ann, L.PRIMARY_DX)[0]["value"]["choices"][0].startswith("J18.9")
    assert _res(ann, L.NOTE)[0]["value"]["text"] == ["pneumonia, not COPD"]
    # evidence only for codes the coder kept
    assert [s["meta"]["text"][0] for s in _res(ann, L.EVIDENCE)] == ["I10", "E85.1"]


def test_tasks_no_procedures_means_no_procedure_results(stored_factory):
    ann = build_task(stored_factory(3, ["J44.1"], []))["annotations"][0]["result"]
    assert not _res(ann, L.PROC_CODES) and not _res(ann, L.PRIMARY_PROC)
