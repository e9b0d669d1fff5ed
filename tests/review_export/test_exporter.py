import json

import pytest

from autocoder.errors import ServiceUnavailableError
from review_export.exporter import export_to_file, export_to_label_studio, target_name


def test_exporter_twice_adds_no_duplicates(fake_store, client_factory):
    client = client_factory()
    rep = export_to_label_studio(fake_store, client, "audit project")
    assert rep.exported == 3 and len(client.tasks[rep.project_id]) == 3
    rep2 = export_to_label_studio(fake_store, client, "audit project")
    assert rep2.exported == 0 and rep2.already_marked == 3 and len(client.tasks[rep.project_id]) == 3


def test_exporter_checks_project_when_store_forgot(fake_store, client_factory, store_factory):
    client = client_factory()
    export_to_label_studio(fake_store, client, "audit project")
    fresh = store_factory(fake_store.items)  # e.g. the review DB was rebuilt
    rep = export_to_label_studio(fresh, client, "audit project")
    assert rep.exported == 0 and rep.already_in_project == 3
    assert fresh.exported_ids(target_name(client.url, "audit project")) == {"EP-1", "EP-2", "EP-3"}


def test_exporter_down_server_marks_nothing_and_retry_works(fake_store, client_factory):
    client = client_factory(down=True)
    with pytest.raises(ServiceUnavailableError):
        export_to_label_studio(fake_store, client, "audit project")
    assert fake_store.marks == {}
    client.down = False
    assert export_to_label_studio(fake_store, client, "audit project").exported == 3


def test_exporter_failure_mid_way_marks_only_confirmed_batches(fake_store, client_factory):
    client = client_factory(fail_import_at=2)
    with pytest.raises(ServiceUnavailableError, match="HTTP 502"):
        export_to_label_studio(fake_store, client, "audit project", batch_size=2)
    target = target_name(client.url, "audit project")
    assert fake_store.exported_ids(target) == {"EP-1", "EP-2"}
    client.fail_import_at = None
    rep = export_to_label_studio(fake_store, client, "audit project", batch_size=2)
    assert rep.exported == 1 and len(client.tasks[rep.project_id]) == 3


def test_exporter_to_file_writes_import_json_and_marks_nothing(fake_store, tmp_path):
    out = tmp_path / "tasks.json"
    rep = export_to_file(fake_store, out)
    tasks = json.loads(out.read_text())
    assert rep.exported == 3 and [t["data"]["episode_id"] for t in tasks] == ["EP-1", "EP-2", "EP-3"]
    assert all(t["predictions"] and t["annotations"] for t in tasks)
    assert fake_store.marks == {}
