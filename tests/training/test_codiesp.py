"""CodiEsp runner: metric definitions (fast, no data) and a tiny end-to-end run on a handful of documents
(skips when the shared CodiEsp data is absent)."""

from __future__ import annotations

import numpy as np
import pytest

from training.codiesp import (
    CodiEspConfig,
    average_precision,
    codiesp_form,
    load_config,
    mean_average_precision,
    micro_prf,
    rank_normalise,
    run,
    tokens,
)


def test_codiesp_average_precision_matches_trec_definition():
    assert average_precision(["a", "b", "c"], {"a", "c"}) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert average_precision(["x", "a"], {"a", "b"}) == pytest.approx((1 / 2) / 2)  # b never found
    assert average_precision([], {"a"}) == 0.0
    scores = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.5]])
    # doc 0: gold {c} has score 0 -> not ranked -> AP 0; doc 1: ranking b, c, a with gold {a} -> 1/3
    assert mean_average_precision(scores, ["a", "b", "c"], [["c"], ["a"]]) == pytest.approx((0 + 1 / 3) / 2)
    assert mean_average_precision(scores, ["a", "b", "c"], [[], ["b"]]) == pytest.approx(1.0)  # empty gold skipped


def test_codiesp_micro_prf_and_rank_normalise():
    r = micro_prf([{"a", "b"}, set()], [["a"], ["c"]])
    assert r["micro_precision"] == 0.5 and r["micro_recall"] == 0.5 and r["micro_f1"] == 0.5
    rn = rank_normalise(np.array([[0.1, 0.9, 0.0]]))
    assert rn[0, 1] == 1.0 and 0 < rn[0, 0] < 1 and rn[0, 2] == 0


def test_codiesp_code_forms_and_tokens():
    assert codiesp_form("S02.5XXA") == "s02.5xx"
    assert codiesp_form("N20.0") == "n20.0"
    assert tokens("Renal stones, unspecified") == tokens("kidney stone")


def test_codiesp_config_rejects_unknown_keys(tmp_path):
    with pytest.raises(ValueError, match="extra"):
        CodiEspConfig(classifier={"epochs": 1, "epoch": 2})
    p = tmp_path / "c.yaml"
    p.write_text("run_baseline: false\nbogus: 1\n")
    with pytest.raises(ValueError, match=r"c\.yaml"):
        load_config(p)


@pytest.mark.slow
def test_codiesp_tiny_end_to_end(shared_data):
    if not (shared_data / "codiesp" / "train" / "trainD.tsv").is_file():
        pytest.skip("CodiEsp data not in the shared data folder")
    cfg = CodiEspConfig(
        limit_train=12, limit_eval=4, run_transformer=True,
        classifier={"epochs": 1, "max_chunks": 1, "max_chunk_tokens": 64, "stride": 8, "freeze_layers": 6,
                    "init_from_titles": False},
    )
    res = run(cfg)
    assert res["data"]["train_docs"] == 12 and res["data"]["eval_docs"] == 4
    for system in ("transformer", "baseline", "ranker"):
        assert 0.0 <= res[system]["map"] <= 1.0 and 0.0 <= res[system]["micro_f1"] <= 1.0
    assert 0.0 <= res["transformer"]["map_fused_with_ranker"] <= 1.0
    assert res["matcher"]["map"] > 0.0  # titles of real codes do occur in real case reports
