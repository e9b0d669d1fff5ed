"""Terminologies (ICD-10 WHO 2019 + optional UK 5th Edition table, OPCS-4 core + optional full table)
and coding rules. Pure Python, no ML; cheap to import (tables are built on first use).

    from autocoder.codes import get_terminology
    term = get_terminology()
    term.icd10.normalise("i10x")  -> "I10";  term.icd10.display("I10") -> "I10.X"
    term.icd10.normalise_with_warning("J96.00") -> ("J96.0", "... truncated ...") with the WHO table only
    term.opcs4.normalise("E851")  -> "E85.1"
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autocoder.codes.terminology import CodeHit, Terminology

__all__ = ["CodeHit", "Terminology", "get_terminology", "reset_terminology"]

_lock = threading.Lock()
_TERM: Terminology | None = None


def _build() -> Terminology:
    from autocoder.codes.icd10 import Icd10
    from autocoder.codes.opcs4 import Opcs4
    from autocoder.codes.store import load_store
    from autocoder.codes.terminology import Terminology

    icd = Icd10.from_who()
    uk = load_store("icd10")
    if uk:
        icd.overlay_uk(uk["codes"], f"{uk.get('source', '?')} ({uk.get('format', '?')}, "
                                    f"imported {uk.get('imported_at', '?')})",
                       metadata=uk.get("format") == "nhs-icd10-metadata")
    opcs = Opcs4.from_core()
    full = load_store("opcs4")
    if full:
        opcs.overlay_full(full["codes"], f"{full.get('source', '?')} ({full.get('format', '?')}, "
                                         f"imported {full.get('imported_at', '?')})",
                          categories=full.get("categories") or {})
    return Terminology(icd, opcs)


def get_terminology() -> Terminology:
    """The cached terminology (WHO ICD-10 + OPCS-4 core, overlaid with any imported tables)."""
    global _TERM
    if _TERM is None:
        with _lock:
            if _TERM is None:
                _TERM = _build()
    return _TERM


def reset_terminology() -> None:
    """Forget the cached terminology (tests; after importing a table)."""
    global _TERM
    with _lock:
        _TERM = None


def __getattr__(name: str):
    if name in ("Terminology", "CodeHit"):
        from autocoder.codes import terminology

        return getattr(terminology, name)
    raise AttributeError(name)
