"""Export reviewed episodes from the review store to Label Studio (or to an import JSON file).

Idempotent twice over: the store remembers what it exported to which target (mark_exported), and the
project itself is checked for tasks that already carry the episode id (a store that was reset, or a
second machine). Episodes are marked only after Label Studio confirmed their import, batch by batch,
so a server that is down or refuses the token leaves nothing marked and a retry does the work.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from review_export.client import LabelStudioAPI
from review_export.labelling import load_label_config
from review_export.tasks import N_ALTERNATIVES, build_task

log = logging.getLogger(__name__)
DEFAULT_PROJECT = "autocoder review audit"


def target_name(url: str, project: str) -> str:
    """The store's export target key: one per server and project title."""
    return f"label-studio:{url.rstrip('/')}#{project}"


@dataclass
class ExportReport:
    project_id: int | None
    target: str
    reviewed: int = 0
    already_marked: int = 0
    already_in_project: int = 0
    exported: int = 0
    task_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.exported} exported, {self.already_marked} already exported (store), "
                f"{self.already_in_project} already in project, of {self.reviewed} reviewed episodes"
                + (f"; project id {self.project_id}" if self.project_id is not None else ""))


def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="ep", disable=not sys.stderr.isatty(), file=sys.stderr)


def export_to_label_studio(store: Any, client: LabelStudioAPI, project: str = DEFAULT_PROJECT,
                           since: datetime | None = None, label_config_path: str | Path | None = None,
                           batch_size: int = 50, n_alternatives: int = N_ALTERNATIVES) -> ExportReport:
    label_config = load_label_config(label_config_path)
    target = target_name(client.url, project)
    # talk to the server first: a down server or a bad token fails before anything else happens
    project_id = client.get_or_create_project(project, label_config)
    in_project = client.episode_ids_in_project(project_id)
    report = ExportReport(project_id=project_id, target=target)
    marked = set(store.exported_ids(target))
    todo = []
    repair = []
    for item in store.reviewed_since(since):
        report.reviewed += 1
        eid = item.episode.id
        if eid in marked:
            report.already_marked += 1
        elif eid in in_project:
            report.already_in_project += 1
            repair.append(eid)
        else:
            todo.append(item)
    if repair:  # the project has them but the store forgot: remember, do not duplicate
        store.mark_exported(repair, target)
    with _progress(len(todo), "export to Label Studio") as bar:
        for i in range(0, len(todo), batch_size):
            batch = todo[i:i + batch_size]
            tasks = [build_task(s, n_alternatives) for s in batch]
            ids = client.import_tasks(project_id, tasks)
            store.mark_exported([s.episode.id for s in batch], target)
            report.task_ids.extend(ids)
            report.exported += len(batch)
            bar.update(len(batch))
    log.info("label studio export: %s", report.summary())
    return report


def export_to_file(store: Any, out: str | Path, since: datetime | None = None,
                   n_alternatives: int = N_ALTERNATIVES) -> ExportReport:
    """Label Studio import JSON (a list of tasks) for when there is no server.

    A file is a snapshot, not a destination: nothing is marked as exported, so a later export to a
    server still sends every episode."""
    items = list(store.reviewed_since(since))
    tasks = []
    with _progress(len(items), "build tasks") as bar:
        for s in items:
            tasks.append(build_task(s, n_alternatives))
            bar.update(1)
    Path(out).write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    return ExportReport(project_id=None, target=f"file:{out}", reviewed=len(items), exported=len(tasks))
