"""Typed objects at every stage boundary, in the shapes of ../shared/FORMATS.md.

Why pydantic: the same classes validate input files, API bodies and config, and their error
messages name the field. Extra fields on episodes are kept (FORMATS.md may be extended; dev letters
carry `notes`, the synthetic corpus carries `entities`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Sex = Literal["M", "F", "U"]
EntityLabel = Literal["DIAGNOSIS", "PROCEDURE", "SYMPTOM"]
Assertion = Literal["present", "negated", "family", "historical", "hypothetical", "uncertain"]
CodeSystem = Literal["icd10", "opcs4"]
Severity = Literal["error", "warning", "info"]
DecisionKind = Literal["accepted", "rejected", "added"]


class GoldSpan(BaseModel):
    """A gold entity span in a (synthetic) training episode."""

    model_config = ConfigDict(extra="allow")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    label: EntityLabel
    code: str | None = None
    assertion: Assertion = "present"
    text: str | None = None


class Episode(BaseModel):
    """One finished consultant episode: the letter plus optional demographics and gold codes."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1)
    text: str
    sex: Sex | None = None
    age: int | None = Field(default=None, ge=0, le=130)
    specialty: str | None = None
    admission_method: str | None = None
    diagnoses: list[str] | None = None
    procedures: list[str] | None = None
    entities: list[GoldSpan] | None = None

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, v: str) -> str:
        if not v or not v.strip():
            raise ValueError("text must be a non-empty string (the discharge summary)")
        return v

    @field_validator("sex", mode="before")
    @classmethod
    def _sex_upper(cls, v):
        return v.strip().upper() if isinstance(v, str) else v


class Candidate(BaseModel):
    """A candidate code for one entity, from the terminology matcher (or NER linker)."""

    code: str
    system: CodeSystem
    score: float
    title: str = ""
    source: str = "matcher"


class Entity(BaseModel):
    """An extracted mention. Offsets index the ORIGINAL episode text (Python str indexing)."""

    text: str
    start: int
    end: int
    label: EntityLabel
    section: str | None = None
    assertion: Assertion = "present"
    negated: bool = False
    uncertain: bool = False
    historical: bool = False
    family: bool = False
    hypothetical: bool = False
    candidates: list[Candidate] = Field(default_factory=list)
    source: str = "ner"


class Evidence(BaseModel):
    start: int
    end: int
    text: str
    section: str | None = None


class RuleWarning(BaseModel):
    """A coding-rule finding (validator or sequencer)."""

    rule: str
    codes: list[str] = Field(default_factory=list)
    message: str
    severity: Severity = "warning"


class CodeSuggestion(BaseModel):
    code: str
    display: str
    title: str = ""
    score: float
    primary: bool = False
    evidence: list[Evidence] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    warnings: list[RuleWarning] = Field(default_factory=list)
    assertion: Assertion | None = None


class RankedCode(BaseModel):
    code: str
    score: float


class CodingResult(BaseModel):
    """The suggestion for one episode. List order is the proposed sequence: first = primary."""

    model_config = ConfigDict(extra="allow")
    id: str
    model_version: str
    diagnoses: list[CodeSuggestion] = Field(default_factory=list)
    procedures: list[CodeSuggestion] = Field(default_factory=list)
    confidence: float = 0.0
    needs_review: bool = True
    warnings: list[RuleWarning] = Field(default_factory=list)
    ranked_diagnoses: list[RankedCode] | None = None
    ranked_procedures: list[RankedCode] | None = None

    def diagnosis_codes(self) -> list[str]:
        return [s.code for s in self.diagnoses]

    def procedure_codes(self) -> list[str]:
        return [s.code for s in self.procedures]


class ReviewDecision(BaseModel):
    code: str
    decision: DecisionKind


class ReviewRecord(BaseModel):
    """A coder's decision on one episode; final_* are the truth used for retraining."""

    model_config = ConfigDict(extra="allow")
    episode_id: str
    reviewer: str = Field(min_length=1)
    model_version: str | None = None
    decided_at: str | None = None
    decisions: list[ReviewDecision] = Field(default_factory=list)
    final_diagnoses: list[str] = Field(default_factory=list)
    final_procedures: list[str] = Field(default_factory=list)
    comment: str = ""
