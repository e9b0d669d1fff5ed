"""Small stand-ins with the interfaces of CodingPipeline and the terminology (docs/INTERFACES.md), so the
service tests run in milliseconds and do not depend on a trained model."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from autocoder.errors import UnknownCodeError
from autocoder.schemas import CodeSuggestion, CodingResult, Evidence, RankedCode, RuleWarning

ICD10 = {
    "J44.1": "Chronic obstructive pulmonary disease with acute lower respiratory infection",
    "J44.9": "Chronic obstructive pulmonary disease, unspecified",
    "I10": "Essential (primary) hypertension",
    "J18.9": "Pneumonia, unspecified",
    "I48.9": "Atrial fibrillation and atrial flutter, unspecified",
    "E11.9": "Type 2 diabetes mellitus without complications",
    "N39.0": "Urinary tract infection, site not specified",
}
OPCS4 = {
    "E85.1": "Non-invasive ventilation NEC",
    "G45.1": "Fibreoptic endoscopic examination of upper gastrointestinal tract and biopsy",
    "Y53.4": "Approach to organ under fluoroscopic control",
}
KEYS = {"coder-key": "coder:carol", "eng-key": "engineer:erin", "admin-key": "admin:ada"}
CODER = {"X-API-Key": "coder-key"}
ENGINEER = {"X-API-Key": "eng-key"}
ADMIN = {"Authorization": "Bearer admin-key"}

# keyword in letter -> (system, code, score)
RULES = [("copd", "icd10", "J44.1", 0.93), ("hypertension", "icd10", "I10", 0.88),
         ("pneumonia", "icd10", "J18.9", 0.55), ("diabetes", "icd10", "E11.9", 0.81),
         ("ventilation", "opcs4", "E85.1", 0.77), ("endoscopy", "opcs4", "G45.1", 0.9)]


class FakeTable:
    def __init__(self, system: str, codes: dict[str, str]) -> None:
        self.system, self.codes = system, codes

    def normalise(self, code: str) -> str:
        c = re.sub(r"[\s.,]", "", str(code)).upper()
        if self.system == "icd10" and len(c) == 4 and c.endswith("X"):
            c = c[:3]
        c = c if len(c) <= 3 else f"{c[:3]}.{c[3:]}"
        if c not in self.codes:
            raise UnknownCodeError(code, self.system)
        return c

    def is_valid(self, code: str) -> bool:
        return code in self.codes

    def title(self, code: str) -> str:
        return self.codes[code]

    def display(self, code: str) -> str:
        return f"{code}.X" if self.system == "icd10" and len(code) == 3 else code


@dataclass
class Hit:
    code: str
    system: str
    title: str
    score: float


class FakeTerminology:
    def __init__(self) -> None:
        self.icd10 = FakeTable("icd10", ICD10)
        self.opcs4 = FakeTable("opcs4", OPCS4)

    def _tables(self, system):
        return [t for t in (self.icd10, self.opcs4) if system in (None, t.system)]

    def search(self, text: str, system: str | None = None, limit: int = 20) -> list[Hit]:
        q = text.lower().strip()
        hits = []
        for t in self._tables(system):
            for code, title in t.codes.items():
                if q in title.lower() or q.replace(".", "") == code.lower().replace(".", ""):
                    hits.append(Hit(code, t.system, title, 1.0 if q in code.lower() else 0.5))
        return sorted(hits, key=lambda h: -h.score)[:limit]

    def lookup(self, code: str, system: str | None = None) -> Hit | None:
        for t in self._tables(system):
            try:
                c = t.normalise(code)
            except UnknownCodeError:
                continue
            return Hit(c, t.system, t.codes[c], 1.0)
        return None


class FakePipeline:
    """Keyword rules -> codes with evidence offsets into the text; counts what it coded."""

    def __init__(self, model_version: str = "fake@1", config_hash: str = "cfg-fake-1",
                 fail_on: str | None = None, after_predict=None) -> None:
        self.model_version, self.config_hash = model_version, config_hash
        self.fail_on = fail_on
        self.after_predict = after_predict
        self.coded_ids: list[str] = []
        self.calls = 0
        self._lock = threading.Lock()

    def _one(self, ep, top_k: int) -> CodingResult:
        low = ep.text.lower()
        dx, pr = [], []
        for kw, system, code, score in RULES:
            i = low.find(kw)
            if i < 0:
                continue
            ev = [Evidence(start=i, end=i + len(kw), text=ep.text[i:i + len(kw)], section="Diagnosis")]
            table = ICD10 if system == "icd10" else OPCS4
            s = CodeSuggestion(code=code, display=f"{code}.X" if len(code) == 3 else code, title=table[code],
                               score=score, evidence=ev, sources=["fake"])
            (dx if system == "icd10" else pr).append(s)
        dx.sort(key=lambda s: -s.score)
        pr.sort(key=lambda s: -s.score)
        if dx:
            dx[0].primary = True
        if pr:
            pr[0].primary = True
        conf = round(min([s.score for s in dx + pr] or [0.3]), 4)
        warnings = [RuleWarning(rule="fake-low-score", codes=[s.code], message="low score")
                    for s in dx if s.score < 0.6]
        res = CodingResult(id=ep.id, model_version=self.model_version, diagnoses=dx, procedures=pr,
                           confidence=conf, needs_review=conf < 0.85, warnings=warnings)
        if top_k:
            res.ranked_diagnoses = [RankedCode(code=s.code, score=s.score) for s in dx][:top_k]
            res.ranked_procedures = [RankedCode(code=s.code, score=s.score) for s in pr][:top_k]
        return res

    def predict(self, episodes, top_k: int = 0) -> list[CodingResult]:
        if self.fail_on and any(self.fail_on in ep.text for ep in episodes):
            raise RuntimeError("simulated model failure")
        out = [self._one(ep, top_k) for ep in episodes]
        with self._lock:
            self.calls += 1
            self.coded_ids.extend(ep.id for ep in episodes)
        if self.after_predict is not None:
            self.after_predict(self)
        return out


def code(client, ep_id: str, text: str, **extra) -> dict:
    """POST /v1/code as a coder; the JSON result."""
    r = client.post("/v1/code", json={"id": ep_id, "text": text, **extra}, headers=CODER)
    assert r.status_code == 200, r.text
    return r.json()
