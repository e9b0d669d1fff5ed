"""Audit metrics follow FORMATS.md: keys exact, omissions and spurious codes both count as errors."""

from __future__ import annotations

import pytest

from autocoder.metrics import (METRIC_KEYS, autonomy_at, canon_icd10, canon_opcs4, compute_metrics,
                               mean_average_precision)
from autocoder.schemas import CodeSuggestion, CodingResult, Episode, RankedCode


def _res(id_, dx, px=(), conf=0.9, ranked=None):
    mk = lambda c: CodeSuggestion(code=c, display=c, score=0.9)  # noqa: E731
    r = CodingResult(id=id_, model_version="t@1", diagnoses=[mk(c) for c in dx],
                     procedures=[mk(c) for c in px], confidence=conf)
    if ranked is not None:
        r.ranked_diagnoses = [RankedCode(code=c, score=1 - i / 100) for i, c in enumerate(ranked)]
        r.ranked_procedures = []
    return r


def _ep(id_, dx, px=()):
    return Episode(id=id_, text="x", diagnoses=list(dx), procedures=list(px))


@pytest.mark.parametrize("raw,expected", [("I10X", "I10"), ("i10.x", "I10"), ("J441", "J44.1"),
                                          (" J44.1 ", "J44.1"), ("J96.00", "J96.00"), ("E11.3†", "E11.3")])
def test_metrics_canon_icd10_accepts_uk_forms(raw, expected):
    assert canon_icd10(raw) == expected


def test_metrics_canon_opcs4_accepts_undotted_and_comma():
    assert canon_opcs4("E851") == canon_opcs4("E85,1") == "E85.1"


def test_metrics_keys_are_exactly_the_formats_contract():
    m = compute_metrics([_ep("a", ["J44.1"])], [_res("a", ["J44.1"])], seconds=2.0)
    assert tuple(m) == METRIC_KEYS
    assert m["episodes_per_second"] == 0.5


def test_metrics_secondary_accuracy_counts_omissions_and_spurious():
    gold = [_ep("a", ["J44.1", "I10", "E11.9"])]
    res = [_res("a", ["J44.1", "I10", "N18.3"])]  # 1 match, 1 omitted (E11.9), 1 spurious (N18.3)
    m = compute_metrics(gold, res)
    assert m["primary_diagnosis_accuracy"] == 1.0
    assert m["secondary_diagnosis_accuracy"] == pytest.approx(1 / 3)
    assert m["exact_match_rate"] == 0.0


def test_metrics_primary_procedure_none_right_only_when_none_suggested():
    gold = [_ep("a", ["K35.8"], []), _ep("b", ["K35.8"], [])]
    res = [_res("a", ["K35.8"], []), _res("b", ["K35.8"], ["H01.1"])]
    assert compute_metrics(gold, res)["primary_procedure_accuracy"] == 0.5


def test_metrics_missing_result_counts_as_empty_suggestion():
    m = compute_metrics([_ep("a", ["J18.9"]), _ep("b", ["J18.9"])], [_res("a", ["J18.9"])])
    assert m["primary_diagnosis_accuracy"] == 0.5
    assert m["micro_recall"] == 0.5


def test_metrics_same_code_string_in_both_systems_is_not_confused():
    # E85.1 exists as an OPCS-4 code; as a diagnosis it must not match the procedure.
    m = compute_metrics([_ep("a", ["J96.0"], ["E85.1"])], [_res("a", ["J96.0"], ["E85.1"])])
    assert m["micro_f1"] == 1.0 and m["procedure_micro_f1"] == 1.0


def test_metrics_ranking_uses_ranked_lists_when_present():
    gold = [_ep("a", ["J44.1", "I10"])]
    res = [_res("a", ["J44.1"], ranked=["J44.1", "A00.0", "I10", "B00.0", "C00.0", "D00.0"])]
    m = compute_metrics(gold, res)
    assert m["precision_at_5"] == pytest.approx(2 / 5)
    assert m["recall_at_10"] == 1.0


def test_metrics_autonomy_takes_confident_prefix_while_accurate():
    # three perfect episodes with high confidence, one wrong with low confidence
    assert autonomy_at([0.9, 0.8, 0.7, 0.1], [2, 2, 2, 0], [2, 2, 2, 2], [0, 0, 0, 1]) == 0.75
    assert autonomy_at([0.1, 0.9], [0, 1], [1, 1], [1, 0]) == 0.5


def test_metrics_map_matches_hand_computation():
    # ranks 1 and 3 relevant out of 2 gold: AP = (1/1 + 2/3) / 2
    assert mean_average_precision([["a", "x", "b"]], [{"a", "b"}]) == pytest.approx((1 + 2 / 3) / 2)
