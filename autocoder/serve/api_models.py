"""Request and response models of the HTTP API (separate from the internal schemas so the wire shape
can carry examples and stay stable while internals move)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from autocoder.schemas import CodingResult, Episode, ReviewRecord

EPISODE_EXAMPLE = {
    "id": "EP-0001",
    "text": "Discharge summary\nDiagnosis: infective exacerbation of COPD. Hypertension.\n"
            "Procedures: none.\nPlan: continue inhalers.",
    "sex": "F", "age": 74, "specialty": "General Medicine", "admission_method": "emergency",
}
RESULT_EXAMPLE = {
    "id": "EP-0001", "model_version": "autocoder-icd10-opcs4@3",
    "diagnoses": [{"code": "J44.1", "display": "J44.1",
                   "title": "Chronic obstructive pulmonary disease with acute exacerbation, unspecified",
                   "score": 0.97, "primary": True,
                   "evidence": [{"start": 30, "end": 60, "text": "infective exacerbation of COPD",
                                 "section": "Diagnosis"}],
                   "sources": ["classifier", "extractor"], "warnings": []},
                  {"code": "I10", "display": "I10.X", "title": "Essential (primary) hypertension", "score": 0.91,
                   "primary": False, "evidence": [{"start": 62, "end": 74, "text": "Hypertension",
                                                   "section": "Diagnosis"}],
                   "sources": ["extractor"], "warnings": []}],
    "procedures": [], "confidence": 0.91, "needs_review": False, "warnings": [],
}
REVIEW_EXAMPLE = {
    "episode_id": "EP-0001", "reviewer": "coder-17", "model_version": "autocoder-icd10-opcs4@3",
    "decided_at": "2026-11-23T10:15:00Z",
    "decisions": [{"code": "J44.1", "decision": "accepted"}, {"code": "I10", "decision": "rejected"},
                  {"code": "I48.9", "decision": "added"}],
    "final_diagnoses": ["J44.1", "I48.9"], "final_procedures": [], "comment": "",
}


class EpisodeIn(Episode):
    """One episode (FORMATS.md). Gold `diagnoses`/`procedures` are ignored for coding but stored."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EPISODE_EXAMPLE]})
    id: str = Field(min_length=1, max_length=200, description="unique episode id (the store's key)")


class CodingResultOut(CodingResult):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [RESULT_EXAMPLE]})


class ReviewIn(ReviewRecord):
    """A review; `episode_id` may be left out (the path names the episode) but must match when given."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [REVIEW_EXAMPLE]})
    episode_id: str = ""


class ReviewAccepted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"review_id": 12, "episode_id": "EP-0001",
                                                               "record": REVIEW_EXAMPLE}]})
    review_id: int
    episode_id: str
    record: ReviewRecord


class WorklistItemOut(BaseModel):
    id: str
    status: str
    model_version: str
    confidence: float
    needs_review: bool
    n_reviews: int
    coded_at: datetime
    primary_diagnosis: str | None
    n_diagnoses: int
    n_procedures: int
    n_warnings: int
    batch_id: str | None = None


class Worklist(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "items": [{"id": "EP-0001", "status": "needs_review", "model_version": "autocoder-icd10-opcs4@3",
                   "confidence": 0.42, "needs_review": True, "n_reviews": 0, "coded_at": "2026-11-23T10:00:00Z",
                   "primary_diagnosis": "J44.1", "n_diagnoses": 3, "n_procedures": 1, "n_warnings": 0}],
        "total": 1, "limit": 50, "offset": 0, "status": "needs_review"}]})
    items: list[WorklistItemOut]
    total: int
    limit: int
    offset: int
    status: str


class ReviewHistoryItem(BaseModel):
    review_id: int
    reviewer: str
    submitted_by: str | None
    received_at: str
    record: ReviewRecord


class EpisodeDetail(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "EP-0001", "status": "needs_review", "episode": EPISODE_EXAMPLE, "result": RESULT_EXAMPLE,
        "reviews": [], "model_version": "autocoder-icd10-opcs4@3", "config_hash": "3f2a9c",
        "coded_at": "2026-11-23T10:00:00Z", "batch_id": None}]})
    id: str
    status: str
    episode: dict[str, Any]
    result: dict[str, Any]
    reviews: list[ReviewHistoryItem]
    model_version: str
    config_hash: str
    coded_at: datetime | None
    batch_id: str | None


class BatchLineProblem(BaseModel):
    line: int
    id: str | None
    problem: str


class BatchCreated(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "b6c1f0e2d4a84f4c9d0e", "status": "queued", "total": 3, "accepted": 2,
        "failed": 1, "errors": [{"line": 2, "id": "EP-2", "problem": "field 'text': required field is missing"}],
        "status_url": "/v1/batches/b6c1f0e2d4a84f4c9d0e",
        "results_url": "/v1/batches/b6c1f0e2d4a84f4c9d0e/results"}]})
    id: str
    status: str
    total: int
    accepted: int
    failed: int
    errors: list[BatchLineProblem]
    status_url: str
    results_url: str


class BatchStatus(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "b6c1f0e2d4a84f4c9d0e", "status": "running", "progress": 0.5,
        "counts": {"total": 4, "coded": 1, "failed": 1, "pending": 2},
        "errors": [{"line": 2, "id": "EP-2", "problem": "field 'text': required field is missing"}],
        "top_k": 0, "created_at": "2026-11-23T10:00:00Z", "updated_at": "2026-11-23T10:00:05Z",
        "finished_at": None, "error": None}]})
    id: str
    status: str
    progress: float = Field(description="share of lines finished (coded or failed)")
    counts: dict[str, int]
    errors: list[BatchLineProblem]
    top_k: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    error: str | None


class CodeHitOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "J44.1", "system": "icd10", "display": "J44.1",
        "title": "Chronic obstructive pulmonary disease with acute exacerbation, unspecified", "score": 0.92}]})
    code: str
    system: str
    display: str
    title: str
    score: float = 1.0


class CodeSearchOut(BaseModel):
    query: str
    system: str | None
    hits: list[CodeHitOut]


class ModelStatus(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "ready": True, "loading": False, "source": "models:/autocoder@champion",
        "model_version": "autocoder-icd10-opcs4@3", "config_hash": "3f2a9c", "loaded_at": 1764064800.0,
        "load_seconds": 6.2, "last_error": None}]})
    ready: bool
    loading: bool
    source: str | None
    model_version: str | None
    config_hash: str | None
    loaded_at: float | None
    load_seconds: float | None
    last_error: str | None
