"""Round trip through a real Label Studio 1.23.2 (session fixture; skipped when .venv-ls is missing)."""

import pytest

from autocoder.errors import ServiceUnavailableError
from review_export.client import LabelStudioClient
from review_export.exporter import export_to_label_studio
from review_export.importer import episodes_from_export

pytestmark = [pytest.mark.slow, pytest.mark.labelstudio]


def test_live_export_is_idempotent_and_engineer_annotation_wins_on_import(label_studio, fake_store,
                                                                          store_factory):
    client = LabelStudioClient(label_studio.url, label_studio.token)
    rep = export_to_label_studio(fake_store, client, "live round trip")
    assert rep.exported == 3
    assert export_to_label_studio(fake_store, client, "live round trip").exported == 0
    # a store that forgot what it exported still adds nothing: the project is checked by episode id
    assert export_to_label_studio(store_factory(fake_store.items), client, "live round trip").already_in_project == 3

    ls = client._sdk()
    task_of = {t.data["episode_id"]: t.id for t in ls.tasks.list(project=rep.project_id, fields="all")}
    assert len(task_of) == 3
    ls.annotations.create(id=task_of["EP-1"], result=[
        {"from_name": "dx_codes", "to_name": "letter", "type": "choices",
         "value": {"choices": ["J44.1 COPD with acute exacerbation"]}},
        {"from_name": "extra_diagnoses", "to_name": "letter", "type": "textarea",
         "value": {"text": ["I48.9"]}},
        {"from_name": "decision", "to_name": "letter", "type": "choices", "value": {"choices": ["corrected"]}}])
    ls.annotations.create(id=task_of["EP-2"], was_cancelled=True, result=[])

    rows = client.export_json(rep.project_id)
    assert all(isinstance(p, dict) for r in rows for p in r["predictions"])  # full predictions, not ids
    eps, stats = episodes_from_export(rows)
    by_id = {e["id"]: e for e in eps}
    assert by_id["EP-1"]["diagnoses"] == ["J44.1", "I48.9"] and by_id["EP-1"]["procedures"] == []
    assert by_id["EP-2"]["diagnoses"] == ["J18.9", "I10"]  # cancelled engineer annotation ignored
    assert by_id["EP-3"]["diagnoses"] == ["J44.1", "I48.9"] and by_id["EP-3"]["procedures"] == []
    assert stats.overridden == 1 and stats.cancelled_ignored == 1


def test_live_wrong_token_is_http_401_and_marks_nothing(label_studio, fake_store):
    client = LabelStudioClient(label_studio.url, "not-the-token-0000")
    with pytest.raises(ServiceUnavailableError, match="HTTP 401"):
        export_to_label_studio(fake_store, client, "live wrong token")
    assert fake_store.marks == {}
