"""CodiEsp ensemble: fusion, weight search, back-off, kernel ridge (fast, synthetic) and a tiny end-to-end run
on a handful of real documents (skips when the shared CodiEsp data is absent)."""

from __future__ import annotations

import numpy as np
import pytest

from training.codiesp import CodiEspConfig, EnsembleConfig, mean_average_precision, rank_normalise
from training.codiesp_ensemble import KernelRidgeCoder, backoff_scores, fit_weights, fuse, run_ensemble


def test_codiesp_ensemble_map_is_cut_at_official_depth():
    scores = np.array([[3.0, 2.0, 1.0]])
    assert mean_average_precision(scores, ["a", "b", "c"], [["c"]]) == pytest.approx(1 / 3)
    assert mean_average_precision(scores, ["a", "b", "c"], [["c"]], depth=2) == 0.0


def test_codiesp_ensemble_backoff_shares_category_by_train_frequency():
    space = ["n20", "n20.0", "n20.1", "r52"]
    matcher = np.array([[0.8, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]], np.float32)
    out = backoff_scores(matcher, space, [["n20.0"], ["n20.0"], ["n20.0", "n20.1"], ["r52"]])
    assert out[0, 1] == pytest.approx(0.8 * 3 / 4) and out[0, 2] == pytest.approx(0.8 / 4)
    assert out[0, 0] == 0 and not out[1].any()  # the category itself and unrelated codes get nothing


def test_codiesp_ensemble_weight_search_adds_a_useful_component_only():
    space = ["a", "b", "c", "d"]
    gold = [["a"], ["b"], ["c"], ["d"]]
    # "main" ranks the gold code second; "helper" ranks it first; "noise" is uninformative
    main = np.array([[0.5, 0.9, 0, 0], [0, 0.5, 0.9, 0], [0, 0, 0.5, 0.9], [0.9, 0, 0, 0.5]], np.float32)
    helper = np.eye(4, dtype=np.float32) * 0.3 + 0.01
    noise = np.full((4, 4), 0.5, np.float32)
    raw = {"main": main, "helper": helper, "noise": noise}
    ranked = {k: rank_normalise(v) for k, v in raw.items()}
    w, m, _ = fit_weights(ranked, raw, space, gold, start="main", grid=[0.0, 0.5, 1.0, 2.0])
    assert w["main"] == 1.0 and w["helper"] > 0 and m == pytest.approx(1.0)
    assert mean_average_precision(fuse(ranked, raw, {"main": 1.0}), space, gold) == pytest.approx(0.5)


def test_codiesp_ensemble_kernel_ridge_learns_word_label():
    texts = ["renal colic with kidney stone", "kidney stone pain", "fever and cough", "cough with fever night"] * 3
    y = np.array([[1, 0], [1, 0], [0, 1], [0, 1]] * 3, np.float32)
    s = KernelRidgeCoder(alpha=0.1, char_ngrams=None).fit(texts, y).score(["stone in the kidney", "a cough"])
    assert s[0, 0] > s[0, 1] and s[1, 1] > s[1, 0]


def test_codiesp_ensemble_config_start_must_be_a_component():
    with pytest.raises(ValueError, match="ensemble.start"):
        EnsembleConfig(components=["linear", "prior"], start="ranker")


@pytest.mark.slow
def test_codiesp_ensemble_tiny_end_to_end(shared_data, tmp_path):
    if not (shared_data / "codiesp" / "train" / "trainD.tsv").is_file():
        pytest.skip("CodiEsp data not in the shared data folder")
    cfg = CodiEspConfig(
        limit_train=16, limit_eval=4,
        ensemble={"folds": 2, "components": ["ranker", "linear", "matcher", "backoff", "prior"],
                  "use_assertions": False, "weight_grid": [0.0, 0.5], "passes": 1},
    )
    res = run_ensemble(cfg, cache_dir=tmp_path)
    assert res["data"]["train_docs"] == 16 and res["data"]["eval_docs"] == 4
    assert set(res["components"]) == {"ranker", "linear", "matcher", "backoff", "prior"}
    assert res["ensemble"]["weights"]["ranker"] == 1.0
    for r in [res["ensemble"], *res["components"].values()]:
        assert 0.0 <= r["dev_map"] <= 1.0
    assert 0.0 <= res["ensemble"]["dev_micro_f1"] <= 1.0
    assert list(tmp_path.glob("full-*-dev-ranker.npy"))  # component matrices were cached


def test_codiesp_ensemble_compact_map_equals_full_map():
    from training.codiesp_ensemble import _Compact

    rng = np.random.default_rng(0)
    space = [f"c{i}" for i in range(30)]
    raw = {k: np.where(rng.random((6, 30)) < 0.3, rng.random((6, 30)), 0).astype(np.float32) for k in ("a", "b")}
    ranked = {k: rank_normalise(v) for k, v in raw.items()}
    gold = [[space[j] for j in rng.choice(30, 3, replace=False)] for _ in range(5)] + [[]]
    w = {"a": 1.0, "b": 0.3}
    full = mean_average_precision(fuse(ranked, raw, w), space, gold)
    assert _Compact(ranked, raw, space, gold).map(w) == pytest.approx(full, abs=1e-6)


def test_codiesp_ensemble_best_threshold_maximises_micro_f1():
    from training.codiesp import micro_prf
    from training.codiesp_ensemble import _pred_sets, best_threshold

    space = ["a", "b", "c"]
    scores = np.array([[0.9, 0.6, 0.2], [0.8, 0.3, 0.0]], np.float32)
    gold = [["a", "b"], ["c"]]
    t, f = best_threshold(scores, space, gold)
    assert t == pytest.approx(0.6)  # keeps a, b (doc 0) and a (doc 1): P 2/3, R 2/3
    assert f == pytest.approx(micro_prf(_pred_sets(scores, space, t), gold)["micro_f1"])
