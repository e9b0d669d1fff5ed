"""autocoder: clinical auto-coding of NHS discharge summaries (ICD-10 5th ed. UK, OPCS-4).

Public API. Importing this package is cheap on purpose: torch, transformers, spaCy and MLflow
load only when a pipeline is built, so CLI help, validation and the terminology tools stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autocoder.schemas import (
    Candidate,
    CodeSuggestion,
    CodingResult,
    Entity,
    Episode,
    Evidence,
    ReviewDecision,
    ReviewRecord,
    RuleWarning,
)

if TYPE_CHECKING:  # pragma: no cover
    from autocoder.pipeline import CodingPipeline

__version__ = "0.1.0"

__all__ = [
    "Candidate",
    "CodeSuggestion",
    "CodingPipeline",
    "CodingResult",
    "Entity",
    "Episode",
    "Evidence",
    "ReviewDecision",
    "ReviewRecord",
    "RuleWarning",
    "load_pipeline",
]


def load_pipeline(source: str | None = None) -> "CodingPipeline":
    """Load a trained pipeline from a bundle path or `models:/autocoder@champion` (heavy: call once)."""
    from autocoder.pipeline import CodingPipeline

    return CodingPipeline.load(source)


def __getattr__(name: str):  # lazy attribute so `autocoder.CodingPipeline` works without eager torch
    if name == "CodingPipeline":
        from autocoder.pipeline import CodingPipeline

        return CodingPipeline
    raise AttributeError(name)
