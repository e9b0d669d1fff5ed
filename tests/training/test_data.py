"""training.data: seeded, disjoint, deterministic DatasetDict splits."""

from __future__ import annotations

import pytest

from autocoder.io import write_jsonl
from training.synth import generate_episodes

pytest.importorskip("datasets")


def test_data_splits_are_disjoint_cover_everything_and_are_deterministic(tmp_path):
    from training.data import load_dataset_dict

    eps = generate_episodes(60, seed=2)
    dd = load_dataset_dict(eps, seed=4, dev=0.2, test=0.1)
    assert set(dd) == {"train", "dev", "test"}
    ids = {k: set(dd[k]["id"]) for k in dd}
    assert len(ids["dev"]) == 12 and len(ids["test"]) == 6 and len(ids["train"]) == 42
    assert not (ids["train"] & ids["dev"]) and not (ids["train"] & ids["test"]) and not (ids["dev"] & ids["test"])
    assert ids["train"] | ids["dev"] | ids["test"] == {e.id for e in eps}
    path = tmp_path / "eps.jsonl"
    write_jsonl(path, eps)
    again = load_dataset_dict(path, seed=4, dev=0.2, test=0.1)
    assert {k: list(again[k]["id"]) for k in again} == {k: list(dd[k]["id"]) for k in dd}
    other = load_dataset_dict(eps, seed=5, dev=0.2, test=0.1)
    assert list(other["test"]["id"]) != list(dd["test"]["id"])
    row = dd["train"][0]
    ent = row["entities"][0]
    assert row["text"][ent["start"]:ent["end"]] == ent["text"]


def test_data_rejects_duplicate_ids_and_bad_fractions():
    from training.data import load_dataset_dict

    eps = generate_episodes(5, seed=2)
    with pytest.raises(ValueError, match="occurs twice"):
        load_dataset_dict(eps + eps[:1])
    with pytest.raises(ValueError, match="dev/test"):
        load_dataset_dict(eps, dev=0.6, test=0.5)
