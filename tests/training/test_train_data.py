"""Training data assembly: extra gold episodes are weighted into train, a share held for dev, none in test."""

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


def test_train_build_data_holds_whole_extra_letters_for_dev_without_copies(tmp_path):
    import json

    from training.config import TrainConfig
    from training.train import build_data

    base = tmp_path / "base.jsonl"
    base.write_text("".join(json.dumps({"id": f"B{i}", "text": f"letter {i}", "diagnoses": ["I10"]}) + "\n"
                            for i in range(10)))
    extra = tmp_path / "fb.jsonl"
    extra.write_text("".join(json.dumps({"id": f"F{i}", "text": f"EHT {i}", "diagnoses": ["I10"]}) + "\n"
                             for i in range(6)))
    cfg = TrainConfig.model_validate({"name": "t", "data": {"source": "jsonl", "path": str(base), "n_train": 6,
                                                            "n_dev": 2, "n_test": 2, "extra_train": str(extra),
                                                            "extra_train_repeat": 4, "extra_dev_fraction": 1 / 3}})
    tr, dv, te = build_data(cfg)
    dev_fb = {e.id for e in dv if e.id.startswith("F")}
    train_fb = {e.id.split("#")[0] for e in tr if e.id.startswith("F")}
    assert len(dev_fb) == 2 and len(train_fb) == 4 and not dev_fb & train_fb
    assert sum(e.id.startswith("F") for e in tr) == 4 * 4
    assert not any(e.id.startswith("F") for e in te)
