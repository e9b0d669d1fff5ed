"""Entity extraction from discharge letters (the only package that imports spaCy).

Public API (see docs/INTERFACES.md):
    ex = load_extractor(ner_model_dir=None, config=None)   # heavy: once
    ex.extract(text) -> list[Entity]; ex.extract_many(texts, batch_size=32)
    from autocoder.extract.ner import train_ner

Importing this package is light; spaCy loads when load_extractor() is called."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from autocoder.extract.extractor import Extractor

__all__ = ["load_extractor"]


def load_extractor(ner_model_dir: Path | str | None = None, config: Path | str | None = None,
                   terminology=None) -> Extractor:
    from autocoder.extract.extractor import load_extractor as _load

    return _load(ner_model_dir, config, terminology)
