"""Terminology look-up for the review page: search by words or code, fetch one code."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Query

from autocoder.serve.api_models import CodeHitOut, CodeSearchOut
from autocoder.serve.deps import TerminologyDep
from autocoder.serve.security import CoderUser

router = APIRouter(prefix="/v1/codes", tags=["codes"])


def _display(term, code: str, system: str) -> str:
    try:
        tab = term.icd10 if system == "icd10" else term.opcs4
        return tab.display(code)
    except Exception:  # noqa: BLE001
        return code


def _hit(term, h) -> CodeHitOut:
    return CodeHitOut(code=h.code, system=h.system, title=getattr(h, "title", "") or "",
                      score=float(getattr(h, "score", 1.0) or 0.0), display=_display(term, h.code, h.system))


@router.get("/search", response_model=CodeSearchOut, summary="Search ICD-10 / OPCS-4 by words or code")
def search_codes(user: CoderUser, term: TerminologyDep,
                 q: str = Query(..., min_length=1, max_length=200, description="words or a code"),
                 system: Literal["icd10", "opcs4"] | None = None, limit: int = Query(20, ge=1, le=100)):
    hits = term.search(q, system=system, limit=limit)
    return CodeSearchOut(query=q, system=system, hits=[_hit(term, h) for h in hits])


@router.get("/{code}", response_model=CodeHitOut, summary="One code with its title")
def get_code(code: str, user: CoderUser, term: TerminologyDep,
             system: Literal["icd10", "opcs4"] | None = None):
    hit = term.lookup(code, system=system)
    if hit is None:
        where = {"icd10": "ICD-10", "opcs4": "OPCS-4"}.get(system or "", "ICD-10 or OPCS-4")
        raise HTTPException(404, f"path 'code': {code!r} is not a known {where} code")
    return _hit(term, hit)
