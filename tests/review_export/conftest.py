"""Fakes for the review store and the Label Studio client, tiny reviewed episodes, and a real
Label Studio server (session-scoped, skipped with a reason when .venv-ls is missing)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from autocoder.errors import ServiceUnavailableError
from autocoder.schemas import CodeSuggestion, CodingResult, Episode, Evidence, RankedCode, ReviewRecord


@dataclass
class Stored:
    episode: Episode
    result: CodingResult
    reviews: list
    config_hash: str = "cfg"


class FakeStore:
    """The three ReviewStore methods the exporter uses."""

    def __init__(self, items):
        self.items = list(items)
        self.marks: dict[str, set[str]] = {}

    def reviewed_since(self, since=None):
        return list(self.items)

    def exported_ids(self, target):
        return set(self.marks.get(target, set()))

    def mark_exported(self, ids, target):
        self.marks.setdefault(target, set()).update(ids)


class FakeClient:
    """In-memory Label Studio: projects by title, tasks with data; can fail on the Nth import."""

    url = "http://fake-ls:8080"

    def __init__(self, fail_import_at: int | None = None, down: bool = False):
        self.projects: dict[str, int] = {}
        self.tasks: dict[int, list[dict]] = {}
        self.imports = 0
        self.fail_import_at = fail_import_at
        self.down = down

    def _check(self):
        if self.down:
            raise ServiceUnavailableError(f"Label Studio at {self.url} is unreachable")

    def find_project(self, title):
        self._check()
        return self.projects.get(title)

    def get_or_create_project(self, title, label_config):
        self._check()
        if title not in self.projects:
            self.projects[title] = len(self.projects) + 1
            self.tasks[self.projects[title]] = []
        return self.projects[title]

    def episode_ids_in_project(self, project_id):
        self._check()
        return {t["data"]["episode_id"] for t in self.tasks[project_id]}

    def import_tasks(self, project_id, tasks):
        self._check()
        self.imports += 1
        if self.fail_import_at is not None and self.imports >= self.fail_import_at:
            raise ServiceUnavailableError(f"Label Studio at {self.url} answered HTTP 502 during import")
        start = sum(len(v) for v in self.tasks.values())
        self.tasks[project_id].extend(tasks)
        return list(range(start + 1, start + 1 + len(tasks)))


TEXT = ("Discharge summary. Diagnosis: infective exacerbation of COPD. Background hypertension. "
        "Procedure: non-invasive ventilation.")


def make_stored(i: int, final_dx=None, final_proc=None, comment: str = "") -> Stored:
    s = TEXT.index("infective exacerbation of COPD")
    h = TEXT.index("hypertension")
    v = TEXT.index("non-invasive ventilation")
    res = CodingResult(
        id=f"EP-{i}", model_version="autocoder@1", confidence=0.72,
        diagnoses=[CodeSuggestion(code="J44.1", display="J44.1", title="COPD with acute exacerbation", score=0.9,
                                  primary=True, evidence=[Evidence(start=s, end=s + 30, text=TEXT[s:s + 30])]),
                   CodeSuggestion(code="I10", display="I10.X", title="Essential hypertension", score=0.8,
                                  evidence=[Evidence(start=h, end=h + 12, text=TEXT[h:h + 12])])],
        procedures=[CodeSuggestion(code="E85.1", display="E85.1", title="Non-invasive ventilation NEC", score=0.7,
                                   primary=True, evidence=[Evidence(start=v, end=v + 24, text=TEXT[v:v + 24])])],
        ranked_diagnoses=[RankedCode(code="J44.1", score=0.9), RankedCode(code="I10", score=0.8),
                          RankedCode(code="J18.9", score=0.3), RankedCode(code="J45.9", score=0.2)])
    rev = ReviewRecord(episode_id=f"EP-{i}", reviewer="coder-1", model_version="autocoder@1",
                       decided_at="2026-11-25T09:00:00Z",
                       final_diagnoses=["J44.1", "I10"] if final_dx is None else final_dx,
                       final_procedures=["E85.1"] if final_proc is None else final_proc, comment=comment)
    return Stored(Episode(id=f"EP-{i}", text=TEXT, sex="F", age=70), res, [rev])


@pytest.fixture()
def fake_store():
    return FakeStore([make_stored(1), make_stored(2, ["J18.9", "I10"]), make_stored(3, ["J44.1", "I48.9"], [])])


@pytest.fixture()
def stored_factory():
    return make_stored


@pytest.fixture()
def store_factory():
    return FakeStore


@pytest.fixture()
def client_factory():
    return FakeClient
