"""A candidate the promotion gate rejects must not stay the default model (what `autocoder code`, the
service and the README's main command load): the champion's bundle is put back."""

from __future__ import annotations

import json

from autocoder.model.bundle import CARD, read_card
from autocoder.paths import default_model_dir


def _bundle(path, **card):
    path.mkdir(parents=True)
    (path / CARD).write_text(json.dumps({"name": "default", **card}))
    (path / "fusion.json").write_text(json.dumps({"which": card.get("hash")}))
    return path


def test_gate_rejection_restores_the_champion_into_the_default_model_dir(autocoder_home, tmp_path, monkeypatch):
    from training import registry
    from training.evaluate import restore_champion_as_default

    champion = _bundle(tmp_path / "cache" / "v1", hash="champion")
    monkeypatch.setattr(registry, "download_registered", lambda name, version=None, alias=None: (champion, {}))
    default = _bundle(default_model_dir(), hash="candidate", registered_model="autocoder", registered_version="2")

    assert restore_champion_as_default("autocoder", "2", "1") == "autocoder@1"
    card = read_card(default)
    assert card["hash"] == "champion" and card["registered_version"] == "1"
    assert json.loads((default / "fusion.json").read_text()) == {"which": "champion"}


def test_gate_rejection_leaves_a_default_model_that_is_not_the_candidate_alone(autocoder_home, tmp_path, monkeypatch):
    from training import registry
    from training.evaluate import restore_champion_as_default

    monkeypatch.setattr(registry, "download_registered", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    _bundle(default_model_dir(), hash="hand-installed")
    assert restore_champion_as_default("autocoder", "2", "1") is None
    assert read_card(default_model_dir())["hash"] == "hand-installed"
