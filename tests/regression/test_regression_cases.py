"""Regression runner for hand-written extraction cases: tests/regression/cases.yaml (written by
another helper) and tests/regression/cases_heldout.yaml (52 cases written for issue 3 before the
extractor was changed, never tuned case by case), each reported and floored separately.

Case format:
    - id: neg-001
      text: "No chest pain but productive cough."
      expect:
        - {text: "chest pain", label: SYMPTOM, assertion: negated}
        - {text: "pneumonia", label: DIAGNOSIS, assertion: present, code: J18.9}  # code in top-5 candidates

An expected item matches an extracted entity that overlaps the first occurrence of `text` in the
case text (exact, else case-insensitive); label / assertion / code are checked only when given, and
any overlapping entity that satisfies all given checks will do. A case passes when all its items
pass. The test fails when fewer than 90% of cases pass and prints every failure.

Mode (decided for speed and determinism): the extractor runs in matcher-only mode (terminology
matcher + ConText + sections, no trained NER), because training an NER inside the test run would
cost most of this suite's time budget and the cases test rules, abbreviations, rare codes and
assertions that the matcher path covers. Set AUTOCODER_NER_DIR=<dir from `autocoder train-ner`> to
run the same cases with the NER as well (the full pipeline). The code tables are the real ones
(autocoder.codes.get_terminology())."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

CASES = Path(__file__).with_name("cases.yaml")
#: Cases written for issue 3 before the extractor was changed, never tuned case by case: a check that
#: the general mechanisms generalise beyond cases.yaml. Reported separately, with its own floor.
HELDOUT = Path(__file__).with_name("cases_heldout.yaml")
# The target is 0.90 of cases passing; the floor now is the target itself (measured 138/150 =
# 0.92 in matcher mode, 2026-12-05), so this test fails when the pass rate drops below 0.90.
# Raise FLOOR whenever the extractor improves; never lower it to go green.
TARGET = 0.9
# Measured (matcher-only): cases.yaml 138/150, cases_heldout.yaml 52/52.
FLOOR = float(os.environ.get("AUTOCODER_REGRESSION_FLOOR", "0.90"))
HELDOUT_FLOOR = float(os.environ.get("AUTOCODER_REGRESSION_HELDOUT_FLOOR", "1.0"))


def load_cases(path: Path = CASES) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of cases, got {type(data).__name__}")
    for i, c in enumerate(data):
        if not isinstance(c, dict) or "text" not in c or "expect" not in c:
            raise ValueError(f"{path}: case #{i} ({c.get('id') if isinstance(c, dict) else c!r}) needs text and expect")
    return data


def _canon(code: str) -> str:
    return str(code).strip().upper().replace(" ", "")


def _codes_equal(a: str, b: str) -> bool:
    a, b = _canon(a), _canon(b)
    if a == b:
        return True
    return a.replace(".", "").rstrip("X") == b.replace(".", "").rstrip("X")  # I10.X / I10X / I10


def check_item(text: str, ents, item: dict) -> str | None:
    """None when the expectation holds, else a message saying what was found instead."""
    want = str(item["text"])
    start = text.find(want)
    if start < 0:
        start = text.lower().find(want.lower())
    if start < 0:
        return f"expected text {want!r} does not occur in the case text"
    end = start + len(want)
    over = [e for e in ents if e.start < end and start < e.end]
    if not over:
        return f"{want!r}: no entity overlaps it (entities: {[e.text for e in ents]})"
    problems = []
    for e in over:
        bad = []
        if item.get("label") and e.label != item["label"]:
            bad.append(f"label {e.label} != {item['label']}")
        if item.get("assertion") and e.assertion != item["assertion"]:
            bad.append(f"assertion {e.assertion} != {item['assertion']}")
        if item.get("code"):
            top = [c.code for c in e.candidates[:5]]
            if not any(_codes_equal(c, item["code"]) for c in top):
                bad.append(f"code {item['code']} not in top-5 {top}")
        if not bad:
            return None
        problems.append(f"{e.text!r}: " + ", ".join(bad))
    return f"{want!r}: " + " | ".join(problems)


def run_cases(extractor, cases: list[dict]) -> tuple[list[tuple[str, list[str]]], int, int]:
    """(failures [(case id, messages)], items passed, items total)."""
    failures = []
    ok_items = n_items = 0
    for case in cases:
        ents = extractor.extract(case["text"])
        msgs = []
        for item in case["expect"] or []:
            n_items += 1
            msg = check_item(case["text"], ents, item)
            if msg is None:
                ok_items += 1
            else:
                msgs.append(msg)
        if msgs:
            failures.append((str(case.get("id", "?")), msgs))
    return failures, ok_items, n_items


@pytest.fixture(scope="module")
def regression_extractor():
    from autocoder.extract import load_extractor

    ner = os.environ.get("AUTOCODER_NER_DIR")
    return load_extractor(Path(ner) if ner else None)


def test_regression_runner_checks_items():
    """The runner itself: overlap, label, assertion and top-5 code checks (no cases.yaml needed)."""
    from autocoder.schemas import Candidate, Entity

    text = "No chest pain but productive cough."
    ents = [Entity(text="chest pain", start=3, end=13, label="SYMPTOM", assertion="negated", negated=True,
                   candidates=[Candidate(code="R07.4", system="icd10", score=1.0)])]
    assert check_item(text, ents, {"text": "chest pain", "label": "SYMPTOM", "assertion": "negated"}) is None
    assert check_item(text, ents, {"text": "chest", "code": "R07.4"}) is None
    assert "assertion" in check_item(text, ents, {"text": "chest pain", "assertion": "present"})
    assert "code" in check_item(text, ents, {"text": "chest pain", "code": "I21.9"})
    assert "no entity" in check_item(text, ents, {"text": "productive cough"})
    assert _codes_equal("I10.X", "I10") and not _codes_equal("J44.1", "J44.0")


def _check_file(extractor, path: Path, floor: float) -> None:
    if not path.exists():
        pytest.skip(f"{path} not written yet")
    cases = load_cases(path)
    if not cases:
        pytest.skip(f"no regression cases in {path.name}")
    failures, ok_items, n_items = run_cases(extractor, cases)
    rate = 1 - len(failures) / len(cases)
    report = [(f"{path.name}: {len(cases) - len(failures)}/{len(cases)} passed ({rate:.1%}); "
               f"items {ok_items}/{n_items} ({ok_items / max(1, n_items):.1%}); mode {extractor.mode}")]
    for cid, msgs in failures:
        report.append(f"  FAIL {cid}: " + "; ".join(msgs))
    print("\n".join(report))
    if rate < TARGET:
        import warnings

        warnings.warn(f"{path.name}: regression pass rate {rate:.1%} is below the 90% target", stacklevel=1)
    assert rate >= floor - 1e-9, "\n".join(report)


def test_regression_cases(regression_extractor):
    _check_file(regression_extractor, CASES, FLOOR)


def test_regression_cases_heldout(regression_extractor):
    _check_file(regression_extractor, HELDOUT, HELDOUT_FLOOR)
