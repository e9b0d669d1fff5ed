"""Episodes -> Hugging Face `datasets.DatasetDict` with seeded, disjoint train/dev/test splits.

Why here and not in the trainer: every consumer (NER, classifier, notebooks) must see the same split
for the same seed, and `datasets` is heavy, so it is imported only inside the function."""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

from autocoder.schemas import Episode

COLUMNS = ("id", "text", "sex", "age", "specialty", "admission_method", "diagnoses", "procedures", "entities")


def _row(ep: Episode) -> dict:
    return {
        "id": ep.id, "text": ep.text, "sex": ep.sex or "U", "age": -1 if ep.age is None else ep.age,
        "specialty": ep.specialty or "", "admission_method": ep.admission_method or "",
        "diagnoses": list(ep.diagnoses or []), "procedures": list(ep.procedures or []),
        "entities": [{"start": s.start, "end": s.end, "label": s.label, "code": s.code or "",
                      "assertion": s.assertion, "text": s.text or ""} for s in (ep.entities or [])],
    }


def split_ids(ids: list[str], seed: int = 0, dev: float = 0.1, test: float = 0.1) -> dict[str, list[str]]:
    """Seeded shuffle of the ids, cut into train/dev/test; the same ids and seed give the same split."""
    if not (0 <= dev < 1 and 0 <= test < 1 and dev + test < 1):
        raise ValueError(f"dev/test: expected fractions with dev + test < 1, received dev={dev}, test={test}")
    order = sorted(ids)
    random.Random(seed).shuffle(order)
    n = len(order)
    n_test, n_dev = round(n * test), round(n * dev)
    if n >= 3:
        n_test = max(n_test, 1) if test > 0 else 0
        n_dev = max(n_dev, 1) if dev > 0 else 0
    return {"test": order[:n_test], "dev": order[n_test:n_test + n_dev], "train": order[n_test + n_dev:]}


def load_dataset_dict(path_or_episodes: str | Path | Iterable[Episode], seed: int = 0, dev: float = 0.1,
                      test: float = 0.1):
    """A `datasets.DatasetDict` with train/dev/test splits (disjoint by episode id, deterministic by seed)."""
    import datasets  # heavy: only here

    if isinstance(path_or_episodes, (str, Path)):
        from autocoder.io import load_episodes

        episodes = load_episodes(path_or_episodes, strict=True)
    else:
        episodes = list(path_or_episodes)
    by_id: dict[str, Episode] = {}
    for ep in episodes:
        if ep.id in by_id:
            raise ValueError(f"episode id {ep.id!r} occurs twice; ids must be unique to split without leakage")
        by_id[ep.id] = ep
    parts = split_ids(list(by_id), seed=seed, dev=dev, test=test)
    features = datasets.Features({
        "id": datasets.Value("string"), "text": datasets.Value("string"), "sex": datasets.Value("string"),
        "age": datasets.Value("int32"), "specialty": datasets.Value("string"),
        "admission_method": datasets.Value("string"),
        "diagnoses": datasets.Sequence(datasets.Value("string")), "procedures": datasets.Sequence(datasets.Value("string")),
        "entities": [{"start": datasets.Value("int32"), "end": datasets.Value("int32"), "label": datasets.Value("string"),
                      "code": datasets.Value("string"), "assertion": datasets.Value("string"),
                      "text": datasets.Value("string")}],
    })
    out = {}
    for name in ("train", "dev", "test"):
        rows = [_row(by_id[i]) for i in parts[name]]
        cols = {c: [r[c] for r in rows] for c in COLUMNS}
        out[name] = datasets.Dataset.from_dict(cols, features=features)
    return datasets.DatasetDict(out)
