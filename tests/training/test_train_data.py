"""Training data assembly: coder feedback is weighted into the train split only."""

from __future__ import annotations


def test_train_build_data_adds_weighted_extra_episodes_to_train_only(tmp_path):
    """Coder feedback (data.extra_train) is repeated into train, supersedes its base copy, never enters dev/test."""
    import json

    from training.config import TrainConfig
    from training.train import build_data

    base = tmp_path / "base.jsonl"
    base.write_text("".join(json.dumps({"id": f"B{i}", "text": f"letter {i}", "diagnoses": ["I10"]}) + "\n"
                            for i in range(10)))
    extra = tmp_path / "fb.jsonl"
    extra.write_text(json.dumps({"id": "B3", "text": "EHT", "diagnoses": ["I10", "E11.9"]}) + "\n")
    cfg = TrainConfig.model_validate({"name": "t", "data": {"source": "jsonl", "path": str(base), "n_train": 6,
                                                            "n_dev": 2, "n_test": 2, "extra_train": str(extra),
                                                            "extra_train_repeat": 3}})
    tr, dv, te = build_data(cfg)
    assert [e.id for e in tr if e.id.startswith("B3")] == ["B3", "B3#w2", "B3#w3"]
    assert all(e.diagnoses == ["I10", "E11.9"] for e in tr if e.id.startswith("B3"))
    assert "B3" not in {e.id for e in dv + te}
    assert len(tr) + len(dv) + len(te) == 9 + 3
